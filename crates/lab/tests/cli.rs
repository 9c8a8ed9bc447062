//! The conventions every subcommand follows: did-you-mean for unknown names, `--format`,
//! `--color`, and messages free of the program's internal names.
use std::process::{Command, Output};

use lameduck_lab::scenario::parse_str;

fn lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lameduck-lab")).args(args).output().unwrap()
}

#[test]
fn an_unknown_only_name_offers_the_close_one_and_lists_them() {
    let out = lab(&["seeds", "--only", "nginx-sigtem"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("lameduck lab: --only nginx-sigtem"), "{stderr}");
    assert!(stderr.contains("did you mean nginx-sigterm?"), "{stderr}");
    assert!(stderr.contains("alb-keepalive") && stderr.contains("prestop-sleep-30"), "{stderr}");
    // One good and one mistyped: the typo is not silently dropped.
    let out = lab(&["seeds", "--only", "alb-", "--only", "fpm-sleep-shortr"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean fpm-sleep-shorter?"), "{stderr}");
    let out = lab(&["--dump", "alb-keepalve"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean alb-keepalive?"), "{stderr}");
}

#[test]
fn scenario_errors_show_no_internal_type_names() {
    let good = "name: t\nload: {schedule: \"const(1, 1s)\"}\npod:\n  containers:\n    - {name: web, image: nginx, ports: [{containerPort: 80}]}\n";
    let cases = [
        good.replace("image: nginx,", "image: nginx, readinessProbe: {httpGet: {port: [1]}},"),
        format!("{good}images: {{shop: 5}}\n"),
        good.replace("load: {schedule: \"const(1, 1s)\"}", "load: 5"),
        good.replace("ports: [{containerPort: 80}]", "ports: [80]"),
        good.replace("pod:\n", "expect: yes\npod:\n"),
    ];
    for text in cases {
        let err = parse_str("t.yaml", &text).unwrap_err().to_string();
        for internal in ["struct ", "enum ", "PortRef", "ImageSpec", "LoadSpec", "lameduck_lab"] {
            assert!(!err.contains(internal), "`{internal}` in: {err}");
        }
        assert!(err.starts_with("t.yaml:"), "{err}");
    }
}
