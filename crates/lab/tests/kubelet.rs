//! Kubelet semantics on real processes: SIGKILL at the end of the grace period, 2 more seconds
//! for a hook still running then, PID 1 ignoring signals it has no handler for, native sidecars
//! signalled after the main containers exited or the grace period ran out.
use std::process::Command;

use serde_json::Value;

use lameduck_testkit::is_root;

const SCENARIO: &str = r#"
name: kubelet
replicas: 1
ingress: {delay: 0s}
load: {schedule: "const(2, 7s)"}
actions:
  - {at: 1s, delete: pod-1}
pod:
  terminationGracePeriodSeconds: 2
  initContainers:
    - name: sidecar
      image: debian
      restartPolicy: Always
      command: [/bin/sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.05; done']
  containers:
    - name: web
      image: nginx
      ports: [{containerPort: 80}]
    - name: stubborn
      image: debian
      command: [/bin/sh, -c, 'trap "" TERM; while :; do sleep 0.05; done']
    - name: hooked
      image: debian
      command: [/bin/sleep, "1000"]
      lifecycle:
        preStop:
          exec: {command: [/bin/sleep, "30"]}
"#;

fn container<'a>(pod: &'a Value, name: &str) -> &'a Value {
    pod["containers"].as_array().unwrap().iter().find(|c| c["container"] == name).unwrap()
}

fn ms(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn grace_period_hooks_pid1_and_sidecars() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kubelet.yaml");
    std::fs::write(&file, SCENARIO).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .arg(&file)
        .arg("--run-dir")
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let result: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run/result.json")).unwrap())
            .unwrap();
    let pod = &result["scenarios"][0]["pods"][0];
    let events = std::fs::read_to_string(dir.path().join("run/kubelet/events.log")).unwrap();
    let deleted = ms(pod, "deleted_ms");

    // nginx handles SIGQUIT (its image's STOPSIGNAL) and exits by itself.
    let web = container(pod, "web");
    assert_eq!(web["signal"], "SIGQUIT", "{events}");
    assert!(web["sigkill_ms"].is_null(), "{events}");

    // PID 1 ignoring SIGTERM: SIGKILL when the grace period (2 s) is over.
    let stubborn = container(pod, "stubborn");
    assert_eq!(stubborn["signal"], "SIGTERM");
    assert!(ms(stubborn, "sigkill_ms") >= deleted + 2000, "{events}");
    assert_eq!(stubborn["exit"], "killed by SIGKILL");

    // A hook still running at the end of the grace period: signal then, SIGKILL 2 s later.
    // (`sleep` as PID 1 has no SIGTERM handler, so the signal is ignored.)
    let hooked = container(pod, "hooked");
    assert!(ms(hooked, "prestop_end_ms") >= deleted + 2000, "{events}");
    assert!(ms(hooked, "signal_ms") >= ms(hooked, "prestop_end_ms"), "{events}");
    assert!(ms(hooked, "sigkill_ms") >= ms(hooked, "signal_ms") + 2000, "{events}");
    assert_eq!(hooked["exit"], "killed by SIGKILL");

    // The native sidecar waits for the main containers to exit, but only as long as the grace
    // period lasts (`waitForTurn(containerName, gracePeriod)`): at 2 s it is signalled although
    // `hooked` still has its 2 extra seconds.
    let sidecar = container(pod, "sidecar");
    assert!(ms(sidecar, "signal_ms") >= ms(container(pod, "web"), "exit_ms"), "{events}");
    assert!(ms(sidecar, "signal_ms") >= deleted + 1900, "{events}");
    assert!(ms(sidecar, "signal_ms") < ms(hooked, "exit_ms"), "{events}");
    assert_eq!(sidecar["exit"], "exit code 0", "{events}");
}
