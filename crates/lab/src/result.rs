//! Results: per scenario (counts, termination times, verdict, timeline, events, pod phases),
//! the human table, and the JSON forms (summary on stdout, everything in `result.json`).
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

/// The summary printed by `--output json`.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
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
        Self { run_dir, scenarios }
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

/// Where the failed requests came from: the ingress's final upstream failures by cause, and 5xx
/// answered by the pod itself (nginx's 502 when php-fpm is gone).
fn origins(r: &ScenarioResult) -> String {
    let mut causes: BTreeMap<String, u64> = BTreeMap::new();
    for f in r.upstream_failures.iter().filter(|f| f.status.is_some()) {
        let cause = serde_json::to_value(f.cause)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        *causes.entry(cause).or_default() += 1;
    }
    let pod = r.events.iter().filter(|e| e.kind == "pod-5xx").count();
    if pod > 0 {
        causes.insert("pod".into(), pod as u64);
    }
    causes.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

fn count(map: &BTreeMap<String, u64>, key: &str) -> u64 {
    map.get(key).copied().unwrap_or(0)
}

/// The table printed for `--format text`; `color` colours the verdicts.
pub fn table(results: &[ScenarioResult], color: bool) -> String {
    let header = [
        "scenario",
        "article reports",
        "reqs",
        "failed",
        "502",
        "503",
        "504",
        "refused",
        "reset",
        "closed",
        "timeout",
        "term med/max",
        "verdict",
        "5xx from (ingress causes, pod)",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in results {
        let other_codes: u64 = r
            .codes
            .iter()
            .filter(|(k, _)| {
                !k.starts_with('2')
                    && !k.starts_with('3')
                    && !["502", "503", "504"].contains(&k.as_str())
            })
            .map(|(_, v)| v)
            .sum();
        let mut failed = r.failed.to_string();
        if other_codes > 0 {
            failed.push_str(&format!(" ({other_codes} other)"));
        }
        rows.push(vec![
            r.name.clone(),
            r.article.clone(),
            r.requests.to_string(),
            failed,
            count(&r.codes, "502").to_string(),
            count(&r.codes, "503").to_string(),
            count(&r.codes, "504").to_string(),
            count(&r.net, "refused").to_string(),
            count(&r.net, "reset").to_string(),
            count(&r.net, "closed").to_string(),
            count(&r.net, "timeout").to_string(),
            format!("{:.1}s/{:.1}s", r.termination_seconds.median, r.termination_seconds.max),
            r.verdict.clone(),
            origins(r),
        ]);
    }
    // Columns about the articles mean nothing for scenarios that state no expectation.
    let keep = |column: &str| match column {
        "article reports" => results.iter().any(|r| !r.article.is_empty()),
        "verdict" => results.iter().any(|r| r.verdict != NO_EXPECTATION),
        _ => true,
    };
    let kept: Vec<bool> = header.iter().map(|h| keep(h)).collect();
    for row in &mut rows {
        let mut column = kept.iter();
        row.retain(|_| *column.next().unwrap_or(&true));
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let verdict_column = rows[0].iter().position(|h| h == "verdict");
    let mut out = String::new();
    for (n, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                // Padding outside the escape codes, which take no width.
                let padding = " ".repeat(widths[i] - c.chars().count());
                if n > 0 && Some(i) == verdict_column {
                    format!("{}{padding}", crate::color::verdict(c, c, color))
                } else {
                    format!("{c}{padding}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if n == 0 {
            out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
            out.push('\n');
        }
    }
    out
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
mod tests {
    use super::*;

    fn scenario(expect: &str) -> Scenario {
        let text = format!(
            "name: t\n{expect}load: {{schedule: \"const(1, 1s)\"}}\npod:\n  containers:\n    - {{name: web, image: nginx, ports: [{{containerPort: 80}}]}}\n"
        );
        crate::scenario::parse_str("t.yaml", &text).unwrap()
    }

    /// A finished run of `scenario` with `failed` of 10 requests failed.
    fn result_of(scenario: &Scenario, failed: u64) -> ScenarioResult {
        let (verdict, reason) = verdict(scenario, failed, &[1.0]);
        ScenarioResult {
            name: scenario.name.clone(),
            description: String::new(),
            article: scenario.article.clone(),
            expected: expected_text(scenario),
            requests: 10,
            failed,
            codes: BTreeMap::from([("200".into(), 10 - failed), ("502".into(), failed)]),
            net: BTreeMap::new(),
            termination_seconds: Termination::of(&[1.0]),
            verdict,
            reason,
            dir: String::new(),
            load_started_ms: 0,
            timeline: vec![],
            events: vec![],
            pods: vec![],
            upstream_failures: vec![],
        }
    }

    #[test]
    fn your_scenarios_show_no_article_columns() {
        let mine = table(&[result_of(&scenario(""), 0)], false);
        assert!(!mine.contains("article") && !mine.contains("verdict"), "{mine}");
        assert!(!mine.contains(NO_EXPECTATION), "{mine}");
        let seed = crate::seeds::all().remove(0);
        let seeds = table(&[result_of(&seed, 0), result_of(&scenario(""), 0)], false);
        assert!(seeds.contains("article reports") && seeds.contains("verdict"), "{seeds}");
        assert!(seeds.contains(&seed.article), "{seeds}");
        let expecting = table(&[result_of(&scenario("expect: {failed: none}\n"), 0)], false);
        assert!(expecting.contains("reproduced") && !expecting.contains("article"), "{expecting}");
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
