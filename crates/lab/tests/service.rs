//! `model: service`: clients reach nginx + php-fpm pods through a ClusterIP VIP that real
//! nftables rules, shaped as kube-proxy's, DNAT to the pods. Each pod's nginx logs, for every
//! request, its connection's number and age, so the tests see which pod took which connection
//! and when; the data plane's `syncs.log` says when each rule sync happened and what it held.
//!
//! The built-in `nginx-sigquit-prestop-sleep` is the base: its preStop `sleep 5` keeps a
//! deleted pod serving (and its readiness probe passing) for 5 s.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{is_root, run_lab, LabRun};

/// nginx logs `$connection $connection_requests $msec $request_time $connection_time` and
/// closes a connection after 5 requests, so that new connections keep coming.
const LOG_FORMAT: &str = "log_format conns '$connection $connection_requests $msec $request_time $connection_time';\n    access_log /dev/stdout conns;\n    keepalive_requests 5;";

/// The base seed behind `model: service`, with `edits` (YAML, merged at the top level).
fn scenario(dir: &Path, name: &str, edits: &str) -> PathBuf {
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .args(["--dump", "nginx-sigquit-prestop-sleep"])
        .output()
        .unwrap();
    let mut doc: serde_yaml::Value = serde_yaml::from_slice(&out.stdout).unwrap();
    doc["name"] = name.into();
    doc["ingress"] = serde_yaml::from_str("{model: service, delay: 0s, jitter: 0s}").unwrap();
    let conf = doc["configMaps"]["nginx"]["nginx.conf"].as_str().unwrap().to_string();
    assert!(conf.contains("access_log /dev/stdout;"), "{conf}");
    doc["configMaps"]["nginx"]["nginx.conf"] =
        conf.replace("access_log /dev/stdout;", LOG_FORMAT).into();
    let edits: serde_yaml::Mapping = serde_yaml::from_str(edits).unwrap();
    for (key, value) in edits {
        doc[key.as_str().unwrap()] = value;
    }
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, serde_yaml::to_string(&doc).unwrap()).unwrap();
    file
}

/// One request as a pod's nginx logged it.
#[derive(Debug)]
struct Served {
    /// The request's number on its connection (1: the connection's first).
    nth: u64,
    /// Unix times: when the request began, when its connection was accepted.
    started: f64,
    connected: f64,
}

fn served(run_dir: &Path, scenario: &str, pod: &str) -> Vec<Served> {
    let log = run_dir.join(scenario).join("pods").join(pod).join("nginx.log");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            let [_connection, nth, msec, request_time, connection_time] = f[..] else {
                return None;
            };
            let end: f64 = msec.parse().ok()?;
            Some(Served {
                nth: nth.parse().ok()?,
                started: end - request_time.parse::<f64>().ok()?,
                connected: end - connection_time.parse::<f64>().ok()?,
            })
        })
        .collect()
}

/// One line of `ingress-service/syncs.log`.
#[derive(Debug)]
struct Sync {
    unix: f64,
    rules: Vec<String>,
    why: String,
}

fn syncs(run_dir: &Path, scenario: &str) -> Vec<Sync> {
    let path = run_dir.join(scenario).join("ingress-service/syncs.log");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.lines()
        .map(|line| {
            let field = |name: &str| {
                let start = line.find(&format!("{name}=")).unwrap() + name.len() + 1;
                let rest = &line[start..];
                rest[..rest.find(' ').unwrap_or(rest.len())].to_string()
            };
            let rules = field("rules");
            let rules = rules.trim_matches(['[', ']']);
            Sync {
                unix: field("unix").parse().unwrap(),
                rules: rules.split(',').filter(|p| !p.is_empty()).map(String::from).collect(),
                why: line[line.find("why=").unwrap() + 4..].to_string(),
            }
        })
        .collect()
}

/// When the rules first left `pod` out after having it.
fn removed_at(syncs: &[Sync], pod: &str) -> f64 {
    let had = syncs.iter().position(|s| s.rules.iter().any(|p| p == pod)).expect("pod in rules");
    syncs[had..].iter().find(|s| !s.rules.iter().any(|p| p == pod)).expect("pod removed").unix
}

/// A finished run of one scenario, with its run directory.
struct Run {
    lab: LabRun,
    run_dir: PathBuf,
    _dir: tempfile::TempDir,
}

/// Runs the base seed with `edits` as scenario `name`; `None` (skipped) without root.
fn run(name: &str, edits: &str) -> Option<Run> {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), name, edits);
    let run_dir = dir.path().join("run");
    Some(Run { lab: run_lab(&[file], &run_dir), run_dir, _dir: dir })
}

