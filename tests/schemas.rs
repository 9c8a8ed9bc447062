//! Real output validates against the JSON Schemas checked into docs/schema/: `lameduck load
//! --format json` and its `--timeline` lines against real nginx, `lameduck check --format
//! json` on a rule's fixture, and lab `result.json` files a real lab run wrote.
use std::path::Path;
use std::process::Command;

use lameduck_testkit::{Stack, StackOptions};

fn schema(name: &str) -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("docs/schema/{name}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, what: &str, text: &str) {
    let value: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{what} does not match its schema: {errors:?}\n{text}");
}

fn lameduck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lameduck")).args(args).output().unwrap()
}

#[test]
fn a_load_report_and_every_timeline_line_match_their_schemas() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let timeline = dir.path().join("run.jsonl");
    let (ok, down) = (stack.url("/ok"), stack.url("/status.php?code=502"));
    let out = lameduck(&[
        "load",
        &ok,
        &down,
        "-s",
        "const(20,2s)",
        "--exec-at",
        "500ms",
        "true",
        "--fail-on",
        "http(5xx)>0",
        "--format",
        "json",
        "-q",
        "--timeline",
        timeline.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = schema("load-report");
    assert_valid(&report, "the --format json report", &stdout);
    let line_schema = schema("load-timeline-line");
    let lines = std::fs::read_to_string(&timeline).unwrap();
    let mut types = std::collections::BTreeSet::new();
    for line in lines.lines() {
        assert_valid(&line_schema, "a --timeline line", line);
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        types.insert(value["type"].as_str().unwrap().to_string());
    }
    assert_eq!(types.into_iter().collect::<Vec<_>>(), ["event", "header", "second", "summary"]);

    // The schema holds the fields by name: a renamed one does not pass.
    let renamed = stdout.replace("\"requests\"", "\"request_count\"");
    let value: serde_json::Value = serde_json::from_str(&renamed).unwrap();
    assert!(!report.is_valid(&value), "a report without `requests` must not validate");
}

#[test]
fn a_check_report_matches_its_schema() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/check/tests/fixtures/LD001/fires");
    let out = lameduck(&["check", "--format", "json", fixture.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_valid(
        &schema("check-report"),
        "check --format json",
        &String::from_utf8_lossy(&out.stdout),
    );
}

#[test]
fn lab_results_match_their_schema_even_without_schema_version() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/report/tests/fixtures");
    let validator = schema("lab-result");
    for name in ["lab-result.json", "lab-causes.json"] {
        let text = std::fs::read_to_string(fixtures.join(name)).unwrap();
        assert_valid(&validator, name, &text);
    }
}
