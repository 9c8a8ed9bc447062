//! Scenarios are files users download and share: one must never change the host. Names and
//! keys that would climb out of the lab's directories, counts and durations that would exhaust
//! the machine, are errors naming file and line; what a container's command or preStop hook
//! writes outside its private directories fails, because the host's root is read-only there.
mod common;

use std::process::Command;

use lameduck_lab::scenario::parse_str;

const GOOD: &str = "name: t
load:
  schedule: const(1, 1s)
configMaps:
  web:
    nginx.conf: 'events {}'
pod:
  volumes:
    - {name: web, configMap: {name: web}}
  containers:
    - name: web
      image: nginx
      ports: [{containerPort: 80}]
      volumeMounts:
        - {name: web, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf}
";

/// Replaces `from` in the good scenario (which must contain it) and parses the result.
fn error_for(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    parse_str("s.yaml", &GOOD.replace(from, to)).expect_err(to).to_string()
}

#[test]
fn config_map_keys_cannot_name_paths() {
    for key in ["../../../../../../../../../var/tmp/x", "/var/tmp/y", "..", "a/b"] {
        let err = error_for("    nginx.conf: 'events {}'", &format!("    {key:?}: 'events {{}}'"));
        assert!(err.starts_with("s.yaml:6: configMap key"), "{key}: {err}");
        assert!(err.contains("hint:"), "{err}");
    }
}

#[test]
fn container_volume_and_object_names_follow_kubernetes() {
    let err = error_for("- name: web\n", "- name: web/var/tmp/z\n");
    assert!(err.starts_with("s.yaml:11: container name"), "{err}");
    assert!(err.contains("DNS-1123 label"), "{err}");
    let err = error_for("{name: web, configMap", "{name: ../web, configMap");
    assert!(err.starts_with("s.yaml:9: volume name"), "{err}");
    let err = error_for("configMap: {name: web}", "configMap: {name: ../../x}");
    assert!(err.contains("configMap name"), "{err}");
    let err = error_for("name: t\n", "name: ../t\n");
    assert!(err.starts_with("s.yaml:1: scenario name"), "{err}");
}

#[test]
fn mount_paths_are_absolute_without_dot_dot() {
    let err = error_for("mountPath: /etc/nginx/nginx.conf", "mountPath: /tmp/../etc/x");
    assert!(err.starts_with("s.yaml:15: mountPath"), "{err}");
    let err = error_for("mountPath: /etc/nginx/nginx.conf", "mountPath: etc/x");
    assert!(err.contains("not an absolute path"), "{err}");
}

#[test]
fn image_programs_and_scratch_cannot_name_paths() {
    let with_image = |images: &str| {
        let text = format!("{GOOD}images:\n{images}").replace("image: nginx", "image: shop");
        parse_str("s.yaml", &text).unwrap_err().to_string()
    };
    let err = with_image("  shop: {command: [nginx], programs: {../../../x: [sh]}}\n");
    assert!(err.contains("program") && err.contains("s.yaml:17"), "{err}");
    let err = with_image("  shop: {command: [nginx], scratch: [/var/../etc]}\n");
    assert!(err.contains("scratch") && err.contains("s.yaml:17"), "{err}");
}

#[test]
fn pod_counts_are_bounded() {
    let err = error_for("name: t\n", "name: t\nreplicas: 1000000000\n");
    assert!(err.starts_with("s.yaml:2: replicas: 1000000000 is more than"), "{err}");
    assert!(err.contains("64"), "{err}");
    let err = error_for("name: t\n", "name: t\nactions: [{at: 1s, scale: 65}]\n");
    assert!(err.starts_with("s.yaml:2: scale: 65"), "{err}");
    let rollouts = "name: t\nreplicas: 60\nactions: [{at: 1s, rollout: {maxSurge: 10}}]\n";
    let err = error_for("name: t\n", rollouts);
    assert!(err.contains("70 pods at once"), "{err}");
    let many = "\n    - {name: c, image: debian}".repeat(17);
    let err = error_for("  containers:\n", &format!("  initContainers:{many}\n  containers:\n"));
    assert!(err.contains("containers; the lab's limit is 16"), "{err}");
}

#[test]
fn load_is_bounded() {
    let err = error_for("const(1, 1s)", "const(1000000, 10m)");
    assert!(err.starts_with("s.yaml:3:") && err.contains("600000000 requests"), "{err}");
    let err = error_for("const(1, 1s)", "const(1, 2h)");
    assert!(err.starts_with("s.yaml:3:") && err.contains("limit is 3600s"), "{err}");
}

#[test]
fn durations_are_bounded_with_the_line() {
    let grace = "  terminationGracePeriodSeconds: 18446744073709551615\n  volumes:\n";
    let err = error_for("  volumes:\n", grace);
    assert!(err.starts_with("s.yaml:8: terminationGracePeriodSeconds"), "{err}");
    assert!(err.contains("3600"), "{err}");
    let err = error_for("name: t\n", "name: t\ningress: {delay: 2h}\n");
    assert!(err.starts_with("s.yaml:2:") && err.contains("limit of 1h"), "{err}");
    let hook =
        "ports: [{containerPort: 80}]\n      lifecycle: {preStop: {sleep: {seconds: 99999}}}";
    let err = error_for("ports: [{containerPort: 80}]", hook);
    assert!(err.starts_with("s.yaml:14: seconds: 99999"), "{err}");
}

