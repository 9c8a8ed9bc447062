//! The lab report: a summary table of every scenario against the article's claim, then per
//! scenario its outcome chart with the termination events drawn on it, the per-pod Gantt
//! strip, and the full event log.
use std::fmt::Write;

use super::{outcome_legend, page, thousands};
use crate::outcome::{add_counts, Kind};
use crate::stops::{self, StopKind};
use crate::svg::bars::{bars, failure_spans, totals, MAX_BARS};
use crate::svg::gantt::{self, FailureMark, Phase};
use crate::svg::markers::{Marker, Style};
use crate::svg::{esc, outcomes, TimeAxis};
use lameduck_core::schema::{EventKind, LabResult, PodEvent, ScenarioResult, Verdict};

/// The whole page for one lab run.
pub fn render(result: &LabResult) -> String {
    let mut body = String::from("<header><h1>Lab report</h1>");
    if !result.run_dir.is_empty() {
        let _ =
            write!(body, "<p class='sub'>run directory <code>{}</code></p>", esc(&result.run_dir));
    }
    body.push_str("</header>");
    summary_table(&mut body, &result.scenarios);
    if result.scenarios.iter().all(|s| s.timeline.is_empty() && s.events.is_empty()) {
        body.push_str(
            "<p class='note'>This file has no timelines (it is the <code>--output json</code> summary). \
             Render <code>result.json</code> from the run directory for the charts.</p>",
        );
    }
    for (i, scenario) in result.scenarios.iter().enumerate() {
        if !(scenario.timeline.is_empty() && scenario.events.is_empty()) {
            scenario_section(&mut body, i, scenario);
        }
    }
    page("lameduck lab report", &body)
}

fn summary_table(body: &mut String, scenarios: &[ScenarioResult]) {
    body.push_str(
        "<table class='scenarios'><tr><th>scenario</th><th>the article's claim</th><th class='num'>requests</th>\
         <th>failed, by kind</th><th class='num'>termination median / max</th><th>verdict</th></tr>",
    );
    for (i, s) in scenarios.iter().enumerate() {
        let mut counts = [0; Kind::COUNT];
        add_counts(&mut counts, &s.codes, &s.net, 0);
        let failed: Vec<String> = Kind::ALL
            .iter()
            .filter(|k| k.is_failure() && counts[k.index()] > 0)
            .map(|k| format!("{} {}", k.label(), thousands(counts[k.index()])))
            .collect();
        let failed = if failed.is_empty() { "none".to_string() } else { failed.join(", ") };
        let (row, mark) = match s.verdict {
            Verdict::Reproduced => ("verdict-good", "✓"),
            Verdict::NotReproduced | Verdict::Interrupted | Verdict::LabError => {
                ("verdict-bad", "✗")
            }
            Verdict::NoExpectation => ("verdict-none", "–"),
        };
        let mut claim = esc(&s.article);
        if !s.expected.is_empty() {
            let _ = write!(claim, "<br><span class='note'>expects: {}</span>", esc(&s.expected));
        }
        // "reproduced" says the run behaved as the article says, which may be a failure count:
        // the count stands next to it, red and hatched, so it never reads as a clean run.
        let mut verdict = format!("{mark} {} {}", esc(s.verdict.name()), failed_badge(s.failed));
        if !s.reason.is_empty() {
            let _ = write!(verdict, "<br><span class='note'>{}</span>", esc(&s.reason));
        }
        let _ = write!(
            body,
            "<tr class='{row}'><td><a href='#scenario-{i}'>{name}</a></td><td>{claim}</td><td class='num'>{requests}</td>\
             <td>{total} — {failed}</td><td class='num'>{median:.1}s / {max:.1}s</td><td class='verdict'>{verdict}</td></tr>",
            name = esc(&s.name),
            requests = thousands(s.requests),
            total = thousands(s.failed),
            median = s.termination_seconds.median,
            max = s.termination_seconds.max,
        );
    }
    body.push_str("</table>");
}

/// `6 failed` in red on a hatched ground, or a quiet `0 failed`.
fn failed_badge(failed: u64) -> String {
    if failed == 0 {
        "<span class='failed-none'>0 failed</span>".to_string()
    } else {
        format!("<span class='failed-count'>{} failed</span>", thousands(failed))
    }
}

