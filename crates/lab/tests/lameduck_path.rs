//! `/lameduck` works in every container and hook even when the lab's executable lives under
//! `/tmp`, which each container covers with its own tmpfs.
use std::process::Command;

use lameduck_testkit::is_root;

const SCENARIO: &str = r#"
name: lameduck-path
replicas: 1
ingress: {delay: 0s}
load: {schedule: "const(2, 3s)"}
actions:
  - {at: 1s, delete: pod-1}
pod:
  terminationGracePeriodSeconds: 5
  containers:
    - name: web
      image: nginx
      ports: [{containerPort: 80}]
    - name: shell
      image: debian
      command: [/bin/sh, -c, '/lameduck --version; exec /bin/sleep 1000']
      lifecycle:
        preStop:
          exec: {command: [/lameduck, --version]}
"#;

#[test]
fn lameduck_is_at_the_root_of_every_container() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    // Under the system temp dir (/tmp), hidden inside containers by their private /tmp.
    let bin_dir = tempfile::tempdir().unwrap();
    let exe = bin_dir.path().join("lameduck");
    std::fs::copy(env!("CARGO_BIN_EXE_lameduck-lab"), &exe).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.yaml");
    std::fs::write(&file, SCENARIO).unwrap();
    let out = Command::new(&exe)
        .arg(&file)
        .args(["--output", "json", "--run-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let pod = dir.path().join("lameduck-path/pods/pod-1");
    let read = |name: &str| std::fs::read_to_string(pod.join(name)).unwrap_or_default();
    let events = std::fs::read_to_string(dir.path().join("lameduck-path/events.log")).unwrap();
    assert!(read("shell.log").contains("lameduck-lab "), "PID 1's shell ran /lameduck:\n{stderr}");
    assert!(
        read("shell.prestop.log").contains("lameduck-lab "),
        "the preStop hook ran /lameduck:\n{events}"
    );
    assert!(events.contains("exec hook exit code 0"), "{events}");
    assert!(!std::path::Path::new("/lameduck").exists(), "nothing created on the host's /");
}