#[test]
fn a_huge_grace_period_is_a_usage_error_not_a_reproduced_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grace.yaml");
    let text = GOOD.replace(
        "  volumes:\n",
        "  terminationGracePeriodSeconds: 18446744073709551615\n  volumes:\n",
    );
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .arg(&path)
        .arg("--run-dir")
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{}:8:", path.display())), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

const WRITER: &str = r#"
name: hostile
replicas: 1
ingress: {delay: 0s}
load: {schedule: "const(2, 2s)"}
actions:
  - {at: 500ms, delete: pod-1}
pod:
  terminationGracePeriodSeconds: 2
  containers:
    - name: web
      image: nginx
      ports: [{containerPort: 80}]
    - name: writer
      image: debian
      command:
        - /bin/sh
        - -c
        - |
          echo owned > HOST/from-command
          echo owned > VARTMP
          mount -o remount,rw / && echo remount-ok
          echo owned > HOST/after-remount
          mknod /tmp/disk b 8 0 && echo mknod-ok
          echo ok > /tmp/private && echo tmp-writable
          echo started
          exec sleep 1000
      lifecycle:
        preStop:
          exec:
            command: [/bin/sh, -c, 'echo owned > HOST/from-hook; echo ok > /tmp/hook && echo hook-tmp-writable']
"#;

#[test]
fn commands_and_hooks_cannot_write_to_the_host() {
    if !common::is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    // On the host's own filesystem, outside every directory a container gets privately
    // (/tmp, /run, /var/tmp, …): the target directory, unless the checkout itself is under one.
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let private = ["/tmp", "/run", "/var/tmp", "/var/log", "/dev/shm"];
    let base = if private.iter().any(|p| target.starts_with(p)) {
        std::path::Path::new("/var/cache")
    } else {
        target
    };
    let host = tempfile::tempdir_in(base).unwrap();
    let var_tmp =
        std::path::PathBuf::from(format!("/var/tmp/lameduck-test-{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.yaml");
    let text = WRITER
        .replace("HOST", &host.path().display().to_string())
        .replace("VARTMP", &var_tmp.display().to_string());
    std::fs::write(&file, text).unwrap();
    let run = common::run_lab(&[file], &dir.path().join("run"));
    let log = |name: &str| {
        std::fs::read_to_string(dir.path().join("run/hostile/pods/pod-1").join(name))
            .unwrap_or_default()
    };
    let (writer, hook) = (log("writer.log"), log("writer.prestop.log"));
    let written: Vec<_> =
        std::fs::read_dir(host.path()).unwrap().flatten().map(|e| e.path()).collect();
    assert!(written.is_empty(), "written on the host: {written:?}\n{writer}\n{hook}");
    let leaked = var_tmp.exists();
    let _ = std::fs::remove_file(&var_tmp);
    assert!(!leaked, "{} was written on the host", var_tmp.display());
    // The writes failed because the host is read-only, and the private directories work.
    assert!(writer.contains("Read-only file system") && writer.contains("started"), "{writer}");
    assert!(writer.contains("tmp-writable"), "{writer}");
    assert!(!writer.contains("remount-ok") && !writer.contains("mknod-ok"), "{writer}");
    assert!(hook.contains("Read-only file system") && hook.contains("hook-tmp-writable"), "{hook}");
    assert!(run.status.success(), "{}", run.stderr);
}

#[test]
fn a_full_stdout_is_an_error_message_not_a_panic() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    for args in [&["--list"][..], &["--dump", "nginx-sigterm"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
            .args(args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot write to standard output"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_closed_pipe_on_stdout_ends_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .arg("--list")
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn config_maps_are_bounded() {
    let big = "x".repeat(1 << 20);
    let err = error_for("    nginx.conf: 'events {}'", &format!("    nginx.conf: '{big}'"));
    assert!(err.starts_with("s.yaml:5: configMap `web`") && err.contains("1 MiB"), "{err}");
    // 120 pods (60, replaced by a rollout) × 3 volumes of the same 900 KiB ConfigMap.
    let file = "y".repeat(900 << 10);
    let text = GOOD
        .replace("name: t\n", "name: t\nreplicas: 60\nactions: [{at: 1s, rollout: {}}]\n")
        .replace("    nginx.conf: 'events {}'", &format!("    nginx.conf: '{file}'"))
        .replace(
            "    - {name: web, configMap: {name: web}}\n",
            "    - {name: web, configMap: {name: web}}\n    - {name: b, configMap: {name: web}}\n    - {name: c, configMap: {name: web}}\n",
        );
    let err = parse_str("s.yaml", &text).unwrap_err().to_string();
    assert!(err.contains("would stage") && err.contains("256 MiB"), "{err}");
}