/// The event kinds drawn as markers on the chart; the others are only in the event table.
fn marker_style(kind: EventKind) -> Option<Style> {
    Some(match kind {
        EventKind::Deleted => Style::Deleted,
        EventKind::EndpointRemoved => Style::EndpointRemoved,
        EventKind::PrestopStart | EventKind::PrestopEnd => Style::Prestop,
        EventKind::Signal => Style::Signal,
        EventKind::Exit => Style::Exit,
        EventKind::Sigkill => Style::Sigkill,
        _ => return None,
    })
}

/// The marker of `e`, if it gets one: termination events of the pods that were terminated
/// (the end-of-run cleanup of the others is only in the table). A signal that makes nginx or
/// php-fpm stop fast gets its own style.
fn marked(e: &PodEvent, s: &ScenarioResult) -> Option<Style> {
    let style = marker_style(e.kind)?;
    if !s.pods.iter().any(|p| p.pod == e.pod) {
        return None;
    }
    let signal = e.detail.split_whitespace().next().unwrap_or_default();
    let program = stops::program(&s.events, &e.pod, &e.container);
    let fast = style == Style::Signal && stops::stop_kind(signal, program) == StopKind::Fast;
    Some(if fast { Style::FastSignal } else { style })
}

fn who(e: &PodEvent) -> String {
    match (e.pod.is_empty(), e.container.is_empty()) {
        (true, _) => "lab".into(),
        (false, true) => e.pod.clone(),
        (false, false) => format!("{}/{}", e.pod, e.container),
    }
}

fn scenario_section(body: &mut String, index: usize, s: &ScenarioResult) {
    let seconds_of = |ms: u64| (ms as f64 - s.load_started_ms as f64) / 1000.0;
    let markers: Vec<Marker> = s
        .events
        .iter()
        .filter_map(|e| marked(e, s).map(|style| (e, style)))
        .enumerate()
        .map(|(i, (e, style))| Marker {
            t: seconds_of(e.ms),
            number: i + 1,
            style,
            label: format!("{} {} {}", who(e), e.kind, e.detail),
        })
        .collect();
    let bars = bars(&s.timeline, MAX_BARS);
    let end = bars.last().map_or(0.0, |b| b.t1 as f64);
    let end = markers.iter().map(|m| m.t).fold(end, f64::max);
    let start = markers.iter().map(|m| m.t).fold(0.0, f64::min);
    let axis = TimeAxis::new(start, end);

    let _ = write!(
        body,
        "<section class='scenario' id='scenario-{index}'><header><h2>{name}</h2><p class='sub'>{desc}</p></header>",
        name = esc(&s.name),
        desc = esc(&s.description)
    );
    body.push_str(
        "<figure><figcaption>Outcomes per second, with the termination events</figcaption>",
    );
    body.push_str(&outcome_legend(&totals(&bars)));
    marker_legend(body, &markers);
    body.push_str(&outcomes::chart(
        &bars,
        &axis,
        &markers,
        &format!("outcomes of scenario {}", s.name),
    ));
    body.push_str("</figure>");

    body.push_str("<figure><figcaption>Pods: what each container was doing</figcaption>");
    phase_legend(body, s);
    let spans = failure_spans(&bars);
    body.push_str(&gantt::chart(&s.pods, &axis, s.load_started_ms, &spans, &s.events));
    body.push_str("</figure>");
    if let Some(close_up) = close_up_axis(s, &axis) {
        let _ = write!(
            body,
            "<figure><figcaption>Close-up of the termination, {} to {}</figcaption>",
            crate::svg::seconds_label(close_up.start),
            crate::svg::seconds_label(close_up.end)
        );
        body.push_str(&gantt::chart(&s.pods, &close_up, s.load_started_ms, &[], &s.events));
        body.push_str("</figure>");
    }

    event_table(body, s, &markers);
    body.push_str("</section>");
}

/// The stop phase of each container that got a signal.
fn stop_phases(s: &ScenarioResult) -> impl Iterator<Item = Phase> + '_ {
    s.pods.iter().flat_map(move |p| {
        p.containers.iter().filter_map(move |c| {
            let signal = c.signal.as_deref().filter(|_| c.signal_ms.is_some())?;
            let program = stops::program(&s.events, &p.pod, &c.container);
            Some(Phase::of_stop(stops::stop_kind(signal, program)))
        })
    })
}

