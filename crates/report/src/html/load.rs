//! The load report: summary block, stacked outcome chart, latency chart and event table.
use std::fmt::Write;

use super::{ms, outcome_legend, page, percent, stat, thousands, utc};
use crate::svg::bars::{bars, totals, MAX_BARS};
use crate::svg::markers::{Marker, Style};
use crate::svg::{esc, latency, outcomes, seconds_label, TimeAxis};
use lameduck_core::schema::{Event, EventKind, LoadReport};

/// The whole page for one load run.
pub fn render(report: &LoadReport) -> String {
    let bars = bars(&report.seconds, MAX_BARS);
    let counts = totals(&bars);
    let markers = markers(&report.events);
    // The last second's bar ends the axis (the run's duration ends inside it).
    let end = bars.last().map_or(report.duration_s, |b| b.t1 as f64);
    let end = markers.iter().map(|m| m.t).fold(end, f64::max);
    let axis = TimeAxis::new(0.0, end);

    let mut body = String::new();
    body.push_str("<header><h1>Load report</h1>");
    let mut sub = Vec::new();
    if !report.schedule.is_empty() {
        sub.push(format!("schedule <code>{}</code>", esc(&report.schedule)));
    }
    if !report.targets.is_empty() {
        // `&#58;` for the colon: the page's text then holds no `http://` that a check for
        // external references (or a naive link detector) would take for one.
        let targets: Vec<String> = report
            .targets
            .iter()
            .map(|t| format!("<code>{}</code>", esc(t).replacen("://", "&#58;//", 1)))
            .collect();
        sub.push(format!("target {}", targets.join(", ")));
    }
    if report.started_unix_ms > 0 {
        sub.push(format!("started {}", utc(report.started_unix_ms)));
    }
    sub.push(format!("duration {}", seconds_label(report.duration_s)));
    if report.stopped_early {
        sub.push("<strong>stopped early</strong>".into());
    }
    let _ = write!(body, "<p class='sub'>{}</p></header>", sub.join(" · "));

    summary(&mut body, report);
    failures(&mut body, report);

    body.push_str("<figure><figcaption>Outcomes per second</figcaption>");
    body.push_str(&outcome_legend(&counts));
    let aria = format!(
        "stacked requests per second by outcome: {} requests, {} failed",
        report.requests, report.failed
    );
    body.push_str(&outcomes::chart(&bars, &axis, &markers, &aria));
    body.push_str(
        "<p class='note'>Each bar is one second (completions in the second they finished, drops in \
         the second they were due). Tinted columns and the strip under the axis mark seconds with \
         failed requests.</p></figure>",
    );

    latency_figure(&mut body, &bars, &axis, &markers);
    event_table(&mut body, &report.events);
    page("lameduck load report", &body)
}

/// The latency chart with its legend: OK-response lines, crosses for failed responses, and
/// (for older files) hollow points for seconds whose OK latency is unknown.
fn latency_figure(
    body: &mut String,
    bars: &[crate::svg::bars::Bar],
    axis: &TimeAxis,
    markers: &[Marker],
) {
    body.push_str(
        "<figure><figcaption>LatencyMs per second</figcaption><ul class='legend latency'>",
    );
    for series in &latency::SERIES {
        let _ = write!(
            body,
            "<li>{}<span class='name'>{} (OK responses)</span></li>",
            latency::sample(series),
            series.name
        );
    }
    if bars.iter().any(|b| b.failed_latency.is_some()) {
        let _ = write!(
            body,
            "<li>{}<span class='name'>failed responses' p50 (error statuses and network \
             errors)</span></li>",
            latency::failed_sample()
        );
    }
    if bars.iter().any(|b| b.ok_unknown) {
        let _ = write!(
            body,
            "<li>{}<span class='name'>a second with failed responses in a file without OK \
             latency: its percentiles mix OK and failed responses</span></li>",
            latency::mixed_sample()
        );
    }
    body.push_str("</ul>");
    body.push_str(&latency::chart(
        bars,
        axis,
        markers,
        "latency of OK responses p50, p90, p99 and max per second, failed responses apart",
    ));
    body.push_str(
        "<p class='note'>Measured from each request's scheduled send time, log scale. The lines are \
         the latency of OK (2xx, 3xx) responses, so fast errors during an outage cannot pull them \
         down; failed responses' latency is drawn apart. When seconds are merged, p50 and p90 \
         are averaged and p99 and max are the largest.</p></figure>",
    );
}

