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
}
