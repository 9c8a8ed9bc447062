//! Each experiment from the reference articles, run by the real lab (real nginx, php-fpm,
//! namespaces and signals), must come out as the article reports. Needs root, as in CI.
use std::process::Command;

use serde_json::Value;

use lameduck_testkit::is_root;

/// Runs one built-in scenario and returns its summary row and the scenario directory.
fn run_seed(name: &str) -> Option<(Value, std::path::PathBuf)> {
    if !is_root() {
        eprintln!("skipping {name}: the lab needs root");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .args(["seeds", "--only", name, "--format", "json", "--run-dir"])
        .arg(dir.path())
        .output()
        .expect("run the lab");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("{name}: no JSON summary ({e}); stderr:\n{}", String::from_utf8_lossy(&out.stderr))
    });
    let row = summary["scenarios"][0].clone();
    assert_eq!(row["name"], name, "stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    let events =
        std::fs::read_to_string(dir.path().join(name).join("events.log")).unwrap_or_default();
    assert!(dir.path().join("result.json").is_file(), "result.json is written");
    assert_eq!(
        row["verdict"], "reproduced",
        "{name}: {}\nrow: {row}\nevents:\n{events}",
        row["reason"]
    );
    assert!(out.status.success(), "{name}: exit status {:?}", out.status);
    let kept = dir.keep();
    Some((row, kept.join(name)))
}

fn failed(row: &Value) -> u64 {
    row["failed"].as_u64().expect("failed count")
}

fn code(row: &Value, code: &str) -> u64 {
    row["codes"][code].as_u64().unwrap_or(0)
}

fn cleanup(dir: std::path::PathBuf) {
    let _ = std::fs::remove_dir_all(dir.parent().expect("run dir"));
}

#[test]
fn nginx_sigterm_drops_requests_in_flight() {
    let Some((row, dir)) = run_seed("nginx-sigterm") else { return };
    assert!(code(&row, "502") > 0, "{row}");
    let events = std::fs::read_to_string(dir.join("events.log")).unwrap();
    assert!(events.contains("SIGTERM → PID 1"), "the lab sent nginx SIGTERM:\n{events}");
    cleanup(dir);
}

#[test]
fn nginx_sigquit_without_endpoint_lag_drops_nothing() {
    let Some((row, dir)) = run_seed("nginx-sigquit") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    cleanup(dir);
}

#[test]
fn nginx_sigquit_with_endpoint_lag_gives_502s() {
    let Some((row, dir)) = run_seed("nginx-sigquit-lag") else { return };
    assert!(code(&row, "502") > 0, "{row}");
    cleanup(dir);
}

#[test]
fn nginx_sigquit_with_prestop_sleep_drops_nothing() {
    let Some((row, dir)) = run_seed("nginx-sigquit-prestop-sleep") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    assert!(
        row["termination_seconds"]["median"].as_f64().unwrap() >= 5.0,
        "the preStop sleep ran: {row}"
    );
    cleanup(dir);
}

#[test]
fn prestop_nginx_quit_without_sleep_does_not_help() {
    let Some((row, dir)) = run_seed("nginx-prestop-quit") else { return };
    assert!(failed(&row) > 0, "{row}");
    let events = std::fs::read_to_string(dir.join("events.log")).unwrap();
    assert!(events.contains("exec /usr/sbin/nginx -s quit"), "{events}");
    cleanup(dir);
}

#[test]
fn supervisord_with_quit_stopsignals_still_drops_requests() {
    let Some((row, dir)) = run_seed("supervisord-quit") else { return };
    assert!(failed(&row) > 0, "{row}");
    cleanup(dir);
}

#[test]
fn php_fpm_quit_without_process_control_timeout_gives_502s() {
    let Some((row, dir)) = run_seed("php-fpm-quit-pct0") else { return };
    assert!(code(&row, "502") > 0, "{row}");
    let events = std::fs::read_to_string(dir.join("events.log")).unwrap();
    assert!(events.contains("pod-5xx"), "the 502s come from nginx in the pod:\n{events}");
    cleanup(dir);
}

#[test]
fn php_fpm_quit_with_process_control_timeout_drops_nothing() {
    let Some((row, dir)) = run_seed("php-fpm-quit-pct20") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    cleanup(dir);
}