/// Slack for a connect or a request that began just before a sync but that nginx accepted or
/// logged after it (generous: a busy machine delays nginx's accept).
const SLACK: f64 = 0.2;

#[test]
fn new_connections_leave_a_removed_pod_while_kept_alive_ones_stay() {
    let Some(Run { lab, run_dir, _dir }) = run(
        "service-keepalive",
        r#"{replicas: 2, load: {schedule: "const(30, 6s)", uris: ["/?ms=300"], keepalive: true},
            actions: [{at: 2s, delete: pod-2}]}"#,
    ) else {
        return;
    };
    let row = lab.row("service-keepalive");
    assert!(row["requests"].as_u64().unwrap() >= 150, "the load ran: {row}\n{}", lab.stderr);
    let (one, two) = (
        served(&run_dir, "service-keepalive", "pod-1"),
        served(&run_dir, "service-keepalive", "pod-2"),
    );
    assert!(!one.is_empty() && !two.is_empty(), "the VIP reached both pods:\n{}", lab.stderr);
    let removed = removed_at(&syncs(&run_dir, "service-keepalive"), "pod-2");
    let late_connections: Vec<_> = two.iter().filter(|r| r.connected > removed + SLACK).collect();
    assert!(late_connections.is_empty(), "no new connection reached pod-2: {late_connections:?}");
    assert!(
        one.iter().any(|r| r.nth == 1 && r.connected > removed + SLACK),
        "new connections went to pod-1 after the removal"
    );
    let kept = two.iter().find(|r| r.nth > 1 && r.started > removed + SLACK);
    assert!(
        kept.is_some(),
        "a connection to pod-2 made before the removal carried requests after it (conntrack)"
    );
    let reused = kept.unwrap();
    assert!(reused.connected < removed, "{reused:?} was accepted before the removal");
}

#[test]
fn serving_terminating_pods_take_new_connections_when_none_is_ready() {
    let Some(Run { lab, run_dir, _dir }) = run(
        "service-fallback",
        r#"{replicas: 2, load: {schedule: "const(10, 5s)", uris: ["/?ms=20"], keepalive: false},
            actions: [{at: 2s, scale: 0}]}"#,
    ) else {
        return;
    };
    let row = lab.row("service-fallback");
    assert!(row["requests"].as_u64().unwrap() >= 40, "the load ran: {row}\n{}", lab.stderr);
    assert_eq!(row["failed"], 0, "the terminating pods kept serving: {row}\n{}", lab.stderr);
    let syncs = syncs(&run_dir, "service-fallback");
    let fallback = syncs
        .iter()
        .find(|s| s.why.contains("KEP-1669"))
        .unwrap_or_else(|| panic!("a sync fell back to terminating endpoints: {syncs:?}"));
    assert_eq!(fallback.rules, ["pod-1", "pod-2"]);
    let after: usize = ["pod-1", "pod-2"]
        .iter()
        .map(|pod| {
            served(&run_dir, "service-fallback", pod)
                .iter()
                .filter(|r| r.connected > fallback.unix + SLACK)
                .count()
        })
        .sum();
    assert!(after >= 10, "new connections reached the terminating pods ({after})");
}

#[test]
fn changes_faster_than_min_sync_period_wait_and_are_applied_together() {
    // Two syncs in a row are allowed (burstSyncs = 2); the third deletion comes 0.5 s after the
    // first, half a token short, so it waits and the fourth, 0.25 s later, joins it.
    let Some(Run { lab, run_dir, _dir }) = run(
        "service-cadence",
        r#"{replicas: 5, load: {schedule: "const(4, 5s)", uris: ["/?ms=20"], keepalive: false},
            actions: [{at: 2s, delete: pod-5}, {at: 2.25s, delete: pod-4},
                      {at: 2.5s, delete: pod-3}, {at: 2.75s, delete: pod-2}]}"#,
    ) else {
        return;
    };
    let syncs = syncs(&run_dir, "service-cadence");
    let all: Vec<Vec<String>> = syncs.iter().map(|s| s.rules.clone()).collect();
    // The syncs from the one with every pod on: the deletions' (the pods' adds come before).
    let full = all.iter().position(|r| r.len() == 5).unwrap_or_else(|| panic!("{all:?}"));
    let rules = &all[full..];
    let seen = |pods: &[&str]| rules.iter().any(|r| r == pods);
    assert!(seen(&["pod-1", "pod-2", "pod-3", "pod-4"]), "{rules:?}\n{}", lab.stderr);
    assert!(seen(&["pod-1", "pod-2", "pod-3"]), "the second deletion had a sync: {rules:?}");
    assert!(!seen(&["pod-1", "pod-2"]), "the third deletion was not applied alone: {rules:?}");
    assert!(seen(&["pod-1"]), "the third and fourth were applied together: {rules:?}");
}
