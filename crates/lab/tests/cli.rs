//! The conventions every subcommand follows: did-you-mean for unknown names, `--format`,
//! `--color`, and messages free of the program's internal names.
use std::process::{Command, Output};

use lameduck_lab::scenario::parse_str;

mod common;

/// One nginx pod, a second of load, no failure expected: a real run of about a second.
const QUICK: &str = "name: quick
expect: {failed: none}
load: {schedule: \"const(2, 1s)\"}
pod:
  containers:
    - {name: web, image: nginx, ports: [{containerPort: 80}]}
";

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

#[test]
fn output_json_still_works_with_a_note_to_use_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("missing.yaml");
    // A program that is not installed stops the run right after the arguments are read.
    let text = format!("{QUICK}images: {{nginx: {{command: [no-such-program-here]}}}}\n");
    std::fs::write(&file, text).unwrap();
    let out = lab(&[file.to_str().unwrap(), "--output", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("--output is deprecated").count(), 1, "{stderr}");
    assert!(stderr.contains("use --format json"), "{stderr}");
    let out = lab(&["seeds", "--output", "json", "--format", "text"]);
    assert_eq!(out.status.code(), Some(2), "the two spellings conflict");
    let out = lab(&["seeds", "--format", "xml"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("text, json"));
}

#[test]
fn color_always_colours_the_verdicts() {
    if !common::is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("quick.yaml");
    std::fs::write(&file, QUICK).unwrap();
    let run = dir.path().join("run");
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .arg(&file)
        .args(["--color", "always", "--run-dir"])
        .arg(&run)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("\x1b[32mreproduced\x1b[0m"), "always wins over NO_COLOR:\n{stdout}");
    assert!(stderr.contains("\x1b[32mreproduced\x1b[0m"), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .arg(&file)
        .args(["--color", "auto", "--run-dir"])
        .arg(dir.path().join("run2"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("reproduced") && !stdout.contains('\x1b'),
        "a pipe is not coloured:\n{stdout}"
    );
}
