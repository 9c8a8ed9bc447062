//! Scenario-file mistakes are reported with file, line and a hint, before anything starts.
use std::process::Command;

use lameduck_lab::scenario::{parse_str, ImageSpec};

const GOOD: &str = "name: t
load:
  schedule: const(1, 1s)
pod:
  containers:
    - name: web
      image: nginx
      ports: [{containerPort: 80}]
";

#[test]
fn a_good_file_parses() {
    let s = parse_str("t.yaml", GOOD).expect("valid scenario");
    assert_eq!(s.pod.containers[0].name, "web");
    assert_eq!(s.grace_seconds(), 30);
}

#[test]
fn unknown_field_names_file_line_and_valid_fields() {
    let text = GOOD.replace("      ports:", "      portz: [{containerPort: 80}]\n      ports:");
    let err = parse_str("t.yaml", &text).unwrap_err();
    assert_eq!(err.file, "t.yaml");
    assert_eq!(err.line, Some(8), "{err}");
    let shown = err.to_string();
    assert!(shown.starts_with("t.yaml:8:"), "{shown}");
    assert!(shown.contains("unknown field `portz`") && shown.contains("ports"), "{shown}");
    assert!(shown.contains("hint:"), "{shown}");
}

#[test]
fn bad_duration_names_the_line() {
    let text = GOOD.replace("load:\n", "ingress:\n  delay: 5 parsecs\nload:\n");
    let err = parse_str("t.yaml", &text).unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.to_string().contains("duration"), "{err}");
}

#[test]
fn unknown_image_names_the_line_and_the_table() {
    let text = GOOD.replace("image: nginx", "image: example/shop");
    let err = parse_str("t.yaml", &text).unwrap_err();
    assert_eq!(err.line, Some(7), "{err}");
    let shown = err.to_string();
    assert!(shown.contains("unknown image `example/shop`") && shown.contains("images:"), "{shown}");
}

#[test]
fn the_command_line_reports_the_file_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, GOOD.replace("image: nginx", "image: nginx\n      stopSignl: SIGQUIT"))
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab")).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:8:", path.display())), "{stderr}");
    assert!(stderr.contains("stopSignl"), "{stderr}");
}

#[test]
fn a_missing_program_names_install_deps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.yaml");
    let text = format!("{GOOD}images:\n  example/app: {{command: [no-such-program-here]}}\n")
        .replace("image: nginx", "image: example/app");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab")).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no-such-program-here") && stderr.contains("scripts/install-deps lab`"),
        "{stderr}"
    );
}

#[test]
fn manifests_supply_pod_replicas_and_config_maps() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = "apiVersion: v1
kind: ConfigMap
metadata: {name: web-conf}
data: {nginx.conf: 'events {}'}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  template:
    spec:
      terminationGracePeriodSeconds: 45
      containers:
        - name: web
          image: nginx
          ports: [{containerPort: 80}]
          startupProbe: {tcpSocket: {port: 80}}
          volumeMounts: [{name: conf, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf}]
      volumes: [{name: conf, configMap: {name: web-conf}}]
";
    std::fs::write(dir.path().join("app.yaml"), manifest).unwrap();
    let file = dir.path().join("s.yaml");
    let text = "name: t\nmanifests: [./]\nload: {schedule: \"const(1, 1s)\"}\n";
    let s = parse_str(file.to_str().unwrap(), text).expect("scenario from manifests");
    assert_eq!(s.replicas, 3);
    assert_eq!(s.grace_seconds(), 45);
    assert_eq!(s.config_maps["web-conf"]["nginx.conf"], "events {}");

    let text = "name: t\nmanifests: [./nowhere/]\nload: {schedule: \"const(1, 1s)\"}\n";
    let err = parse_str(file.to_str().unwrap(), text).unwrap_err();
    assert_eq!(err.line, Some(2), "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn a_mistake_in_the_manifests_names_the_manifest_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx
          portz: [{containerPort: 80}]
";
    std::fs::write(dir.path().join("deployment.yaml"), manifest).unwrap();
    let file = dir.path().join("s.yaml");
    let text = "name: t\nmanifests: [deployment.yaml]\nload: {schedule: \"const(1, 1s)\"}\n";
    let err = parse_str(file.to_str().unwrap(), text).unwrap_err();
    assert!(err.file.ends_with("deployment.yaml"), "{err}");
    assert_eq!(err.line, Some(10), "{err}");
    assert!(err.to_string().contains("unknown field `portz`"), "{err}");
}

#[test]
fn a_manifest_directory_gets_a_scale_down_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("shop");
    std::fs::create_dir(&app).unwrap();
    let manifest = "apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  replicas: 1
  template:
    spec:
      containers:
        - {name: web, image: nginx, ports: [{containerPort: 80}]}
";
    std::fs::write(app.join("deployment.yaml"), manifest).unwrap();
    let s = lameduck_lab::scenario::for_manifest_dir(&app, &Default::default())
        .expect("default scenario");
    assert_eq!(s.name, "shop");
    assert_eq!(s.replicas, 2, "at least one pod to delete");
    assert_eq!(s.actions.len(), 1);
    assert_eq!(s.actions[0].scale, Some(1));
    assert_eq!(s.pod.containers[0].image, "nginx");

    std::fs::write(app.join("deployment.yaml"), manifest.replace("image: nginx", "image: a/b"))
        .unwrap();
    let err = lameduck_lab::scenario::for_manifest_dir(&app, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("deployment.yaml:9") && err.contains("unknown image `a/b`"), "{err}");
    assert!(err.contains("--image a/b=php-fpm"), "says how to map the image: {err}");
    let mapped = [("a/b".to_string(), ImageSpec::Program("nginx".into()))].into();
    let s = lameduck_lab::scenario::for_manifest_dir(&app, &mapped).expect("the image is mapped");
    assert_eq!(s.pod.containers[0].image, "a/b");
}

