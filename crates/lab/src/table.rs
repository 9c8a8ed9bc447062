//! The table `--format text` prints: one row per scenario, at most 100 columns for the seeds,
//! then one line per scenario with failed requests: what the client got, and why.
//!
//! The table's columns count what the client saw; the lines below name the causes, so a word
//! such as "closed" means one thing in one place (the ingress's connection to the pod).
use std::collections::BTreeMap;

use crate::ingress::Cause;
use lameduck_core::schema::EventKind;

use crate::result::{ScenarioResult, Verdict};

/// Longer article texts are cut, so that the table fits a terminal.
const ARTICLE_WIDTH: usize = 30;

/// The table and the lines about failed requests; `color` colours the verdicts.
pub fn table(results: &[ScenarioResult], color: bool) -> String {
    let mut out = rows(results, color);
    let failures: Vec<&ScenarioResult> = results.iter().filter(|r| r.failed > 0).collect();
    if !failures.is_empty() {
        out.push_str("\nfailed requests: what the client got ← why\n");
        let width = failures.iter().map(|r| r.name.chars().count()).max().unwrap_or(0);
        for r in failures {
            out.push_str(&format!("  {:<width$}  {} ← {}\n", r.name, got(r), why(r)));
        }
    }
    out
}

/// A header, and whether it is right-aligned (numbers).
type Column = (&'static str, bool);

fn rows(results: &[ScenarioResult], color: bool) -> String {
    // Columns about the articles mean nothing for scenarios that state no expectation; a table
    // of no scenario shows every column (the header the docs show).
    let article = results.is_empty() || results.iter().any(|r| !r.article.is_empty());
    let verdict = results.is_empty() || results.iter().any(|r| r.verdict != Verdict::NoExpectation);
    let mut columns: Vec<Column> = vec![("scenario", false)];
    if article {
        columns.push(("article reports", false));
    }
    columns.extend([("reqs", true), ("failed", true), ("term med/max", false)]);
    if verdict {
        columns.push(("verdict", false));
    }
    let mut cells: Vec<Vec<String>> = vec![columns.iter().map(|c| c.0.to_string()).collect()];
    for r in results {
        let mut row = vec![r.name.clone()];
        if article {
            row.push(cut(&r.article, ARTICLE_WIDTH));
        }
        row.extend([r.requests.to_string(), r.failed.to_string(), termination(r)]);
        if verdict {
            row.push(r.verdict.name().to_string());
        }
        cells.push(row);
    }
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| cells.iter().map(|row| row[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (n, row) in cells.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, text)| {
                // Padding outside the escape codes, which take no width.
                let padding = " ".repeat(widths[i] - text.chars().count());
                let shown = if n > 0 && columns[i].0 == "verdict" {
                    crate::color::verdict(text, text, color)
                } else {
                    text.clone()
                };
                if columns[i].1 {
                    format!("{padding}{shown}")
                } else {
                    format!("{shown}{padding}")
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if n == 0 {
            out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
            out.push('\n');
        }
    }
    out
}

/// `median/max` of the deleted pods' termination, `-` when no pod was deleted.
fn termination(r: &ScenarioResult) -> String {
    if r.pods.is_empty() {
        return "-".into();
    }
    format!("{:.1}s/{:.1}s", r.termination_seconds.median, r.termination_seconds.max)
}

/// `text`, cut to `max` characters with `…`.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max - 1).collect();
    format!("{kept}…")
}

/// What the client got for its failed requests: status codes from the ingress, and errors on
/// its own connection to the ingress (`client connection reset ×1`).
fn got(r: &ScenarioResult) -> String {
    let codes = r
        .codes
        .iter()
        .filter(|(code, n)| **n > 0 && !(200..400).contains(*code))
        .map(|(code, n)| format!("{code} ×{n}"));
    let net = r
        .net
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(kind, n)| format!("client connection {kind} ×{n}"));
    codes.chain(net).collect::<Vec<_>>().join(", ")
}

/// Why: the ingress's final failure towards the pod for each 5xx it answered, by cause, and
/// the 5xx the pod answered itself (nginx's 502 when php-fpm is gone).
fn why(r: &ScenarioResult) -> String {
    let mut causes: BTreeMap<&str, u64> = BTreeMap::new();
    for f in r.upstream_failures.iter().filter(|f| f.status.is_some()) {
        *causes.entry(short(f.cause)).or_default() += 1;
    }
    let mut parts = Vec::new();
    if !causes.is_empty() {
        let listed: Vec<String> = causes.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
        parts.push(format!("ingress→pod: {}", listed.join(", ")));
    }
    let pod = r.events.iter().filter(|e| e.kind == EventKind::Pod5xx).count();
    if pod > 0 {
        parts.push(format!("pod's own 5xx ×{pod}"));
    }
    if parts.is_empty() {
        parts.push("see events.log".into());
    }
    parts.join("; ")
}

/// A cause in few words (the event log has the long form).
fn short(cause: Cause) -> &'static str {
    match cause {
        Cause::Refused => "refused",
        Cause::Reset => "reset",
        Cause::Closed => "closed before responding",
        Cause::Timeout => "no response in time",
        Cause::NoEndpoints => "no endpoints",
        Cause::Malformed => "malformed response",
        Cause::Deregistered => "deregistration delay over",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingress::UpstreamFailure;
    use crate::result::{expected_text, tests::scenario, verdict, Termination};
    use crate::scenario::Scenario;

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
            codes: BTreeMap::from([(200, 10 - failed), (502, failed)]),
            net: BTreeMap::new(),
            termination_seconds: Termination::of(&[1.0]),
            verdict,
            reason,
            dir: String::new(),
            load_started_ms: 0,
            timeline: vec![],
            events: vec![],
            pods: vec![crate::kubelet::PodPhases {
                pod: "pod-4".into(),
                deleted_ms: 2000,
                endpoint_removed_ms: None,
                gone_ms: 3000,
                termination_seconds: 1.0,
                containers: vec![],
            }],
            upstream_failures: vec![],
            kinds: vec![],
        }
    }

    #[test]
    fn your_scenarios_show_no_article_columns() {
        let mine = table(&[result_of(&scenario(""), 0)], false);
        assert!(!mine.contains("article") && !mine.contains("verdict"), "{mine}");
        assert!(!mine.contains(Verdict::NoExpectation.name()), "{mine}");
        let empty = table(&[], false);
        assert!(empty.starts_with("scenario  article reports") && empty.contains("verdict"));
        let seed = crate::seeds::all().remove(0);
        let seeds = table(&[result_of(&seed, 0), result_of(&scenario(""), 0)], false);
        assert!(seeds.contains("article reports") && seeds.contains("verdict"), "{seeds}");
        assert!(seeds.contains(&seed.article), "{seeds}");
        let expecting = table(&[result_of(&scenario("expect: {failed: none}\n"), 0)], false);
        assert!(expecting.contains("reproduced") && !expecting.contains("article"), "{expecting}");
        let mut nothing_deleted = result_of(&scenario(""), 0);
        nothing_deleted.pods.clear();
        let text = table(&[nothing_deleted], false);
        assert!(text.lines().nth(2).unwrap().ends_with("  -"), "no termination to show: {text}");
    }

    #[test]
    fn every_seed_row_fits_100_columns_even_not_reproduced() {
        let mut results: Vec<ScenarioResult> =
            crate::seeds::all().iter().map(|s| result_of(s, 9)).collect();
        for r in &mut results {
            r.requests = 1440;
            r.termination_seconds = Termination { median: 30.2, max: 30.3 };
            r.verdict = Verdict::NotReproduced;
            r.upstream_failures = (0..9)
                .map(|ms| UpstreamFailure {
                    ms,
                    pod: "pod-4".into(),
                    cause: Cause::Closed,
                    sent: true,
                    status: Some(502),
                    attempt: 1,
                })
                .collect();
        }
        let text = table(&results, false);
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{} columns: {line}", line.chars().count());
        }
    }

    #[test]
    fn closed_means_one_thing_the_ingress_connection_to_the_pod() {
        // alb-keepalive: the pod closed pooled connections; the client's own connection was fine.
        let seed = crate::seeds::all().into_iter().find(|s| s.name == "alb-keepalive").unwrap();
        let mut r = result_of(&seed, 9);
        r.upstream_failures = (0..9)
            .map(|ms| UpstreamFailure {
                ms,
                pod: "pod-4".into(),
                cause: Cause::Closed,
                sent: true,
                status: Some(502),
                attempt: 1,
            })
            .collect();
        let text = table(&[r], false);
        assert!(!text.lines().next().unwrap().contains("closed"), "no `closed` column: {text}");
        assert_eq!(text.matches("closed").count(), 1, "{text}");
        assert!(
            text.contains("alb-keepalive  502 ×9 ← ingress→pod: closed before responding ×9"),
            "{text}"
        );
    }
}
