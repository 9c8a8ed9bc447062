//! `lameduck report` end to end: a lab run directory in, a report file out; bad input gets a
//! clear error, exit status 2 and no file.
use std::process::ExitCode;

use lameduck_report::cli::{execute, Args, Format};

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
            output: Some(output.clone()),
            format: Format::Html,
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
        execute(Args {
            command: None,
            input: Some(input),
            output: Some(output.clone()),
            format: Format::Html
        }),
        ExitCode::from(2)
    );
    assert!(!output.exists());
    let missing = dir.path().join("missing.jsonl");
    assert_eq!(
        execute(Args {
            command: None,
            input: Some(missing),
            output: Some(output.clone()),
            format: Format::Html
        }),
        ExitCode::from(2)
    );
    assert!(!output.exists());
    // No temp file is left behind either.
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).expect("list").flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("other.json")]);
}

#[test]
fn format_json_turns_a_timeline_into_the_load_report_and_refuses_a_lab_result() {
    let dir = tempfile::tempdir().expect("temp dir");
    let timeline = dir.path().join("run.jsonl");
    std::fs::write(
        &timeline,
        "{\"type\":\"second\",\"t\":0,\"sent\":2,\"completed\":2,\"ok\":1,\"failed\":1,\
         \"codes\":{\"200\":1,\"502\":1},\"net\":{},\"dropped\":0,\
         \"latency_ms\":{\"p50\":1.0,\"p90\":1.0,\"p99\":1.0,\"max\":1.0}}\n",
    )
    .expect("write timeline");
    let output = dir.path().join("run.json");
    let args = |input| Args {
        command: None,
        input: Some(input),
        output: Some(output.clone()),
        format: Format::Json,
    };
    assert_eq!(execute(args(timeline)), ExitCode::SUCCESS);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&output).expect("written")).expect("JSON");
    assert_eq!((json["requests"].as_u64(), json["failed"].as_u64()), (Some(2), Some(1)));
    assert_eq!(json["codes"]["502"], 1);
    std::fs::remove_file(&output).expect("remove");
    std::fs::copy(FIXTURE, dir.path().join("result.json")).expect("copy fixture");
    assert_eq!(execute(args(dir.path().join("result.json"))), ExitCode::from(2));
    assert!(!output.exists());
}
