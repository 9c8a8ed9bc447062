//! `lameduck lab --report FILE.html` writes a self-contained HTML report of the run.
use std::process::Command;

use lameduck_testkit::is_root;

#[test]
fn report_is_a_self_contained_html_file() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("lab.html");
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .args(["seeds", "--only", "nginx-sigquit", "--output", "json", "--run-dir"])
        .arg(dir.path().join("run"))
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let html = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert!(html.contains("<svg"), "charts are inline SVG");
    assert!(!html.contains("<script"), "no scripts");
    assert!(html.contains("nginx-sigquit"), "names the scenario");
    // result.json reads strictly into the schema `lameduck report` reads (every field present,
    // none renamed), and writing it back gives the very same JSON: nothing dropped.
    let text = std::fs::read_to_string(dir.path().join("run/result.json")).unwrap();
    let result: lameduck_core::schema::LabResult = serde_json::from_str(&text).unwrap();
    let written: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&result).unwrap(), written);
    assert_eq!(result.schema_version, lameduck_core::schema::LAB_SCHEMA_VERSION);
    assert!(!result.scenarios[0].timeline.is_empty() && !result.scenarios[0].events.is_empty());
}
