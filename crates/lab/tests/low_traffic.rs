//! A pod that gets a request every 2 s, scaled down behind a load balancer that keeps sending
//! for ~3 s (deploy/lab/lameduck-low-traffic.yaml). The auto drain must read the 2 s gaps and
//! lose nothing; with adapting turned off (`auto:adapt=0`, a fixed 1 s quiet) the same pod loses
//! a request, which shows the scenario really exercises the gap.
mod common;

use std::path::{Path, PathBuf};

use common::{is_root, run_lab};

fn scenario() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/lab/lameduck-low-traffic.yaml");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_auto_drain_waits_out_the_gaps_of_low_traffic() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let adapting = dir.path().join("adapting.yaml");
    std::fs::write(&adapting, scenario().replace("name: lameduck-low-traffic", "name: adapting"))
        .unwrap();
    let fixed_quiet: PathBuf = dir.path().join("fixed-quiet.yaml");
    let text = scenario()
        .replace("name: lameduck-low-traffic", "name: fixed-quiet")
        .replace(r#""--drain", "auto""#, r#""--drain", "auto:adapt=0""#);
    assert!(text.contains("auto:adapt=0"), "the hook's --drain was rewritten");
    std::fs::write(&fixed_quiet, text).unwrap();

    let run = run_lab(&[adapting, fixed_quiet], &dir.path().join("run"));
    let (row, stderr) = (|name: &str| run.row(name), &run.stderr);
    let adapting = row("adapting");
    assert!(adapting["requests"].as_u64().unwrap() >= 14, "the load ran: {adapting}");
    assert_eq!(adapting["failed"], 0, "{adapting}\n{stderr}");
    let fixed_quiet = row("fixed-quiet");
    assert!(fixed_quiet["failed"].as_u64().unwrap() >= 1, "{fixed_quiet}\n{stderr}");
    assert!(!run.status.success(), "a scenario that misses its expectation fails the run");

    let hook_log =
        std::fs::read_to_string(dir.path().join("run/adapting/pods/pod-1/nginx.prestop.log"))
            .or_else(|_| {
                std::fs::read_to_string(
                    dir.path().join("run/adapting/pods/pod-2/nginx.prestop.log"),
                )
            })
            .unwrap_or_default();
    assert!(hook_log.contains("quiet_needed="), "the drain logs the quiet it needed");
}
