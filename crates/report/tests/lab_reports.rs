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
                let second: lameduck_core::schema::SecondRecord =
                    serde_json::from_value(second.clone()).expect("a timeline second");
                lameduck_report::outcome::add_counts(
                    &mut counts,
                    &second.codes,
                    &second.net,
                    second.dropped,
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

/// A real run of the three scenarios whose cause a report must show (captured with
/// `lameduck lab seeds --only nginx-sigterm --only php-fpm-quit-pct0` and
/// `lameduck lab deploy/lab/lameduck-prestop.yaml`, merged into one result).
const CAUSES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lab-causes.json");

/// The stripes of the failed-count badge next to a verdict (only the badge uses this color).
const FAILED_BADGE: &str = "#a84a00";
/// The fast-stop phase's color (nginx's SIGTERM).
const FAST_STOP: &str = "#cc79a7";

/// The scenario `name` of the causes fixture, alone in a result.
fn cause(name: &str) -> (serde_json::Value, serde_json::Value) {
    let text = std::fs::read_to_string(CAUSES).expect("read fixture");
    let mut result: serde_json::Value = serde_json::from_str(&text).expect("fixture is JSON");
    let scenarios = result["scenarios"].as_array_mut().expect("scenarios");
    scenarios.retain(|s| s["name"] == name);
    assert_eq!(scenarios.len(), 1, "no scenario {name} in the fixture");
    let scenario = scenarios[0].clone();
    (result, scenario)
}

/// How many events of `kind` the scenario logged (with `detail` containing `with`).
fn events(scenario: &serde_json::Value, kind: &str, with: &str) -> usize {
    let all = scenario["events"].as_array().expect("events");
    all.iter()
        .filter(|e| e["kind"] == kind && e["detail"].as_str().is_some_and(|d| d.contains(with)))
        .count()
}

#[test]
fn nginx_sigterm_shows_the_fast_stop_and_each_failure_on_its_pod() {
    let artifacts = Artifacts::new("lab-causes");
    let (result, scenario) = cause("nginx-sigterm");
    let (image, dom) = look_at(&result, &artifacts, "nginx-sigterm", 1500);
    assert_eq!(browser::legend_kinds(&dom), kinds_per_scenario(&result));
    // The cause: nginx's SIGTERM is its own color, hatch and label, not a graceful stop.
    assert!(image.count(FAST_STOP) > 150, "the fast stop is not drawn");
    assert!(dom.contains(">SIGTERM (fast stop)</text>"), "the fast stop is not named");
    let sigterms = events(&scenario, "signal", "SIGTERM →");
    assert_eq!(sigterms, 3, "the fixture's three nginx containers got SIGTERM");
    assert_eq!(dom.matches("class=\"phase ph-fast-stop\"").count(), 2 * sigterms);
    assert!(dom.contains("class=\"marker m-signal-fast\""));
    // Every failed request the client saw is a mark on its pod's row, on the strip and in
    // the close-up.
    let failed = events(&scenario, "upstream-failure", "to the client");
    assert!(failed > 0, "the fixture has no upstream failures");
    assert_eq!(dom.matches("class=\"upstream-failure\"").count(), 2 * failed);
    // The count stands next to "reproduced", red and hatched.
    assert!(dom.contains("reproduced <span class=\"failed-count\">6 failed</span>"));
    assert!(image.count(FAILED_BADGE) > 40, "the failed-count badge is not drawn");
}

#[test]
fn php_fpm_quit_shows_the_502s_the_pod_answered() {
    let artifacts = Artifacts::new("lab-causes");
    let (result, scenario) = cause("php-fpm-quit-pct0");
    let (image, dom) = look_at(&result, &artifacts, "php-fpm-quit-pct0", 1500);
    assert_eq!(browser::legend_kinds(&dom), kinds_per_scenario(&result));
    let answered = events(&scenario, "pod-5xx", "502");
    assert_eq!(answered, 6, "the fixture's pods answered 6 502s");
    assert_eq!(dom.matches("class=\"pod-5xx\"").count(), 2 * answered);
    assert!(dom.contains("a 5xx the pod itself answered"));
    assert!(image.count(Kind::Http502.color()) > 250, "the 502 bars and marks did not draw");
    assert!(image.count(BAND_COLOR) > 1_000, "no failure band");
}

#[test]
fn lameduck_prestop_reads_as_clean_and_its_hook_exit_137_not_as_a_crash() {
    let artifacts = Artifacts::new("lab-causes");
    let (result, scenario) = cause("lameduck-prestop");
    let (image, dom) = look_at(&result, &artifacts, "lameduck-prestop", 1500);
    assert_eq!(browser::legend_kinds(&dom), kinds_per_scenario(&result));
    assert_eq!(browser::legend_kinds(&dom), vec![vec!["2xx".to_string()]]);
    assert_eq!(image.count(BAND_COLOR), 0, "a failure band in a run without failures");
    assert_eq!(image.count(FAILED_BADGE), 0, "a failed-count badge on a clean run");
    assert!(dom.contains("reproduced <span class=\"failed-none\">0 failed</span>"));
    let killed = events(&scenario, "prestop-end", "exit code 137");
    assert!(killed > 0, "the fixture has no hook that exited 137");
    assert!(
        dom.matches(
            "preStop hook ended with its container (137 = SIGKILL): as planned, not a crash"
        )
        .count()
            >= killed,
        "a hook's exit 137 is not explained"
    );
    assert_eq!(image.count(FAST_STOP), 0, "a fast stop drawn where every stop was graceful");
}