#[test]
fn a_feature_gate_needs_its_release() {
    let text = GOOD.replace(
        "load:\n",
        "kubernetes:\n  version: \"1.32\"\n  featureGates:\n    ContainerStopSignals: true\nload:\n",
    );
    let err = parse_str("t.yaml", &text).unwrap_err().to_string();
    assert!(err.starts_with("t.yaml:5:") && err.contains("from Kubernetes 1.33"), "{err}");
    let text = GOOD.replace("load:\n", "kubernetes: {featureGates: {StopSignals: true}}\nload:\n");
    let err = parse_str("t.yaml", &text).unwrap_err().to_string();
    assert!(err.contains("unknown feature gate `StopSignals`"), "{err}");
    assert!(err.contains("ContainerStopSignals"), "{err}");
}

#[test]
fn an_unknown_profile_names_the_line_and_the_closest_profile() {
    let text = GOOD.replace("load:\n", "profile: eks-abl\nload:\n");
    let err = parse_str("t.yaml", &text).unwrap_err();
    assert_eq!(err.line, Some(2), "{err}");
    let shown = err.to_string();
    assert!(shown.contains("did you mean eks-alb?") && shown.contains("ingress-nginx"), "{shown}");
}

#[test]
fn a_misspelt_distribution_or_method_names_the_line_and_the_right_spelling() {
    let text = GOOD.replace("load:\n", "ingress:\n  lag: {unifrom: [1s, 2s]}\nload:\n");
    let err = parse_str("t.yaml", &text).unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.to_string().contains("did you mean uniform?"), "{err}");

    let text = GOOD.replace(
        "  schedule: const(1, 1s)\n",
        "  schedule: const(1, 1s)\n  requests:\n    - {method: PSOT, uri: /}\n",
    );
    let err = parse_str("t.yaml", &text).unwrap_err();
    assert_eq!(err.line, Some(5), "{err}");
    assert!(err.to_string().contains("did you mean POST?"), "{err}");
}

#[test]
fn mix_and_lag_mistakes_name_their_line_and_what_to_do() {
    let cases = [
        ("ingress:\n  delay: 1s\n  lag: {uniform: [1s, 2s]}\nload:\n", 4, "lag replaces delay"),
        ("ingress:\n  lag: {uniform: [3s, 2s]}\nload:\n", 3, "wrong way round"),
    ];
    for (ingress, line, says) in cases {
        let err = parse_str("t.yaml", &GOOD.replace("load:\n", ingress)).unwrap_err();
        assert_eq!(err.line, Some(line), "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
    let load = |more: &str| {
        GOOD.replace("  schedule: const(1, 1s)\n", &format!("  schedule: const(1, 1s)\n{more}"))
    };
    let cases = [
        ("  uris: [/a]\n  requests:\n    - {uri: /}\n", 5, "both uris and requests"),
        ("  requests:\n    - {uri: /, body: 4 parsecs}\n", 5, "sizes look like"),
        ("  requests:\n    - {uri: /, body: 2MiB}\n", 5, "limit of 1MiB"),
        ("  duration: {choose: [{value: 1s, weight: 0}]}\n", 4, "weight above 0"),
    ];
    for (more, line, says) in cases {
        let err = parse_str("t.yaml", &load(more)).unwrap_err();
        assert_eq!(err.line, Some(line), "{more}: {err}");
        assert!(err.to_string().contains(says), "{more}: {err}");
    }
}

#[test]
fn alb_target_group_settings_parse_with_the_controllers_defaults() {
    let text = GOOD.replace(
        "load:\n",
        "ingress:\n  deregistrationDelay: 30s\n  healthCheck: {interval: 6s}\n  readinessGate: true\nload:\n",
    );
    let s = parse_str("t.yaml", &text).expect("valid scenario");
    let hc = s.ingress.health_check.expect("healthCheck");
    assert_eq!((hc.path.as_str(), hc.interval.to_string()), ("/", "6s".into()));
    assert_eq!(
        (hc.timeout.to_string(), hc.healthy_threshold, hc.unhealthy_threshold),
        ("5s".into(), 2, 2)
    );
    assert!(s.ingress.readiness_gate);
    assert_eq!(s.ingress.deregistration_delay.to_string(), "30s");
    let s = parse_str("t.yaml", GOOD).unwrap();
    assert_eq!(s.ingress.deregistration_delay.to_string(), "300s", "AWS's default");
    assert!(s.ingress.health_check.is_none() && !s.ingress.readiness_gate);
}

#[test]
fn bad_alb_target_group_settings_name_the_field_and_its_line() {
    for (ingress, line, field) in [
        ("  healthCheck: {interval: 10s, timeout: 10s}\n", 3, "ingress.healthCheck.timeout"),
        ("  healthCheck:\n    interval: 2s\n", 3, "shorter than its interval (2s)"),
        ("  healthCheck:\n    healthyThreshold: 0\n", 4, "ingress.healthCheck.healthyThreshold"),
        ("  healthCheck:\n    path: health\n", 4, "ingress.healthCheck.path"),
        ("  readinessGate: true\n", 3, "ingress.readinessGate needs ingress.healthCheck"),
        ("  model: nginx\n  healthCheck: {}\n", 4, "ingress.healthCheck is a setting of the `alb`"),
    ] {
        let text = GOOD.replace("load:\n", &format!("ingress:\n{ingress}load:\n"));
        let err = parse_str("t.yaml", &text).unwrap_err();
        assert_eq!(err.line, Some(line), "{err}");
        assert!(err.to_string().contains(field), "{err}");
        assert!(err.to_string().contains("hint:"), "{err}");
    }
}
