//! `lameduck report` end to end: a lab run directory in, a report file out; bad input gets a
//! clear error, exit status 2 and no file.
use std::process::ExitCode;

use lameduck_report::cli::{execute, Args};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lab-result.json");

#[test]
fn a_lab_run_directory_renders_its_result_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(FIXTURE, dir.path().join("result.json")).expect("copy fixture");
    let output = dir.path().join("lab.html");
    assert_eq!(
        execute(Args {
            command: None,
            input: Some(dir.path().to_path_buf()),
            output: output.clone()
        }),
        ExitCode::SUCCESS
    );
    let html = std::fs::read_to_string(&output).expect("report written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h1>Lab report</h1>"));
    assert!(html.contains("nginx-sigterm"));
}

#[test]
fn unrecognised_input_fails_without_writing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("other.json");
    std::fs::write(&input, "{\"kind\": \"something else\"}\n").expect("write input");
    let output = dir.path().join("out.html");
    assert_eq!(
        execute(Args { command: None, input: Some(input), output: output.clone() }),
        ExitCode::from(2)
    );
    assert!(!output.exists());
    let missing = dir.path().join("missing.jsonl");
    assert_eq!(
        execute(Args { command: None, input: Some(missing), output: output.clone() }),
        ExitCode::from(2)
    );
    assert!(!output.exists());
    // No temp file is left behind either.
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).expect("list").flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("other.json")]);
}
