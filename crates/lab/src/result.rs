//! Results: per scenario (counts, termination times, verdict, timeline, events, pod phases),
//! and the JSON forms (summary on stdout, everything in `result.json`); `table.rs` prints them.
use std::collections::BTreeMap;

use lameduck_load::SecondRecord;
use serde::Serialize;

use crate::events::Event;
use crate::ingress::UpstreamFailure;
use crate::kubelet::PodPhases;
use crate::scenario::{ExpectFailed, Scenario};

#[derive(Debug, Clone, Copy, Serialize, Default)]
pub struct Termination {
    pub median: f64,
    pub max: f64,
}

impl Termination {
    pub fn of(times: &[f64]) -> Self {
        if times.is_empty() {
            return Self::default();
        }
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median =
            if sorted.len() % 2 == 0 { (sorted[mid - 1] + sorted[mid]) / 2.0 } else { sorted[mid] };
        Self { median, max: *sorted.last().unwrap_or(&0.0) }
    }
}

/// Everything about one scenario run.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub description: String,
    pub article: String,
    pub expected: String,
    pub requests: u64,
    pub failed: u64,
    pub codes: BTreeMap<String, u64>,
    pub net: BTreeMap<String, u64>,
    pub termination_seconds: Termination,
    pub verdict: String,
    pub reason: String,
    /// Where this scenario's logs are.
    pub dir: String,
    /// When the load started, ms on the event log's axis (timeline second 0).
    pub load_started_ms: u64,
    pub timeline: Vec<SecondRecord>,
    pub events: Vec<Event>,
    pub pods: Vec<PodPhases>,
    pub upstream_failures: Vec<UpstreamFailure>,
}

/// The version of `result.json` and of the `--format json` summary: it changes only when a field
/// changes meaning or goes away (a new field keeps it).
pub const SCHEMA_VERSION: u32 = 1;

/// The summary printed by `--format json`.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    pub run_dir: &'a str,
    pub scenarios: Vec<SummaryRow<'a>>,
}

#[derive(Debug, Serialize)]
pub struct SummaryRow<'a> {
    pub name: &'a str,
    pub article: &'a str,
    pub requests: u64,
    pub failed: u64,
    pub codes: &'a BTreeMap<String, u64>,
    pub net: &'a BTreeMap<String, u64>,
    pub termination_seconds: Termination,
    pub verdict: &'a str,
    pub reason: &'a str,
}

impl<'a> Summary<'a> {
    pub fn of(run_dir: &'a str, results: &'a [ScenarioResult]) -> Self {
        let scenarios = results
            .iter()
            .map(|r| SummaryRow {
                name: &r.name,
                article: &r.article,
                requests: r.requests,
                failed: r.failed,
                codes: &r.codes,
                net: &r.net,
                termination_seconds: r.termination_seconds,
                verdict: &r.verdict,
                reason: &r.reason,
            })
            .collect();
        Self { schema_version: SCHEMA_VERSION, run_dir, scenarios }
    }
}

pub const REPRODUCED: &str = "reproduced";
pub const NOT_REPRODUCED: &str = "NOT reproduced";
pub const INTERRUPTED: &str = "interrupted";
/// The verdict of a scenario without `expect`.
pub const NO_EXPECTATION: &str = "no expectation";
/// The lab itself failed during the run (a panicked task): nothing was shown either way.
pub const LAB_ERROR: &str = "lab error";

pub fn expected_text(s: &Scenario) -> String {
    let Some(e) = &s.expect else { return String::new() };
    let mut text = match e.failed {
        ExpectFailed::Some => "failures".to_string(),
        ExpectFailed::None => "no failures".to_string(),
    };
    if let Some(t) = e.termination_at_least {
        text.push_str(&format!(", every pod > {t}"));
    }
    text
}

/// `reproduced` when the run shows what the scenario expects; the reason says why not.
pub fn verdict(s: &Scenario, failed: u64, termination: &[f64]) -> (String, String) {
    let Some(e) = &s.expect else { return (NO_EXPECTATION.into(), String::new()) };
    let mut problems = Vec::new();
    match e.failed {
        ExpectFailed::Some if failed == 0 => {
            problems.push("expected failed requests, got none".to_string())
        }
        ExpectFailed::None if failed > 0 => {
            problems.push(format!("expected no failed requests, got {failed}"))
        }
        _ => {}
    }
    if let Some(min) = e.termination_at_least {
        let shortest = termination.iter().copied().fold(f64::INFINITY, f64::min);
        if termination.is_empty() || shortest < min.0.as_secs_f64() {
            problems.push(format!("expected every pod to take over {min} to terminate"));
        }
    }
    if problems.is_empty() {
        (REPRODUCED.into(), String::new())
    } else {
        (NOT_REPRODUCED.into(), problems.join("; "))
    }
}

/// The per-second timeline as text (`timeline.txt` in each scenario's directory).
pub fn timeline_text(seconds: &[SecondRecord]) -> String {
    let mut out = String::from("    t   sent  compl     ok  failed  codes / network errors\n");
    for s in seconds {
        let mut what: Vec<String> = s.codes.iter().map(|(c, n)| format!("{c}:{n}")).collect();
        what.extend(s.net.iter().map(|(k, n)| format!("{k}:{n}")));
        out.push_str(&format!(
            "{:>5} {:>6} {:>6} {:>6} {:>7}  {}\n",
            s.t,
            s.sent,
            s.completed,
            s.ok,
            s.failed,
            what.join(" ")
        ));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn scenario(expect: &str) -> Scenario {
        let text = format!(
            "name: t\n{expect}load: {{schedule: \"const(1, 1s)\"}}\npod:\n  containers:\n    - {{name: web, image: nginx, ports: [{{containerPort: 80}}]}}\n"
        );
        crate::scenario::parse_str("t.yaml", &text).unwrap()
    }

    #[test]
    fn the_json_summary_carries_its_schema_version() {
        let json = serde_json::to_value(Summary::of("/tmp/run", &[])).unwrap();
        assert_eq!(json["schema_version"], SCHEMA_VERSION);
        assert_eq!(json["run_dir"], "/tmp/run");
    }

    #[test]
    fn median_and_max() {
        let t = Termination::of(&[3.0, 1.0, 2.0, 10.0]);
        assert_eq!((t.median, t.max), (2.5, 10.0));
        assert_eq!(Termination::of(&[]).max, 0.0);
    }

    #[test]
    fn verdicts_follow_the_expectation() {
        let some = scenario("expect: {failed: some}\n");
        assert_eq!(verdict(&some, 3, &[1.0]).0, REPRODUCED);
        assert_eq!(verdict(&some, 0, &[1.0]).0, NOT_REPRODUCED);
        let none = scenario("expect: {failed: none, terminationAtLeast: 30s}\n");
        assert_eq!(verdict(&none, 0, &[30.2, 31.0]).0, REPRODUCED);
        let (v, why) = verdict(&none, 0, &[30.2, 12.0]);
        assert_eq!(v, NOT_REPRODUCED);
        assert!(why.contains("30s"), "{why}");
        assert_eq!(verdict(&scenario(""), 5, &[]).0, "no expectation");
    }
}
