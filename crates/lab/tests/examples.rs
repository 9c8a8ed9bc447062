//! Every example of deploy/examples runs in the lab unchanged (its Deployment and ConfigMaps
//! read through `manifests:`) and loses no request while it is scaled down under load. The
//! scenarios are deploy/lab's, shortened: 2 replicas, a shorter load.
mod common;

use std::path::{Path, PathBuf};

use common::{is_root, run_lab};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// deploy/lab/example-LAYOUT.yaml with absolute manifest paths and a shorter run.
fn shortened(layout: &str, dir: &Path) -> PathBuf {
    let lab = repo().join("deploy/lab");
    let text = std::fs::read_to_string(lab.join(format!("example-{layout}.yaml"))).unwrap();
    let mut doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let manifests: Vec<String> = serde_yaml::from_value(doc["manifests"].clone()).unwrap();
    let absolute: Vec<String> =
        manifests.iter().map(|m| lab.join(m).display().to_string()).collect();
    doc["manifests"] = serde_yaml::to_value(absolute).unwrap();
    doc["replicas"] = 2.into();
    doc["load"]["schedule"] = "const(4, 9s)".into();
    doc["actions"] = serde_yaml::from_str("[{at: 1s, scale: 1}]").unwrap();
    let file = dir.join(format!("{layout}.yaml"));
    std::fs::write(&file, serde_yaml::to_string(&doc).unwrap()).unwrap();
    file
}

#[test]
fn every_example_scales_down_under_load_without_failed_requests() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layouts =
        ["two-containers", "one-container", "native-sidecar", "apache-mod-php", "caddy-php-fpm"];
    let files: Vec<PathBuf> = layouts.iter().map(|l| shortened(l, dir.path())).collect();
    let run = run_lab(&files, &dir.path().join("run"));
    let (summary, stderr) = (&run.summary, &run.stderr);
    let rows = summary["scenarios"].as_array().unwrap();
    assert_eq!(rows.len(), layouts.len(), "{summary}\n{stderr}");
    for row in rows {
        let requests = row["requests"].as_u64().unwrap();
        assert!(requests >= 30, "the load ran: {row}");
        assert_eq!(row["failed"], 0, "{row}\n{stderr}");
        assert_eq!(row["verdict"], "reproduced", "{row}");
    }
    let events =
        std::fs::read_to_string(dir.path().join("run/example-two-containers/events.log")).unwrap();
    assert!(events.contains("pod-2"), "replicas overridden to 2 and one deleted:\n{events}");
    assert!(events.contains("prestop-start"), "the example's preStop hooks ran:\n{events}");
    assert!(run.status.success(), "{stderr}");
}