fn summary(body: &mut String, r: &LoadReport) {
    body.push_str("<section class='summary' aria-label='summary'>");
    stat(body, &thousands(r.requests), "requests", false);
    stat(body, &thousands(r.ok), "ok (2xx, 3xx)", false);
    stat(body, &thousands(r.failed), "failed", r.failed > 0);
    stat(body, &percent(r.failed, r.requests), "failure rate", r.failed > 0);
    stat(body, &thousands(r.dropped), "dropped (not sent)", r.dropped > 0);
    // Only runs in which sends waited for a full window have anything to say here.
    if r.late > 0 {
        stat(body, &thousands(r.late), "sent late (window full)", false);
    }
    stat(body, &format!("{:.1}/s", r.rps), "achieved rate", false);
    let l = &r.latency_ms;
    let triple = |l: &lameduck_core::schema::LatencyMs| {
        format!("{} / {} / {}", ms(l.p50), ms(l.p99), ms(l.max))
    };
    match (r.from_timeline, r.latency_ok_ms) {
        // A timeline has per-second percentiles only; the run's own cannot be recovered.
        (true, _) => stat(body, &ms(l.max), "latency max (all responses)", false),
        (false, Some(ok)) => {
            stat(body, &triple(&ok), "latency p50 / p99 / max (OK responses)", false);
            stat(body, &triple(l), "latency p50 / p99 / max (all responses)", false);
        }
        (false, None) => stat(body, &triple(l), "latency p50 / p99 / max (all responses)", false),
    }
    if r.send_lag_ms.p99 > 0.0 {
        stat(body, &ms(r.send_lag_ms.p99), "send lag p99", r.send_lag_ms.p99 > 100.0);
    }
    body.push_str("</section>");
    if r.from_timeline {
        body.push_str(
            "<p class='note'>Rebuilt from a <code>--timeline</code> file: the totals are the sums \
             of its seconds.</p>",
        );
    }
    if !r.thresholds.is_empty() {
        let crossed = r.thresholds.iter().filter(|v| v.crossed).count();
        let _ = write!(
            body,
            "<h3>Thresholds: {}</h3><table class='thresholds'><tr><th>--fail-on</th><th>result</th><th>measured</th></tr>",
            match crossed {
                0 => "all passed".to_string(),
                1 => "1 threshold failed".to_string(),
                n => format!("{n} thresholds failed"),
            }
        );
        for v in &r.thresholds {
            let badge = if v.crossed {
                "<span class='badge-fail'>✗ FAILED</span>"
            } else {
                "<span class='badge-pass'>✓ passed</span>"
            };
            let _ = write!(
                body,
                "<tr><td><code>{}</code></td><td>{badge}</td><td>{}</td></tr>",
                esc(&v.threshold),
                esc(&v.actual)
            );
        }
        body.push_str("</table>");
    }
}

/// Why the run failed, and what each `--exec-at` command did.
fn failures(body: &mut String, r: &LoadReport) {
    if !r.failures.is_empty() {
        body.push_str("<h3>The run failed</h3><ul class='failures'>");
        for failure in &r.failures {
            let _ = write!(body, "<li><span class='badge-fail'>✗</span> {}</li>", esc(failure));
        }
        body.push_str("</ul>");
    }
    if r.exec.is_empty() {
        return;
    }
    body.push_str(
        "<h3>--exec-at commands</h3><table class='exec'><tr><th class='num'>at</th>\
         <th>command</th><th>result</th></tr>",
    );
    for e in &r.exec {
        let badge = match (e.succeeded, r.exec_may_fail) {
            (true, _) => "<span class='badge-pass'>✓</span>",
            (false, true) => "<span class='badge-fail'>✗</span> (allowed by --exec-may-fail)",
            (false, false) => "<span class='badge-fail'>✗</span>",
        };
        let _ = write!(
            body,
            "<tr><td class='num mono'>{:.3}s</td><td><code>{}</code></td><td>{} {badge}</td></tr>",
            e.at_ms as f64 / 1000.0,
            esc(&e.command),
            esc(&e.status)
        );
    }
    body.push_str("</table>");
}

/// Markers for the events, numbered in order.
fn markers(events: &[Event]) -> Vec<Marker> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| Marker {
            t: e.t_ms as f64 / 1000.0,
            number: i + 1,
            style: match e.kind {
                EventKind::ExecStart => Style::Exec,
                EventKind::ExecExit => Style::Exit,
                EventKind::ExecKilled => Style::Sigkill,
                _ => Style::Other,
            },
            label: event_text(e),
        })
        .collect()
}

fn event_text(e: &Event) -> String {
    let mut text = format!("{} {}", e.kind, e.label);
    if let Some(code) = e.exit_code {
        let _ = write!(text, " (exit {code})");
    }
    text
}

