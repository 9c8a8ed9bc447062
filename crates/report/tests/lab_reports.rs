//! Lab reports rendered from a real `lameduck lab` run's result.json (saved as a fixture by
//! running `lameduck lab seeds --only nginx-sigterm --only nginx-sigquit-prestop-sleep
//! --only php-fpm-quit-pct0`; scripts/screenshots renders a fresh one), looked at in headless
//! Chromium with the network disabled.
mod support;

use support::browser::{self, Artifacts, Image};

use lameduck_report::outcome::Kind;
use lameduck_report::svg::outcomes::BAND_COLOR;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lab-result.json");

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(FIXTURE).expect("read fixture");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A result with only the scenarios whose failure count matches `failing`.
fn only(result: &serde_json::Value, failing: bool) -> serde_json::Value {
    let mut result = result.clone();
    let scenarios = result["scenarios"].as_array_mut().expect("scenarios");
    scenarios.retain(|s| (s["failed"].as_u64().unwrap_or(0) > 0) == failing);
    assert!(!scenarios.is_empty(), "the fixture has no scenario with failing={failing}");
    result
}

fn look_at(
    result: &serde_json::Value,
    artifacts: &Artifacts,
    name: &str,
    height: u32,
) -> (Image, String) {
    let html = lameduck_report::render_lab_html(result).expect("render");
    browser::assert_self_contained(&html);
    let path = artifacts.path(&format!("{name}.html"));
    lameduck_report::write_report(&path, &html).expect("write report");
    let png = artifacts.path(&format!("{name}.png"));
    let shot = browser::screenshot(&path, &png, 1280, height);
    assert_eq!(shot.console_lines(), Vec::<&str>::new(), "console messages from {name}");
    let dom = browser::dump_dom(&path);
    assert_eq!(dom.console_lines(), Vec::<&str>::new(), "console messages from {name}");
    (Image::open(&png), dom.stdout)
}

/// Legend kinds of each scenario, computed from its totals.
fn kinds_per_scenario(result: &serde_json::Value) -> Vec<Vec<String>> {
    result["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| {
            // The chart's legend comes from the timeline, which holds every completion.
            let mut counts = [0u64; Kind::COUNT];
            for second in s["timeline"].as_array().expect("timeline") {
                let map = |key: &str| -> std::collections::BTreeMap<String, u64> {
                    serde_json::from_value(second[key].clone()).unwrap_or_default()
                };
                let dropped = second["dropped"].as_u64().unwrap_or(0);
                lameduck_report::outcome::add_counts(
                    &mut counts,
                    &map("codes"),
                    &map("net"),
                    dropped,
                );
            }
            Kind::ALL
                .iter()
                .filter(|k| counts[k.index()] > 0)
                .map(|k| k.slug().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn a_real_lab_run_renders_with_failure_bands_only_where_requests_failed() {
    let artifacts = Artifacts::new("lab");
    let result = fixture();

    let failing = only(&result, true);
    let (image, dom) = look_at(&failing, &artifacts, "failing", 1400);
    assert!(image.count(Kind::Http2xx.color()) > 5_000, "the 2xx bars did not draw");
    assert!(image.count(BAND_COLOR) > 1_000, "no failure band in a scenario with failures");
    assert!(image.count(Kind::Http502.color()) > 250, "the 502 bars did not draw");
    assert_eq!(browser::legend_kinds(&dom), kinds_per_scenario(&failing));
    let scenarios = failing["scenarios"].as_array().map_or(0, Vec::len);
    assert_eq!(dom.matches("<svg class=\"chart outcomes\"").count(), scenarios);
    assert_eq!(
        dom.matches("<svg class=\"chart gantt\"").count(),
        2 * scenarios,
        "strip and close-up"
    );
    assert!(
        dom.contains("class=\"marker m-deleted\"") && dom.contains("class=\"marker m-signal\"")
    );
    assert!(
        dom.contains("class=\"upstream-failure\""),
        "the ingress's failed requests are not marked"
    );

    let clean = only(&result, false);
    let (image, dom) = look_at(&clean, &artifacts, "clean", 1400);
    assert!(image.count(Kind::Http2xx.color()) > 5_000, "the 2xx bars did not draw");
    assert_eq!(image.count(BAND_COLOR), 0, "a failure band in a scenario without failures");
    assert_eq!(image.count(Kind::Http502.color()), 0);
    assert_eq!(browser::legend_kinds(&dom), kinds_per_scenario(&clean));
    assert!(dom.contains("class=\"phase ph-prestop\""), "the preStop sleep is not on the strip");
}
