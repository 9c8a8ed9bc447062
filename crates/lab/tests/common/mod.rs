//! What the lab's integration tests share: the root check and running `lameduck-lab` on
//! scenario files with a JSON summary.
// Each test file is its own crate and uses only part of this.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use serde_json::Value;

pub use lameduck_testkit::is_root;

/// The lab's summary of one run.
pub struct LabRun {
    pub summary: Value,
    pub stderr: String,
    pub status: ExitStatus,
}

impl LabRun {
    /// The summary row of scenario `name`.
    pub fn row(&self, name: &str) -> Value {
        self.summary["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["name"] == name)
            .unwrap_or_else(|| panic!("no row {name}: {}", self.summary))
            .clone()
    }
}

/// Runs the scenario `files` with `--format json`, logs under `run_dir`.
pub fn run_lab(files: &[PathBuf], run_dir: &Path) -> LabRun {
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .args(files)
        .args(["--format", "json", "--run-dir"])
        .arg(run_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let summary: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON summary ({e}):\n{stderr}"));
    LabRun { summary, stderr, status: out.status }
}

/// The built-in scenario `name` as a file's text (`--dump`), with each `(from, to)` of `edits`
/// made once; every `from` must be there.
pub fn dumped(name: &str, edits: &[(&str, &str)]) -> String {
    let out =
        Command::new(env!("CARGO_BIN_EXE_lameduck-lab")).args(["--dump", name]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    edits.iter().fold(text, |text, (from, to)| {
        assert!(text.contains(from), "{name} has `{from}`");
        text.replacen(from, to, 1)
    })
}

/// Scenario `name`'s entry in the run's result.json (events, kinds, upstream failures, ...).
pub fn result_row(run_dir: &Path, name: &str) -> Value {
    let result: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("result.json")).unwrap()).unwrap();
    result["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scenario {name} in result.json"))
        .clone()
}