/// The legend of the Gantt strip: only the phases and marks it actually shows.
fn phase_legend(body: &mut String, s: &ScenarioResult) {
    let containers = || s.pods.iter().flat_map(|p| &p.containers);
    let shown = |phase: Phase| match phase {
        Phase::Routing => !s.pods.is_empty(),
        Phase::Prestop => containers().any(|c| c.prestop_start_ms.is_some()),
        Phase::Stopping | Phase::FastStop => stop_phases(s).any(|p| p == phase),
        Phase::Killed => containers().any(|c| c.sigkill_ms.is_some()),
    };
    body.push_str("<ul class='legend phases'>");
    for phase in Phase::ALL.into_iter().filter(|p| shown(*p)) {
        let _ = write!(
            body,
            "<li data-phase='{slug:?}'>{}<span class='name'>{}</span></li>",
            gantt::swatch(phase),
            phase.label(),
            slug = phase,
        );
    }
    body.push_str(
        "<li><span class='name'>black tick: deleted / exited · blue tick: endpoint removed at the \
         ingress</span></li>",
    );
    let terminated = |pod: &str| s.pods.iter().any(|p| p.pod == pod);
    for mark in FailureMark::ALL {
        let count = s
            .events
            .iter()
            .filter(|e| terminated(&e.pod) && FailureMark::of(e) == Some(mark))
            .count();
        if count > 0 {
            let _ = write!(
                body,
                "<li class='failure-mark'>{}<span class='name'>{}</span> <span class='count'>{}</span></li>",
                mark.sample(),
                mark.label(),
                thousands(count as u64)
            );
        }
    }
    body.push_str("</ul>");
}

/// A zoomed axis over the termination (first deletion to last exit, padded) when it is too
/// short to read on the full axis.
fn close_up_axis(s: &ScenarioResult, full: &TimeAxis) -> Option<TimeAxis> {
    let first = s.pods.iter().map(|p| p.deleted_ms).min()?;
    let container_ends =
        s.pods.iter().flat_map(|p| &p.containers).flat_map(|c| [c.exit_ms, c.sigkill_ms]).flatten();
    let pod_ends = s.pods.iter().flat_map(|p| [Some(p.gone_ms), p.endpoint_removed_ms]).flatten();
    let last = container_ends.chain(pod_ends).fold(first, u64::max);
    let to_s = |ms: u64| (ms as f64 - s.load_started_ms as f64) / 1000.0;
    let pad = ((last - first) as f64 / 1000.0 * 0.08).max(0.02);
    let (start, end) = (to_s(first) - pad, to_s(last) + pad);
    ((end - start) < 0.3 * (full.end - full.start)).then(|| TimeAxis::new_exact(start, end))
}

fn marker_legend(body: &mut String, markers: &[Marker]) {
    let mut seen: Vec<Style> = Vec::new();
    for m in markers {
        if !seen.contains(&m.style) {
            seen.push(m.style);
        }
    }
    if seen.is_empty() {
        return;
    }
    body.push_str("<ul class='legend markers'>");
    for style in seen {
        let _ =
            write!(body, "<li>{}<span class='name'>{}</span></li>", style.sample(), style.legend());
    }
    body.push_str("</ul>");
}

fn event_table(body: &mut String, s: &ScenarioResult, markers: &[Marker]) {
    if s.events.is_empty() {
        return;
    }
    body.push_str(
        "<details open><summary>Event log (numbers match the chart's markers)</summary>\
         <table class='events'><tr><th class='num'>#</th><th class='num'>time</th><th>who</th><th>event</th><th>detail</th></tr>",
    );
    let mut next = 0;
    for e in &s.events {
        let number = if marked(e, s).is_some() && next < markers.len() {
            next += 1;
            markers[next - 1].number.to_string()
        } else {
            String::new()
        };
        let _ = write!(
            body,
            "<tr><td class='num'>{number}</td><td class='num mono'>{t:.3}s</td><td>{who}</td><td>{kind}</td><td>{detail}</td></tr>",
            t = (e.ms as f64 - s.load_started_ms as f64) / 1000.0,
            who = esc(&who(e)),
            kind = esc(e.kind.name()),
            detail = event_detail(e, s),
        );
    }
    body.push_str("</table></details>");
}