#[test]
fn prestop_sleep_1_then_quit_drops_nothing() {
    let Some((row, dir)) = run_seed("php-fpm-sleep1-quit") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    cleanup(dir);
}

#[test]
fn php_fpm_sleeping_less_than_nginx_gives_5xx() {
    let Some((row, dir)) = run_seed("fpm-sleep-shorter") else { return };
    assert!(failed(&row) > 0, "{row}");
    cleanup(dir);
}

#[test]
fn php_fpm_sleeping_as_long_as_nginx_drops_nothing() {
    let Some((row, dir)) = run_seed("fpm-sleep-equal") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    cleanup(dir);
}

#[test]
fn prestop_sleep_30_drops_nothing_but_every_pod_takes_30s() {
    let Some((row, dir)) = run_seed("prestop-sleep-30") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    let result: Value =
        serde_json::from_slice(&std::fs::read(dir.parent().unwrap().join("result.json")).unwrap())
            .unwrap();
    let pods = result["scenarios"][0]["pods"].as_array().unwrap().clone();
    assert_eq!(pods.len(), 3, "three pods were deleted");
    for pod in pods {
        assert!(pod["termination_seconds"].as_f64().unwrap() >= 30.0, "{pod}");
    }
    cleanup(dir);
}

#[test]
fn alb_keepalive_pool_drops_connections_the_pod_closed_before_reusing_them() {
    // nginx closes each idle connection after 1 s, a second before the ALB model would reuse
    // it: the close crosses no request, so none fails (an ALB drops such a connection).
    let Some((row, dir)) = run_seed("alb-keepalive") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    cleanup(dir);
}

#[test]
fn connection_close_from_the_pod_cuts_the_keepalive_502s() {
    let Some((row, dir)) = run_seed("alb-connection-close") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    cleanup(dir);
}

#[test]
fn ingress_nginx_retries_hide_the_endpoint_lag() {
    let Some((row, dir)) = run_seed("ingress-nginx-retries") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    let result: Value =
        serde_json::from_slice(&std::fs::read(dir.parent().unwrap().join("result.json")).unwrap())
            .unwrap();
    let retried = result["scenarios"][0]["upstream_failures"].as_array().unwrap().clone();
    assert!(
        retried.iter().any(|f| f["cause"] == "refused" && f["status"].is_null()),
        "refused connections happened and were retried: {retried:?}"
    );
    cleanup(dir);
}

#[test]
fn apache_stopped_with_sigterm_drops_requests_in_flight() {
    let Some((row, dir)) = run_seed("apache-sigterm") else { return };
    assert!(code(&row, "502") > 0, "{row}");
    let events = std::fs::read_to_string(dir.join("events.log")).unwrap();
    assert!(events.contains("SIGTERM → PID 1"), "the lab sent Apache SIGTERM:\n{events}");
    cleanup(dir);
}

#[test]
fn apache_stopped_with_sigwinch_drops_nothing() {
    let Some((row, dir)) = run_seed("apache-sigwinch") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    let events = std::fs::read_to_string(dir.join("events.log")).unwrap();
    assert!(events.contains("SIGWINCH → PID 1"), "php:8.2-apache stops with SIGWINCH:\n{events}");
    cleanup(dir);
}

#[test]
fn apache_with_endpoint_lag_needs_a_prestop_drain() {
    let Some((row, dir)) = run_seed("apache-sigwinch-lag") else { return };
    assert!(code(&row, "502") > 0, "{row}");
    cleanup(dir);
    let Some((row, dir)) = run_seed("apache-prestop-sleep") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    cleanup(dir);
}

#[test]
fn caddy_waits_for_requests_unless_its_grace_period_is_short() {
    let Some((row, dir)) = run_seed("caddy-grace-default") else { return };
    assert_eq!(failed(&row), 0, "{row}");
    cleanup(dir);
    let Some((row, dir)) = run_seed("caddy-grace-short") else { return };
    assert!(code(&row, "502") > 0, "{row}");
    cleanup(dir);
}

#[test]
fn php_fpm_stopping_before_caddy_gives_502s() {
    let Some((row, dir)) = run_seed("caddy-fpm-first") else { return };
    assert!(code(&row, "502") > 0, "{row}");
    cleanup(dir);
}
