//! Results: per scenario (counts, termination times, verdict, timeline, events, pod phases),
//! and the JSON forms (summary on stdout, everything in `result.json`); `table.rs` prints them.
use lameduck_load::SecondRecord;

use crate::scenario::{ExpectFailed, Scenario};

pub use lameduck_core::schema::{
    LabResult, LabSummary as Summary, ScenarioResult, Termination, Verdict,
    LAB_SCHEMA_VERSION as SCHEMA_VERSION,
};

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
pub fn verdict(s: &Scenario, failed: u64, termination: &[f64]) -> (Verdict, String) {
    let Some(e) = &s.expect else { return (Verdict::NoExpectation, String::new()) };
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
        (Verdict::Reproduced, String::new())
    } else {
        (Verdict::NotReproduced, problems.join("; "))
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
    fn verdicts_follow_the_expectation() {
        let some = scenario("expect: {failed: some}\n");
        assert_eq!(verdict(&some, 3, &[1.0]).0, Verdict::Reproduced);
        assert_eq!(verdict(&some, 0, &[1.0]).0, Verdict::NotReproduced);
        let none = scenario("expect: {failed: none, terminationAtLeast: 30s}\n");
        assert_eq!(verdict(&none, 0, &[30.2, 31.0]).0, Verdict::Reproduced);
        let (v, why) = verdict(&none, 0, &[30.2, 12.0]);
        assert_eq!(v, Verdict::NotReproduced);
        assert!(why.contains("30s"), "{why}");
        assert_eq!(verdict(&scenario(""), 5, &[]).0, Verdict::NoExpectation);
    }
}