/// An event's detail for the table, with what a preStop hook's SIGKILL meant spelled out.
fn event_detail(e: &PodEvent, s: &ScenarioResult) -> String {
    let mut text = esc(&e.detail);
    if e.kind != EventKind::PrestopEnd {
        return text;
    }
    let container = s
        .pods
        .iter()
        .filter(|p| p.pod == e.pod)
        .flat_map(|p| &p.containers)
        .find(|c| c.container == e.container);
    let deadline = stops::grace_deadline(&s.events, &e.pod);
    if let Some(why) = container.and_then(|c| stops::hook_killed(&e.detail, c, deadline)) {
        let _ = write!(text, " <span class='explain'>— {}</span>", esc(&why));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use lameduck_core::schema::{PodPhases, SecondRecord};

    fn scenario(failing: bool) -> ScenarioResult {
        let mut codes = std::collections::BTreeMap::new();
        codes.insert(200, 20);
        let timeline: Vec<SecondRecord> = (0..4)
            .map(|t| {
                let mut c = codes.clone();
                if failing && t == 2 {
                    c.insert(502, 3);
                }
                SecondRecord { t, completed: 20, codes: c, ..SecondRecord::default() }
            })
            .collect();
        let event = |ms, kind: &str| PodEvent {
            ms,
            pod: "web-1".into(),
            container: String::new(),
            kind: EventKind::from_name(kind).expect("a known kind"),
            detail: "x".into(),
        };
        ScenarioResult {
            name: "sigterm".into(),
            article: "SIGTERM drops requests".into(),
            verdict: if failing { Verdict::Reproduced } else { Verdict::NotReproduced },
            failed: if failing { 3 } else { 0 },
            load_started_ms: 500,
            timeline,
            events: vec![
                event(300, "started"),
                event(2_500, "deleted"),
                event(2_600, "endpoint-removed"),
            ],
            pods: vec![PodPhases {
                pod: "web-1".into(),
                deleted_ms: 2_500,
                ..PodPhases::default()
            }],
            ..ScenarioResult::default()
        }
    }

    #[test]
    fn scenarios_get_a_row_a_chart_markers_and_a_gantt() {
        let result = LabResult {
            schema_version: 1,
            run_dir: "/tmp/run".into(),
            scenarios: vec![scenario(true), scenario(false)],
        };
        let html = render(&result);
        assert_eq!(html.matches("<section class='scenario'").count(), 2);
        assert_eq!(html.matches("class='marker m-deleted'").count(), 2);
        assert_eq!(html.matches("class='marker m-endpoint-removed'").count(), 2);
        // `started` is in the event table but not a marker.
        assert!(!html.contains("m-started"));
        assert!(html.contains("svg class='chart gantt'"));
        assert!(html.contains("✓ reproduced <span class='failed-count'>3 failed</span>"));
        assert!(html.contains("✗ NOT reproduced <span class='failed-none'>0 failed</span>"));
        // The 0.2 s termination gets a close-up strip in each scenario.
        assert_eq!(html.matches("Close-up of the termination").count(), 2);
        // Only the failing scenario has a failure band (chart and Gantt; the close-up is finer
        // than the per-second timeline and marks each failed request instead).
        assert_eq!(html.matches("class='failure-band'").count(), 2);
    }

    #[test]
    fn a_prestop_hook_killed_with_its_container_is_not_a_crash() {
        let mut s = scenario(false);
        s.pods[0].containers.push(lameduck_core::schema::ContainerPhases {
            container: "nginx".into(),
            prestop_start_ms: Some(2_500),
            prestop_end_ms: Some(5_231),
            signal: Some("SIGQUIT".into()),
            signal_ms: Some(5_231),
            exit_ms: Some(5_232),
            exit: Some("exit code 0".into()),
            ..Default::default()
        });
        s.events.push(PodEvent {
            ms: 5_231,
            pod: "web-1".into(),
            container: "nginx".into(),
            kind: EventKind::PrestopEnd,
            detail: "exec hook exit code 137".into(),
        });
        let html =
            render(&LabResult { schema_version: 1, run_dir: String::new(), scenarios: vec![s] });
        assert!(html.contains("exec hook exit code 137 <span class='explain'>— preStop hook ended with its container (137 = SIGKILL)"), "{html}");
        assert!(html.contains(">preStop (killed, 137)<"));
    }

    #[test]
    fn a_summary_without_timelines_says_where_the_charts_are() {
        let mut s = scenario(true);
        s.timeline.clear();
        s.events.clear();
        let html =
            render(&LabResult { schema_version: 1, run_dir: String::new(), scenarios: vec![s] });
        assert!(html.contains("Render <code>result.json</code>"));
        assert!(!html.contains("<section class='scenario'"));
    }
}