fn event_table(body: &mut String, events: &[Event]) {
    if events.is_empty() {
        return;
    }
    body.push_str(
        "<h3>Events</h3><table class='events'><tr><th class='num'>#</th><th class='num'>time</th>\
         <th>event</th><th>detail</th></tr>",
    );
    for (i, e) in events.iter().enumerate() {
        let exit = e.exit_code.map(|c| format!(" (exit {c})")).unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td class='num'>{}</td><td class='num mono'>{:.3}s</td><td>{}</td><td><code>{}</code>{}</td></tr>",
            i + 1,
            e.t_ms as f64 / 1000.0,
            esc(e.kind.name()),
            esc(&e.label),
            exit
        );
    }
    body.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use lameduck_core::schema::{SecondRecord, ThresholdVerdict};

    fn report(codes: &[(&str, u64)]) -> LoadReport {
        let seconds: Vec<SecondRecord> = (0..5)
            .map(|t| SecondRecord {
                t,
                sent: 10,
                completed: 10,
                ok: codes.iter().filter(|(k, _)| k.starts_with('2')).map(|(_, v)| v).sum(),
                failed: codes.iter().filter(|(k, _)| !k.starts_with('2')).map(|(_, v)| v).sum(),
                codes: codes.iter().map(|(k, v)| (k.parse().expect("a status"), *v)).collect(),
                ..SecondRecord::default()
            })
            .collect();
        let mut report = crate::input::from_seconds(seconds, Vec::new());
        report.schedule = "const(10,5s)".into();
        report
    }

    #[test]
    fn the_summary_labels_ok_latency_and_gives_every_responses_alongside() {
        let mut r = report(&[("200", 1), ("502", 9)]);
        r.from_timeline = false;
        r.latency_ms =
            lameduck_core::schema::LatencyMs { p50: 0.3, p90: 0.4, p99: 40.0, max: 41.0 };
        r.latency_ok_ms =
            Some(lameduck_core::schema::LatencyMs { p50: 40.0, p90: 40.0, p99: 40.0, max: 41.0 });
        let html = render(&r);
        assert!(html.contains("latency p50 / p99 / max (OK responses)"), "{html}");
        assert!(html.contains("latency p50 / p99 / max (all responses)"), "{html}");
        let ok_at = html.find("p99 / max (OK responses)").unwrap();
        assert!(html[..ok_at].contains("40ms / 40ms / 41ms"), "{html}");
        // An older file without OK latency says which figure it has.
        r.latency_ok_ms = None;
        assert!(!render(&r).contains("p99 / max (OK responses)"));
    }

    #[test]
    fn sends_that_waited_for_a_full_window_show_only_when_there_were_some() {
        let mut r = report(&[("200", 10)]);
        assert!(!render(&r).contains("sent late"));
        r.late = 1234;
        assert!(render(&r).contains("1,234"), "{}", render(&r));
        assert!(render(&r).contains("sent late (window full)"));
    }

    #[test]
    fn an_empty_report_still_renders() {
        let empty = serde_json::to_value(LoadReport::default()).unwrap();
        let html = crate::render_load_html(&empty).expect("render");
        assert!(html.contains("no requests in this run"));
        assert!(html.contains("no completed requests"));
        assert!(!html.contains("<li data-kind="));
        let error = crate::render_load_html(&serde_json::json!({"seconds": 3})).unwrap_err();
        assert!(error.to_string().contains("not a load report"), "{error}");
    }

    #[test]
    fn a_clean_run_has_no_failure_band_and_only_2xx_in_the_legend() {
        let html = render(&report(&[("200", 10)]));
        assert!(!html.contains("class='failure-band'"));
        assert_eq!(html.matches("<li data-kind=").count(), 1);
        assert!(html.contains("<code>const(10,5s)</code>"));
    }

    #[test]
    fn failed_exec_commands_and_the_reasons_the_run_failed_show() {
        let mut r = report(&[("200", 10)]);
        r.targets = vec!["http://10.0.0.7/".into()];
        r.exec = vec![lameduck_core::schema::ExecResult {
            at_ms: 1000,
            command: "kubectl --context nope scale".into(),
            status: "exit 1".into(),
            succeeded: false,
        }];
        r.failures = vec!["--exec-at 1s `kubectl --context nope scale` failed: exit 1".into()];
        let html = render(&r);
        assert!(html.contains("The run failed") && html.contains("failed: exit 1"), "{html}");
        assert!(html.contains("<code>http&#58;//10.0.0.7/</code>"));
        r.failures.clear();
        r.exec_may_fail = true;
        let html = render(&r);
        assert!(!html.contains("The run failed") && html.contains("allowed by --exec-may-fail"));
    }

    #[test]
    fn failures_exec_events_and_thresholds_show() {
        let mut r = report(&[("200", 8), ("502", 2)]);
        r.events = vec![
            Event {
                t_ms: 2_000,
                kind: EventKind::ExecStart,
                label: "kubectl scale".into(),
                exit_code: None,
            },
            Event {
                t_ms: 2_500,
                kind: EventKind::ExecExit,
                label: "kubectl scale".into(),
                exit_code: Some(0),
            },
        ];
        r.thresholds = vec![ThresholdVerdict {
            threshold: "http(502)>0".into(),
            crossed: true,
            actual: "10".into(),
        }];
        let html = render(&r);
        assert!(html.contains("class='failure-band'"));
        assert!(html.contains("data-kind='502'"));
        assert_eq!(html.matches("class='marker m-exec'").count(), 2, "one per chart");
        assert!(html.contains("✗ FAILED"));
        assert!(html.contains("Thresholds: 1 threshold failed"), "{html}");
        assert!(!html.contains(">1 failed<"));
        assert!(html.contains("20.0%"));
    }
}
