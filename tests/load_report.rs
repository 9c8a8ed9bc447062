//! `lameduck load --report`: the load command and the HTML report are crates side by side, and
//! the binary joins them. Real nginx and php-fpm from the testkit.
use std::process::{Command, Output};

use lameduck_testkit::{Stack, StackOptions};

fn lameduck_load(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lameduck")).arg("load").args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn report_flag_writes_a_self_contained_html_report_with_the_failures_drawn() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("run.html");
    let url = stack.url("/status.php?code=502");
    let out =
        lameduck_load(&[&url, "-s", "const(10,1s)", "-q", "--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let wrote = format!("lameduck load: wrote {}\n", report.display());
    assert!(text(&out.stderr).contains(&wrote), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<svg"), "no chart in the report");
    assert!(html.contains("502"), "the 502s are not in the report");
    assert!(!html.contains("<script"), "the report must not need scripts");
}

#[test]
fn a_failed_exec_at_command_is_shown_in_the_report() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("run.html");
    let url = stack.url("/ok");
    let command = "lameduck-no-such-command --context nope scale deploy web --replicas=1";
    let out = lameduck_load(&[
        &url,
        "-s",
        "const(20,2s)",
        "--exec-at",
        "1s",
        command,
        "-q",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("The run failed") && html.contains("exit 127"), "no failure shown");
}
