//! A user scenario file: rolling update (maxSurge 1, maxUnavailable 0) gated by an httpGet
//! readiness probe, on graceful pods — no request may fail and every old pod is replaced.
use std::process::Command;

use serde_json::Value;

use lameduck_testkit::is_root;

fn lab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
}

#[test]
fn readiness_gated_rollout_of_graceful_pods_drops_nothing() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dump = lab().args(["--dump", "nginx-sigquit-prestop-sleep"]).output().unwrap();
    assert!(dump.status.success());
    let text = String::from_utf8(dump.stdout).unwrap();
    let text = text
        .replace("name: nginx-sigquit-prestop-sleep", "name: rollout")
        .replace("replicas: 4", "replicas: 2")
        .replace(
            "  - at: 2s\n    scale: 1\n",
            "  - at: 1s\n    rollout: {maxSurge: 1, maxUnavailable: 0}\n",
        )
        .replacen("tcpSocket: {port: 80}", "httpGet: {path: \"/?ms=0\", port: 80}", 1)
        .replace("/bin/sleep\", \"5\"", "/bin/sleep\", \"2\"")
        .replace("const(6, 12s)", "const(6, 10s)");
    assert!(text.contains("rollout:") && text.contains("httpGet"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rollout.yaml");
    std::fs::write(&file, text).unwrap();
    let out = lab()
        .arg(&file)
        .args(["--output", "json", "--run-dir"])
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let row = &summary["scenarios"][0];
    let events = std::fs::read_to_string(dir.path().join("run/rollout/events.log")).unwrap();
    assert_eq!(row["failed"], 0, "{row}\n{events}");
    assert_eq!(row["verdict"], "reproduced", "{row}");
    for new in ["pod-3", "pod-4"] {
        assert!(
            events.lines().any(|l| l.contains(new) && l.contains("endpoint-added")),
            "{new} joined:\n{events}"
        );
    }
    for old in ["pod-1", "pod-2"] {
        assert!(
            events.lines().any(|l| l.contains(old) && l.contains("deleted")),
            "{old} replaced:\n{events}"
        );
    }
    // maxUnavailable 0: a new pod is ready before the old one it replaces is deleted.
    let first = |needle: &str| events.lines().position(|l| l.contains(needle)).unwrap();
    assert!(
        first("pod-3                  endpoint-added") < first("pod-1                  deleted"),
        "{events}"
    );
}
