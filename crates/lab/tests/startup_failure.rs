//! A container that fails at start-up is named, with how it ended and the end of its log, and
//! the scenario's events.log keeps what happened up to the failure.
use std::process::Command;

mod common;

/// nginx with a configuration it refuses: it logs `[emerg] unknown directive` and exits 1.
const BROKEN: &str = "name: broken
load: {schedule: \"const(1, 1s)\"}
configMaps:
  web: {nginx.conf: \"events {}\\nhttp { bogus_directive on; }\\n\"}
pod:
  volumes: [{name: web, configMap: {name: web}}]
  containers:
    - name: web
      image: nginx
      ports: [{containerPort: 80}]
      volumeMounts: [{name: web, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf}]
";

#[test]
fn a_container_failing_at_start_up_is_named_with_its_exit_and_log() {
    if !common::is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(&file, BROKEN).unwrap();
    let run = dir.path().join("run");
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .arg(&file)
        .arg("--run-dir")
        .arg(&run)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("pod pod-1: container `web` exited during start-up (exit code 1)"),
        "names pod, container and exit code:\n{stderr}"
    );
    assert!(stderr.contains("unknown directive \"bogus_directive\""), "quotes the log:\n{stderr}");
    let log = run.canonicalize().unwrap().join("broken/pods/pod-1/web.log");
    assert!(stderr.contains(&log.display().to_string()), "names the log file:\n{stderr}");
    assert_eq!(stderr.matches("bogus_directive").count(), 1, "said once:\n{stderr}");
    // The scenario never ran, yet its events so far and the error are in its events.log.
    let events_log = run.canonicalize().unwrap().join("broken/events.log");
    let events = std::fs::read_to_string(&events_log).expect("a failed scenario writes events.log");
    assert!(events.contains("pod-1/web") && events.contains("started"), "{events}");
    assert!(
        events.contains("the scenario could not run")
            && events.contains("container `web` exited during start-up (exit code 1)"),
        "ends with the error:\n{events}"
    );
    assert!(stderr.contains(&events_log.display().to_string()), "names events.log:\n{stderr}");
}
