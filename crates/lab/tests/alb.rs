//! The `alb` model against real nginx + php-fpm pods, for what only a whole run shows: a
//! deleted pod's address stops answering (connects time out: 504 after the ALB's 10 s; the real
//! nginx ingress times out too), and a pod readiness gate holds a rollout until the new target
//! has passed its health checks.
mod common;

use std::path::Path;
use std::process::Command;

use common::{is_root, run_lab};

/// A built-in scenario as a file, renamed and changed by `edits` (each must apply).
fn scenario(dir: &Path, seed: &str, name: &str, edits: &[(&str, &str)]) -> std::path::PathBuf {
    let dump = Command::new(env!("CARGO_BIN_EXE_lameduck-lab")).args(["--dump", seed]).output();
    let mut text = String::from_utf8(dump.unwrap().stdout).unwrap();
    text = text.replace(&format!("name: {seed}"), &format!("name: {name}"));
    for (from, to) in edits {
        assert!(text.contains(from), "{from} in {seed}");
        text = text.replacen(from, to, 1);
    }
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, text).unwrap();
    file
}

fn events(run: &Path, name: &str) -> String {
    std::fs::read_to_string(run.join(name).join("events.log")).unwrap()
}

/// `nginx-sigterm` (nginx 1.17 stops at once on SIGTERM) behind `model`, with the ingress
/// sending to the deleted pods for 4 s more.
fn gone(dir: &Path, name: &str, model: &str) -> std::path::PathBuf {
    scenario(
        dir,
        "nginx-sigterm",
        name,
        &[
            ("model: alb", &format!("model: {model}")),
            ("delay: 0s", "delay: 4s"),
            ("const(6, 10s)", "const(4, 6s)"),
            ("timeout: 10s", "timeout: 20s"),
        ],
    )
}

#[test]
fn a_deleted_pods_address_stops_answering_connects_time_out() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = [gone(dir.path(), "gone-alb", "alb"), gone(dir.path(), "gone-nginx", "nginx")];
    let run_dir = dir.path().join("run");
    let run = run_lab(&files, &run_dir);
    // The alb model waits its 10 s connect timeout and answers 504.
    let row = run.row("gone-alb");
    let alb = events(&run_dir, "gone-alb");
    assert!(alb.contains("pod sandbox gone: 10.200."), "{alb}");
    assert!(row["codes"]["504"].as_u64().unwrap_or(0) > 0, "{row}\n{alb}");
    assert!(
        alb.lines().any(|l| l.contains("no response before the timeout") && l.contains("504")),
        "{alb}"
    );
    // The real nginx sees the same silence: its connects time out (`proxy_connect_timeout`),
    // where a refusal would come at once.
    let nginx = events(&run_dir, "gone-nginx");
    let timed_out = "nginx: no response before the timeout (request not sent)";
    assert!(nginx.lines().any(|l| l.contains(timed_out)), "{nginx}");
}

/// A rollout of one replica behind an ALB whose new target needs 3 health checks 2 s apart.
fn rollout(dir: &Path, name: &str, gate: bool) -> std::path::PathBuf {
    let ingress = format!(
        "  jitter: 300ms\n  healthCheck: {{path: \"/?ms=0\", interval: 2s, timeout: 1s, healthyThreshold: 3}}\n  readinessGate: {gate}\n"
    );
    scenario(
        dir,
        "nginx-sigquit-prestop-sleep",
        name,
        &[
            ("replicas: 4", "replicas: 1"),
            ("  jitter: 300ms\n", &ingress),
            (
                "  - at: 2s\n    scale: 1\n",
                "  - at: 1s\n    rollout: {maxSurge: 1, maxUnavailable: 0}\n",
            ),
            ("const(6, 12s)", "const(6, 10s)"),
        ],
    )
}

#[test]
fn a_readiness_gate_holds_the_rollout_until_the_new_target_is_healthy() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = [rollout(dir.path(), "gate", true), rollout(dir.path(), "no-gate", false)];
    let run_dir = dir.path().join("run");
    let run = run_lab(&files, &run_dir);
    let (gate, no_gate) = (run.row("gate"), run.row("no-gate"));
    let (gate_events, no_gate_events) = (events(&run_dir, "gate"), events(&run_dir, "no-gate"));
    assert_eq!(gate["failed"], 0, "{gate}\n{gate_events}");
    assert!(
        no_gate["codes"]["503"].as_u64().unwrap_or(0) > 0,
        "without the gate the old pod leaves before the new target is healthy: {no_gate}\n{no_gate_events}"
    );
    // With the gate, the old pod is deleted only after the new one's target is healthy.
    let first = |events: &str, needle: &str| events.lines().position(|l| l.contains(needle));
    let healthy = first(&gate_events, "target healthy after 3 health checks").unwrap();
    let deleted = first(&gate_events, "Terminating").unwrap();
    assert!(healthy < deleted, "{gate_events}");
}
