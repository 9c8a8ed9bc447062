//! Pods scaled down behind a load balancer that keeps routing to them for ~20 s, as an AWS ALB
//! does while it deregisters a target (deploy/lab/lameduck-run-alb-20s.yaml, with a shorter
//! load). `lameduck run`'s default drain must wait as long as requests arrive and lose nothing.
//! A drain that stops at 15 s (the old default `max`) quits nginx under that traffic and loses
//! requests: 22 of 360 with the full load.
mod common;

use std::path::Path;

use common::{is_root, run_lab};

fn scenario(name: &str) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/lab/lameduck-run-alb-20s.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let text = text
        .replace("name: lameduck-run-alb-20s", &format!("name: {name}"))
        .replace(r#"schedule: "const(6, 60s)""#, r#"schedule: "const(6, 28s)""#);
    assert!(text.contains("const(6, 28s)"), "the load was shortened");
    text
}

#[test]
fn the_default_drain_outlasts_a_20_second_load_balancer_lag() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let default = dir.path().join("default.yaml");
    std::fs::write(&default, scenario("default")).unwrap();
    let run = run_lab(&[default], &dir.path().join("run"));
    let stderr = &run.stderr;
    let default = run.row("default");
    assert!(default["requests"].as_u64().unwrap() >= 150, "the load ran: {default}");
    assert_eq!(default["failed"], 0, "{default}\n{stderr}");
    assert!(run.status.success(), "{stderr}");
}
