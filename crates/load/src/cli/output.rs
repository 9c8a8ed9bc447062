//! Human output: one plain line per second on stderr while running, and the final summary (or
//! the JSON object for `--format json`) on stdout.
use std::fmt::Write;

use std::time::Duration;

use lameduck_core::schema::TimelineHeader;

use crate::durations::format_duration;
use crate::report::{Event, ExecResult, LatencyMs, Report, SecondRecord, TIMELINE_SCHEMA_VERSION};
use crate::thresholds::{Threshold, Verdict};
use crate::Plan;

/// `t=12s sent=100 done=98 ok=90 200=90 502=8 refused=2 dropped=0 late=0 p50=3ms p99=210ms
/// max=250ms`
pub(super) fn second_line(s: &SecondRecord) -> String {
    let mut line = format!("t={}s sent={} done={} ok={}", s.t, s.sent, s.completed, s.ok);
    for (code, n) in &s.codes {
        let _ = write!(line, " {code}={n}");
    }
    for (name, n) in &s.net {
        let _ = write!(line, " {name}={n}");
    }
    let _ = write!(
        line,
        " dropped={} late={} p50={} p99={} max={}",
        s.dropped,
        s.late,
        ms(s.latency_ms.p50),
        ms(s.latency_ms.p99),
        ms(s.latency_ms.max)
    );
    line
}

/// `event t=10.002s exec_start kubectl scale ...`
pub(super) fn event_line(e: &Event) -> String {
    let mut line = format!("event t={:.3}s {} {}", e.t_ms as f64 / 1000.0, e.kind, e.label);
    if let Some(code) = e.exit_code {
        let _ = write!(line, " (exit {code})");
    }
    line
}

/// `[exec 1s stderr] error: context "nope" does not exist`
pub(super) fn exec_output_line(line: &crate::ExecLine) -> String {
    format!("[exec {} {}] {}", format_duration(line.at), line.stream, line.line)
}

fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}ms")
    } else if value >= 1.0 {
        format!("{value:.1}ms")
    } else {
        format!("{value:.2}ms")
    }
}

fn latency(l: &LatencyMs) -> String {
    format!("p50={} p90={} p99={} max={}", ms(l.p50), ms(l.p90), ms(l.p99), ms(l.max))
}

pub(super) fn summary_text(report: &Report, verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "requests {}  ok {}  failed {}  dropped {}  late {}  rate {:.1}/s  duration {:.1}s{}",
        report.requests,
        report.ok,
        report.failed,
        report.dropped,
        report.late,
        report.rps,
        report.duration_s,
        if report.stopped_early { "  (stopped early)" } else { "" }
    );
    let codes: Vec<String> = report.codes.iter().map(|(c, n)| format!("{c}={n}")).collect();
    let _ =
        writeln!(out, "codes    {}", if codes.is_empty() { "-".into() } else { codes.join(" ") });
    let net: Vec<String> = report.net.iter().map(|(k, n)| format!("{k}={n}")).collect();
    let _ = writeln!(out, "net      {}", if net.is_empty() { "-".into() } else { net.join(" ") });
    let ok = report.latency_ok_ms.unwrap_or_default();
    let _ = writeln!(out, "latency  {} (OK responses)", latency(&ok));
    let _ = writeln!(out, "latency  {} (all responses)", latency(&report.latency_ms));
    let _ = writeln!(out, "send lag {}", latency(&report.send_lag_ms));
    for event in &report.events {
        let _ = writeln!(out, "{}", event_line(event));
    }
    for exec in &report.exec {
        let state = if exec.succeeded { "ok" } else { "FAILED" };
        let _ = writeln!(out, "exec-at  {}: {state} ({})", exec_name(exec), exec.status);
    }
    for verdict in verdicts {
        let state = if verdict.crossed { "FAILED" } else { "passed" };
        let _ =
            writeln!(out, "fail-on  {}: {state} (measured {})", verdict.threshold, verdict.actual);
    }
    out
}

/// Writes the result to stdout. A closed pipe (`| head`) is the reader's choice and not an
/// error; any other failure (a full disk) is, so the caller can say the result was lost.
pub(super) fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `1s `kubectl scale …``: an `--exec-at` command as messages name it.
fn exec_name(exec: &ExecResult) -> String {
    format!("{} `{}`", format_duration(Duration::from_millis(exec.at_ms)), exec.command)
}

/// Every reason the run fails (exit status 1), in the words printed on stderr: crossed
/// thresholds, then failed `--exec-at` commands unless `exec_may_fail`.
pub(super) fn failures(report: &Report, verdicts: &[Verdict], exec_may_fail: bool) -> Vec<String> {
    let crossed = verdicts
        .iter()
        .filter(|v| v.crossed)
        .map(|v| format!("threshold FAILED: {} (measured {})", v.threshold, v.actual));
    let failed_exec = report
        .exec
        .iter()
        .filter(|e| !e.succeeded && !exec_may_fail)
        .map(|e| format!("--exec-at {} failed: {}", exec_name(e), e.status));
    crossed.chain(failed_exec).collect()
}

/// The `--format json` report: the run's report with each threshold's verdict and every
/// reason the run failed. The HTML report renders the same record, and the `--timeline`
/// summary record is it without its seconds and events.
pub(super) fn with_verdicts(
    mut report: Report,
    verdicts: Vec<Verdict>,
    failures: Vec<String>,
    exec_may_fail: bool,
) -> Report {
    report.thresholds = verdicts;
    report.failures = failures;
    report.exec_may_fail = exec_may_fail;
    report
}

/// The first record of `--timeline`, before the run's start time is known.
pub(super) fn timeline_header(plan: &Plan, thresholds: &[Threshold]) -> TimelineHeader {
    TimelineHeader {
        schema_version: TIMELINE_SCHEMA_VERSION,
        version: env!("CARGO_PKG_VERSION").into(),
        schedule: plan.schedule.to_string(),
        targets: plan.targets.iter().map(crate::Target::url).collect(),
        thresholds: thresholds.iter().map(|t| t.text.clone()).collect(),
        planned_duration_s: plan.schedule.duration().as_secs_f64(),
        shard: plan.shard.map(|s| s.to_string()),
        ..TimelineHeader::default()
    }
}

/// A diagnostic with a source span is drawn with its label; a plain one is printed on one line
/// (never wrapped, so it can be grepped), with its help on the next.
pub(super) fn print_error(error: &miette::Report) {
    if error.labels().is_some() {
        eprintln!("{error:?}");
        return;
    }
    eprintln!("lameduck load: {error}");
    if let Some(help) = error.help() {
        eprintln!("help: {help}");
    }
}
