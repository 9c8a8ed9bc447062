//! Readiness keeps being probed after start-up: a pod failing its httpGet probe leaves the
//! endpoints (503s when none is left) and comes back when the probe passes again.
use std::process::Command;

use lameduck_testkit::is_root;

#[test]
fn failing_readiness_takes_pods_out_of_the_endpoints_and_back() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let lab = env!("CARGO_BIN_EXE_lameduck-lab");
    let dump = Command::new(lab).args(["--dump", "nginx-sigquit"]).output().unwrap();
    let text = String::from_utf8(dump.stdout).unwrap()
        .replace("name: nginx-sigquit", "name: flip")
        .replace("replicas: 4", "replicas: 2")
        .replace("  - at: 2s\n    scale: 1\n", "")
        // The app fails its health check (no ?ms) every other 2-second window.
        .replace(
            "      $ms = isset",
            "      if ((int) (microtime(true) / 2) % 2 == 1 && !isset($_GET['ms'])) { http_response_code(500); exit; }\n      $ms = isset",
        )
        .replacen("tcpSocket: {port: 80}", "httpGet: {path: /, port: 80}\n        periodSeconds: 1\n        failureThreshold: 1", 1)
        .replace("const(6, 10s)", "const(4, 8s)");
    assert!(text.contains("http_response_code") && text.contains("periodSeconds: 1"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flip.yaml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(lab)
        .arg(&file)
        .args(["--format", "json", "--run-dir"])
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = std::fs::read_to_string(dir.path().join("run/flip/events.log")).unwrap();
    assert!(
        events.contains("unready") && events.contains("readiness probe passes again"),
        "{events}"
    );
    assert!(
        summary["scenarios"][0]["codes"]["503"].as_u64().unwrap_or(0) > 0,
        "{summary}\n{events}"
    );
    assert!(summary["scenarios"][0]["codes"]["200"].as_u64().unwrap_or(0) > 0, "{summary}");
}
