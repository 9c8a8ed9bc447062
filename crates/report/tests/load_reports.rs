//! Load reports rendered from real runs (the load engine against real nginx + php-fpm), looked
//! at in headless Chromium with the network disabled.
mod support;

use support::browser::{self, Artifacts, Image};
use support::runs;

use lameduck_report::outcome::Kind;
use lameduck_report::svg::outcomes::BAND_COLOR;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 1500;

/// Renders, screenshots and DOM-dumps one report; returns the screenshot and DOM.
fn look_at(report: &serde_json::Value, artifacts: &Artifacts, name: &str) -> (Image, String) {
    let html = lameduck_report::render_load_html(report).expect("render");
    browser::assert_self_contained(&html);
    let path = artifacts.path(&format!("{name}.html"));
    lameduck_report::write_report(&path, &html).expect("write report");
    std::fs::write(artifacts.path(&format!("{name}.json")), report.to_string())
        .expect("write json");
    let png = artifacts.path(&format!("{name}.png"));
    let shot = browser::screenshot(&path, &png, WIDTH, HEIGHT);
    assert_eq!(shot.console_lines(), Vec::<&str>::new(), "console messages from {name}");
    let dom = browser::dump_dom(&path);
    assert_eq!(dom.console_lines(), Vec::<&str>::new(), "console messages from {name}");
    assert!(dom.stdout.contains("class=\"chart outcomes\""), "{name}: no outcome chart in the DOM");
    (Image::open(&png), dom.stdout)
}

#[test]
fn real_runs_render_in_chromium_with_and_without_failures() {
    let artifacts = Artifacts::new("load");
    browser::chromium(); // fail early, with the install hint, before running any load

    let clean = runs::clean_run();
    assert_eq!(clean["failed"], 0, "the healthy stack failed requests: {clean}");
    let (image, dom) = look_at(&clean, &artifacts, "clean");
    assert_eq!((image.width, image.height), (WIDTH, HEIGHT));
    let ok_pixels = image.count(Kind::Http2xx.color());
    assert!(ok_pixels > 5_000, "the 2xx bars did not draw ({ok_pixels} pixels)");
    assert_eq!(image.count(BAND_COLOR), 0, "a failure band with no failures");
    assert_eq!(image.count(Kind::Http502.color()), 0);
    assert_eq!(browser::legend_kinds(&dom), vec![runs::kinds_seen(&clean)]);
    assert_eq!(runs::kinds_seen(&clean), vec!["2xx"]);

    let failing = runs::failing_run();
    let failed = failing["failed"].as_u64().unwrap_or(0);
    assert!(failed > 0, "killing php-fpm and nginx caused no failures: {failing}");
    let (image, dom) = look_at(&failing, &artifacts, "failing");
    assert!(image.count(Kind::Http2xx.color()) > 2_000, "the 2xx bars did not draw");
    let band = image.count(BAND_COLOR);
    assert!(band > 1_000, "no failure band ({band} pixels) though {failed} requests failed");
    let seen = runs::kinds_seen(&failing);
    assert_eq!(browser::legend_kinds(&dom), vec![seen.clone()]);
    // Each failure kind seen is drawn in the chart, beyond its legend swatch (18x12 pixels).
    for kind in Kind::ALL.iter().filter(|k| k.is_failure() && seen.contains(&k.slug().to_string()))
    {
        let pixels = image.count(kind.color());
        assert!(pixels > 250, "{} seen but only {pixels} pixels of its color", kind.label());
    }
    // The two --exec-at commands are markers on both charts.
    let starts = failing["events"]
        .as_array()
        .map_or(0, |e| e.iter().filter(|e| e["kind"] == "exec_start").count());
    assert_eq!(starts, 2, "events: {}", failing["events"]);
    assert_eq!(dom.matches("class=\"marker m-exec\"").count(), 2 * starts);

    // The same run saved as a --timeline file re-renders with `lameduck report` to the same
    // charts (the totals come from the seconds then).
    let timeline = artifacts.path("failing.jsonl");
    std::fs::write(&timeline, timeline_lines(&failing)).expect("write timeline");
    let out = artifacts.path("from-timeline.html");
    let code = lameduck_report::cli::execute(lameduck_report::cli::Args {
        command: None,
        input: Some(timeline),
        output: Some(out.clone()),
        format: lameduck_report::cli::Format::Html,
    });
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let from_timeline = std::fs::read_to_string(&out).expect("read re-rendered report");
    let direct = lameduck_report::render_load_html(&failing).expect("render");
    assert_eq!(chart(&from_timeline, "outcomes"), chart(&direct, "outcomes"));
    assert_eq!(chart(&from_timeline, "latency"), chart(&direct, "latency"));
}

/// The report as `lameduck load --timeline` writes it: each second, then each event, as one
/// JSON object per line tagged with `"type"`.
fn timeline_lines(report: &serde_json::Value) -> String {
    let mut lines = String::new();
    let tagged = |value: &serde_json::Value, kind: &str| {
        let mut value = value.clone();
        value["type"] = kind.into();
        format!("{value}\n")
    };
    for second in report["seconds"].as_array().expect("seconds") {
        lines.push_str(&tagged(second, "second"));
    }
    for event in report["events"].as_array().expect("events") {
        lines.push_str(&tagged(event, "event"));
    }
    lines
}

/// The `<svg class='chart NAME'>` element of a page.
fn chart<'a>(html: &'a str, name: &str) -> &'a str {
    let start = html
        .find(&format!("<svg class='chart {name}'"))
        .unwrap_or_else(|| panic!("no {name} chart"));
    let end = start + html[start..].find("</svg>").expect("svg end");
    &html[start..end]
}
