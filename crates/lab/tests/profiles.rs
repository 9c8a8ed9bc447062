//! Cluster profiles and endpoint-lag distributions with real pods: a scenario's `profile:`
//! under its own `ingress:` fields, the lag drawn from the seed (the same seed, the same lags),
//! and `--profile` on the command line.
mod common;

use std::path::Path;
use std::process::Command;

use common::{dumped, is_root, result_row, run_lab};

/// Three pods (SIGQUIT, no preStop) scaled to one, with the given top-level lines and `ingress:` fields.
fn scenario(name: &str, top: &str, ingress: &str) -> String {
    let renamed = format!("name: {name}");
    let edits = [
        ("name: nginx-sigquit", renamed.as_str()),
        ("replicas: 4", "replicas: 3"),
        ("const(6, 10s)", "const(4, 6s)"),
    ];
    let text = dumped("nginx-sigquit", &edits);
    let start = text.find("ingress:\n").unwrap();
    let end = text.find("load:\n").unwrap();
    format!("{}{top}ingress: {{{ingress}}}\n{}", &text[..start], &text[end..])
}

/// The lags drawn for the deleted pods, from the event log (`… reaches the ingress in N ms`),
/// smallest first: the seed fixes the values drawn, while which of two pods deleted together
/// gets which follows the order they became ready in.
fn drawn_lags(run_dir: &Path, name: &str) -> Vec<u64> {
    let row = result_row(run_dir, name);
    let mut lags: Vec<u64> = row["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "deleted")
        .map(|e| {
            let detail = e["detail"].as_str().unwrap();
            let ms = detail.split("reaches the ingress in ").nth(1).unwrap();
            ms.trim_end_matches(" ms").parse().unwrap()
        })
        .collect();
    lags.sort();
    lags
}

fn events_of(run_dir: &Path, name: &str) -> String {
    std::fs::read_to_string(run_dir.join(name).join("events.log")).unwrap()
}

#[test]
fn profiles_fill_in_what_ingress_does_not_give_and_lags_follow_the_seed() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let lag = "lag: {uniform: [100ms, 3s]}";
    let files = [
        ("seed-5", "seed: 5\n".to_string(), lag.to_string()),
        ("seed-5-again", "seed: 5\n".into(), lag.into()),
        ("seed-6", "seed: 6\n".into(), lag.into()),
        // The profile's data plane (real nginx) and lag, nothing given.
        ("profile", "profile: ingress-nginx\n".into(), String::new()),
        // The profile's lag, the scenario's own data plane.
        ("profile-alb", "profile: ingress-nginx\n".into(), "model: alb".into()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = files
        .iter()
        .map(|(name, top, ingress)| {
            let path = dir.path().join(format!("{name}.yaml"));
            let text = scenario(name, top, ingress);
            // The dump has its own `seed: 7`; the one given here comes first and must win.
            let text = if top.starts_with("seed:") { text.replace("seed: 7\n", "") } else { text };
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    let run_dir = dir.path().join("run");
    let run = run_lab(&paths, &run_dir);
    let stderr = &run.stderr;
    // Failures are not the point here (a lag of seconds fails requests to these pods).
    for (name, ..) in &files {
        assert!(run.row(name)["requests"].as_u64().unwrap() >= 20, "{name} ran\n{stderr}");
    }
    let five = drawn_lags(&run_dir, "seed-5");
    assert_eq!(five.len(), 2, "two pods deleted: {five:?}");
    assert!(five.iter().all(|ms| (100..=3000).contains(ms)), "{five:?}");
    assert_eq!(five, drawn_lags(&run_dir, "seed-5-again"), "same seed, same lags");
    assert_ne!(five, drawn_lags(&run_dir, "seed-6"), "another seed, other lags");

    let profile = drawn_lags(&run_dir, "profile");
    assert!(profile.iter().all(|ms| *ms <= 3500), "ingress-nginx lags: {profile:?}");
    assert!(events_of(&run_dir, "profile").contains("nginx now has"), "the real nginx ran");
    let own_model = events_of(&run_dir, "profile-alb");
    assert!(!own_model.contains("nginx now has"), "model: alb wins over the profile's nginx");
    assert!(drawn_lags(&run_dir, "profile-alb").iter().all(|ms| *ms <= 3500));
}

#[test]
fn an_unknown_command_line_profile_exits_2_with_the_closest_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .args(["seeds", "--profile", "eks-abl", "--only", "nginx-sigterm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("lameduck lab: --profile"), "{stderr}");
    assert!(stderr.contains("did you mean eks-alb?"), "{stderr}");
}
