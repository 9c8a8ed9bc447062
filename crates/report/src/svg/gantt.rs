//! The per-pod Gantt strip of a lab scenario, on the same time axis as its outcome chart:
//! how long the ingress kept routing to the deleted pod, then per container its preStop, its
//! stop after the signal (a fast stop and a graceful one look different: color, hatch and
//! label), a SIGKILL if it came to that, and the exit. Every failed request is marked on the
//! row of the pod that caused it. Seconds with failed requests are tinted behind it, so a
//! reader sees which phase the failures fell in.
use std::fmt::Write;

use super::outcomes::BAND_COLOR;
use super::{esc, TimeAxis, LEFT, RIGHT, WIDTH};
use crate::stops::{self, StopKind};
use lameduck_core::schema::{ContainerPhases, EventKind, PodEvent, PodPhases};

/// Height of one row: a label line, then the bar under it, so labels never sit on the marks.
const ROW: f64 = 34.0;
/// Where the bar starts below the row's top, and its height.
const BAR_TOP: f64 = 16.0;
const BAR: f64 = 12.0;
/// Color of the marks for failed requests: the 502 color.
pub const FAILURE_MARK: &str = "#d55e00";

/// The phases a strip can show, with their fills (the legend uses the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Routing,
    Prestop,
    Stopping,
    FastStop,
    Killed,
}

impl Phase {
    pub const ALL: [Phase; 5] =
        [Phase::Routing, Phase::Prestop, Phase::Stopping, Phase::FastStop, Phase::Killed];

    pub fn label(self) -> &'static str {
        match self {
            Phase::Routing => "deleted, ingress still routing to it",
            Phase::Prestop => "preStop hook (drain)",
            Phase::Stopping => "stop signal sent, graceful stop (e.g. SIGQUIT)",
            Phase::FastStop => {
                "fast stop: SIGTERM/SIGINT to nginx or php-fpm drops requests in flight"
            }
            Phase::Killed => "SIGKILL",
        }
    }

    pub fn fill(self) -> &'static str {
        match self {
            Phase::Routing => "url(#g-routing)",
            Phase::Prestop => "#56b4e9",
            Phase::Stopping => "#e69f00",
            Phase::FastStop => "url(#g-fast)",
            Phase::Killed => "url(#g-killed)",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Phase::Routing => "routing",
            Phase::Prestop => "prestop",
            Phase::Stopping => "stopping",
            Phase::FastStop => "fast-stop",
            Phase::Killed => "killed",
        }
    }

    /// The phase after a stop signal of this kind.
    pub fn of_stop(kind: StopKind) -> Phase {
        match kind {
            StopKind::Fast => Phase::FastStop,
            StopKind::Graceful | StopKind::Other => Phase::Stopping,
        }
    }
}

/// Patterns for the hatched phases, to include once per page.
pub fn pattern_defs() -> &'static str {
    "<pattern id='g-routing' patternUnits='userSpaceOnUse' width='6' height='6'>\
     <rect width='6' height='6' fill='#bbbbbb'/><path d='M0,6 l6,-6' stroke='#555' stroke-width='1'/></pattern>\
     <pattern id='g-fast' patternUnits='userSpaceOnUse' width='6' height='6'>\
     <rect width='6' height='6' fill='#cc79a7'/><path d='M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2' stroke='#000' stroke-width='1.3'/></pattern>\
     <pattern id='g-killed' patternUnits='userSpaceOnUse' width='6' height='6'>\
     <rect width='6' height='6' fill='#d55e00'/><path d='M0,0 l6,6 M6,0 l-6,6' stroke='#fff' stroke-width='1'/></pattern>"
}

/// A legend swatch for `phase`.
pub fn swatch(phase: Phase) -> String {
    format!(
        "<svg class='swatch' width='18' height='12' viewBox='0 0 18 12' aria-hidden='true'>\
         <rect width='18' height='12' fill='{}' stroke='#333' stroke-width='0.5'/></svg>",
        phase.fill()
    )
}

/// How a failed request is marked on its pod's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMark {
    /// The ingress failed the request with this pod and the client got the error.
    Ingress,
    /// The ingress failed with this pod and tried another one.
    Retried,
    /// The pod itself answered a 5xx (nginx's 502 when php-fpm is gone).
    Pod,
}

impl FailureMark {
    pub const ALL: [FailureMark; 3] =
        [FailureMark::Ingress, FailureMark::Retried, FailureMark::Pod];

    /// The mark of an event, if it is a failure.
    pub fn of(e: &PodEvent) -> Option<FailureMark> {
        match e.kind {
            EventKind::UpstreamFailure if e.detail.ends_with("next upstream") => {
                Some(FailureMark::Retried)
            }
            EventKind::UpstreamFailure => Some(FailureMark::Ingress),
            EventKind::Pod5xx => Some(FailureMark::Pod),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FailureMark::Ingress => "a request the ingress failed with this pod",
            FailureMark::Retried => "the ingress failed with this pod and retried another one",
            FailureMark::Pod => "a 5xx the pod itself answered",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            FailureMark::Ingress => "upstream-failure",
            FailureMark::Retried => "upstream-retried",
            FailureMark::Pod => "pod-5xx",
        }
    }

    /// The mark's path, centered on `x`, from `y0` down 10 units.
    fn shape(self, x: f64, y0: f64) -> String {
        let (fill, stroke) = match self {
            FailureMark::Retried => ("#fff", FAILURE_MARK),
            _ => (FAILURE_MARK, "#fff"),
        };
        let d = match self {
            FailureMark::Pod => format!("M{:.2},{:.1}h10v10h-10z", x - 5.0, y0 + 1.0),
            _ => format!("M{x:.2},{y0:.1}l6,6l-6,6l-6,-6z"),
        };
        format!("d='{d}' fill='{fill}' stroke='{stroke}' stroke-width='0.8'")
    }

    /// A legend sample.
    pub fn sample(self) -> String {
        format!(
            "<svg class='swatch' width='12' height='12' viewBox='0 0 12 12' aria-hidden='true'>\
             <path {}/></svg>",
            self.shape(6.0, 0.0)
        )
    }
}

/// The strip's SVG: `start_ms` is the event-log time of timeline second 0, `failure_spans`
/// the timeline's failing seconds, and `events` the scenario's log: its failures (the
/// ingress's `upstream-failure`, the pod's own `pod-5xx`) are marked on the row of the pod
/// they name, and its `started` and `prestop-end` entries say what each signal and hook exit
/// meant.
// Long because it draws one SVG top-down: axis, rows, phases, markers, legend.
pub fn chart(
    pods: &[PodPhases],
    axis: &TimeAxis,
    start_ms: u64,
    failure_spans: &[(u64, u64)],
    events: &[PodEvent],
) -> String {
    let rows: usize = pods.iter().map(|p| 1 + p.containers.len()).sum();
    let top = 6.0;
    let bottom = top + ROW * rows.max(1) as f64;
    let height = bottom + 26.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class='chart gantt' viewBox='0 0 {WIDTH} {height}' role='img' \
         aria-label='termination phases of each pod and container'>"
    );
    for (t0, t1) in failure_spans {
        let (x0, x1) = (axis.map(*t0 as f64).max(LEFT), axis.map(*t1 as f64).min(WIDTH - RIGHT));
        if x1 > x0 {
            let _ = write!(
                out,
                "<rect class='failure-band' x='{x0:.2}' y='{top}' width='{w:.2}' height='{h:.1}' \
                 fill='{BAND_COLOR}'/>",
                w = (x1 - x0).max(1.0),
                h = bottom - top
            );
        }
    }
    if pods.is_empty() {
        let _ = write!(
            out,
            "<text class='empty' x='{x}' y='{y}' text-anchor='middle'>no pod was terminated</text>",
            x = WIDTH / 2.0,
            y = top + 18.0
        );
    }
    // Grid and axis first, so that labels and marks are drawn over them.
    axis.draw(&mut out, top, bottom);
    let at = |ms: u64| axis.map((ms as f64 - start_ms as f64) / 1000.0);
    let mut row_top = top;
    for pod in pods {
        let failures = events
            .iter()
            .filter(|e| e.pod == pod.pod)
            .filter_map(|e| Some((e, FailureMark::of(e)?)));
        let count = failures.clone().filter(|(_, m)| *m != FailureMark::Retried).count();
        let mut text = format!("pod {} (terminated in {:.1}s)", pod.pod, pod.termination_seconds);
        if count > 0 {
            let _ = write!(text, " — {count} failed request{}", if count == 1 { "" } else { "s" });
        }
        label(&mut out, row_top, &text);
        let routed_until = pod.endpoint_removed_ms.unwrap_or(pod.deleted_ms);
        segment(&mut out, at(pod.deleted_ms), at(routed_until), row_top, Phase::Routing, "routing");
        tick(&mut out, at(pod.deleted_ms), row_top, "#000", &format!("{} deleted", pod.pod));
        if let Some(ms) = pod.endpoint_removed_ms {
            tick(
                &mut out,
                at(ms),
                row_top,
                "#0072b2",
                &format!("{} endpoint removed at the ingress", pod.pod),
            );
        }
        // Marks that would be drawn on top of each other get a count beside them.
        let mut stacked: Vec<(FailureMark, f64, usize)> = Vec::new();
        for (failure, mark) in failures {
            let x = at(failure.ms);
            if !(LEFT..=WIDTH - RIGHT).contains(&x) {
                continue;
            }
            let _ = write!(
                out,
                "<path class='{slug}' {shape}><title>{t:.3}s {pod}: {detail}</title></path>",
                slug = mark.slug(),
                shape = mark.shape(x, row_top + BAR_TOP),
                t = (failure.ms as f64 - start_ms as f64) / 1000.0,
                pod = esc(&pod.pod),
                detail = esc(&failure.detail)
            );
            match stacked.iter_mut().find(|(m, at, _)| *m == mark && (x - *at).abs() < 3.0) {
                Some(group) => group.2 += 1,
                None => stacked.push((mark, x, 1)),
            }
        }
        for (_, x, n) in stacked.into_iter().filter(|g| g.2 > 1) {
            let _ = write!(
                out,
                "<text class='by-bar mark-count' x='{x:.1}' y='{y:.1}'>×{n}</text>",
                x = x + 7.0,
                y = row_top + BAR_TOP + 9.5
            );
        }
        row_top += ROW;
        let deadline = stops::grace_deadline(events, &pod.pod);
        for container in &pod.containers {
            let row = ContainerRow { c: container, pod: &pod.pod, events, deadline };
            row.draw(&mut out, row_top, &at);
            row_top += ROW;
        }
    }
    out.push_str("</svg>");
    out
}

/// One container's row and what the event log says about it.
struct ContainerRow<'a> {
    c: &'a ContainerPhases,
    pod: &'a str,
    events: &'a [PodEvent],
    deadline: Option<u64>,
}

impl ContainerRow<'_> {
    fn draw(&self, out: &mut String, row_top: f64, at: &dyn Fn(u64) -> f64) {
        let (c, pod) = (self.c, self.pod);
        let exit = c.exit.as_deref().unwrap_or("still running");
        let hook = stops::hook_end(self.events, pod, &c.container);
        let hook_killed = hook.and_then(|h| stops::hook_killed(h, c, self.deadline));
        let mut text = format!("{}/{} — {}", pod, c.container, exit);
        if let Some(why) = &hook_killed {
            let _ = write!(text, " · {why}");
        }
        label(out, row_top, &text);
        if let Some(start) = c.prestop_start_ms {
            let end = c.prestop_end_ms.or(c.signal_ms).or(c.exit_ms).unwrap_or(start);
            let text = if hook_killed.is_some() { "preStop (killed, 137)" } else { "preStop" };
            segment(out, at(start), at(end), row_top, Phase::Prestop, text);
        }
        if let Some(signal_ms) = c.signal_ms {
            let end = c.sigkill_ms.or(c.exit_ms).unwrap_or(signal_ms);
            let signal = c.signal.as_deref().unwrap_or("signal");
            let program = stops::program(self.events, pod, &c.container);
            let kind = stops::stop_kind(signal, program);
            let text = stops::stop_label(signal, kind);
            segment(out, at(signal_ms), at(end), row_top, Phase::of_stop(kind), &text);
        }
        if let Some(kill) = c.sigkill_ms {
            let end = c.exit_ms.unwrap_or(kill);
            segment(out, at(kill), at(end), row_top, Phase::Killed, "SIGKILL");
        }
        if let Some(ms) = c.exit_ms {
            tick(out, at(ms), row_top, "#000", &format!("{pod}/{}: {exit}", c.container));
        }
    }
}

fn label(out: &mut String, row_top: f64, text: &str) {
    let _ = write!(
        out,
        "<text class='row-label' x='{x}' y='{y:.1}'>{}</text>",
        esc(text),
        x = LEFT + 2.0,
        y = row_top + 11.0
    );
}

/// A phase bar from `x0` to `x1` (at least 2 wide so instants stay visible), with its name
/// inside when it fits, else just right of it (a 30 ms SIGTERM is still named).
fn segment(out: &mut String, x0: f64, x1: f64, row_top: f64, phase: Phase, text: &str) {
    let x0 = x0.clamp(LEFT, WIDTH - RIGHT);
    let w = (x1.clamp(LEFT, WIDTH - RIGHT) - x0).max(2.0);
    let y = row_top + BAR_TOP;
    let _ = write!(
        out,
        "<rect class='phase ph-{slug}' x='{x0:.2}' y='{y:.1}' width='{w:.2}' height='{BAR}' fill='{fill}' \
         stroke='#333' stroke-width='0.5'><title>{title}: {text}</title></rect>",
        slug = phase.slug(),
        fill = phase.fill(),
        title = phase.label(),
        text = esc(text),
    );
    if phase == Phase::Routing {
        return;
    }
    let text_width = 6.0 * text.chars().count() as f64 + 6.0;
    let (class, x) = if w > text_width {
        ("in-bar", x0 + 3.0)
    } else if x0 + w + 4.0 + text_width <= WIDTH - RIGHT {
        ("by-bar", x0 + w + 4.0)
    } else {
        return;
    };
    let _ = write!(
        out,
        "<text class='{class} t-{slug}' x='{x:.1}' y='{ty:.1}'>{}</text>",
        esc(text),
        slug = phase.slug(),
        ty = y + 9.5
    );
}

fn tick(out: &mut String, x: f64, row_top: f64, color: &str, title: &str) {
    let _ = write!(
        out,
        "<line class='tick' x1='{x:.2}' x2='{x:.2}' y1='{y0:.1}' y2='{y1:.1}' stroke='{color}' stroke-width='2'>\
         <title>{}</title></line>",
        esc(title),
        y0 = row_top + BAR_TOP - 2.0,
        y1 = row_top + ROW - 2.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> PodPhases {
        PodPhases {
            pod: "web-1".into(),
            deleted_ms: 6_000,
            endpoint_removed_ms: Some(7_500),
            gone_ms: 9_000,
            termination_seconds: 3.0,
            containers: vec![
                ContainerPhases {
                    container: "nginx".into(),
                    signal: Some("SIGTERM".into()),
                    signal_ms: Some(6_000),
                    exit_ms: Some(6_050),
                    exit: Some("exit 0".into()),
                    ..ContainerPhases::default()
                },
                ContainerPhases {
                    container: "php-fpm".into(),
                    prestop_start_ms: Some(6_000),
                    prestop_end_ms: Some(7_000),
                    signal: Some("SIGQUIT".into()),
                    signal_ms: Some(7_000),
                    sigkill_ms: Some(8_000),
                    exit_ms: Some(8_010),
                    exit: Some("killed by SIGKILL".into()),
                },
            ],
        }
    }

    #[test]
    fn phases_sit_on_the_shared_axis() {
        // The load started at 1s on the event axis: deletion at 6s is 5s on the chart.
        let axis = TimeAxis::new(0.0, 10.0);
        let failure = PodEvent {
            ms: 6_020,
            pod: "web-1".into(),
            kind: EventKind::UpstreamFailure,
            detail: "502 to the client".into(),
            container: String::new(),
        };
        let svg = chart(&[pod()], &axis, 1_000, &[(5, 7)], &[failure]);
        assert_eq!(svg.matches("class='upstream-failure'").count(), 1);
        assert_eq!(svg.matches("class='phase ph-routing'").count(), 1);
        assert_eq!(svg.matches("class='phase ph-stopping'").count(), 2);
        assert_eq!(svg.matches("class='phase ph-prestop'").count(), 1);
        assert_eq!(svg.matches("class='phase ph-killed'").count(), 1);
        let routing = &svg[svg.find("ph-routing").unwrap()..];
        assert!(routing.contains(&format!("x='{:.2}'", axis.map(5.0))));
        assert!(routing.contains(&format!("width='{:.2}'", axis.map(6.5) - axis.map(5.0))));
        assert_eq!(svg.matches("class='failure-band'").count(), 1);
        assert!(svg.contains("web-1/php-fpm — killed by SIGKILL"));
    }

    fn event(kind: &str, container: &str, ms: u64, detail: &str) -> PodEvent {
        PodEvent {
            ms,
            pod: "web-1".into(),
            container: container.into(),
            kind: EventKind::from_name(kind).expect("a known kind"),
            detail: detail.into(),
        }
    }

    #[test]
    fn a_fast_stop_looks_and_reads_unlike_a_graceful_one() {
        let events = [
            event(
                "started",
                "nginx",
                0,
                "PID 1 = nginx -g daemon off; (lab pid 7), stop signal SIGTERM",
            ),
            event(
                "started",
                "php-fpm",
                0,
                "PID 1 = php-fpm -R -F (lab pid 9), stop signal SIGQUIT",
            ),
        ];
        // On the run's scale nginx's 50 ms SIGTERM is a sliver: it is still named, beside it.
        let svg = chart(&[pod()], &TimeAxis::new(0.0, 60.0), 1_000, &[], &events);
        assert_eq!(svg.matches("class='phase ph-fast-stop'").count(), 1, "{svg}");
        assert_eq!(svg.matches("class='phase ph-stopping'").count(), 1);
        assert!(svg.contains("class='by-bar t-fast-stop'"), "the sliver is unlabelled: {svg}");
        assert!(svg.contains(">SIGTERM (fast stop)</text>"));
        assert!(svg.contains(">SIGQUIT (graceful)</text>"));
        assert_ne!(Phase::FastStop.fill(), Phase::Stopping.fill());
        assert!(pattern_defs().contains("id='g-fast'"));
    }

    #[test]
    fn every_failure_is_on_the_row_of_the_pod_that_caused_it_and_labels_stay_clear() {
        let mut other = pod();
        other.pod = "web-2".into();
        let failures = [
            event(
                "upstream-failure",
                "",
                6_020,
                "alb: connection refused (request not sent) → 502 to the client",
            ),
            event(
                "upstream-failure",
                "",
                6_030,
                "alb: connection refused (request not sent) → next upstream",
            ),
            PodEvent {
                pod: "web-2".into(),
                ..event("pod-5xx", "", 6_040, "the pod itself answered 502 Bad Gateway")
            },
        ];
        let svg = chart(&[pod(), other], &TimeAxis::new(0.0, 10.0), 1_000, &[], &failures);
        let y_of = |class: &str| {
            let at = svg.find(&format!("class='{class}'")).unwrap();
            let d = &svg[at..];
            let d = &d[d.find(",").unwrap() + 1..];
            d[..d.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap()]
                .parse::<f64>()
                .unwrap()
        };
        // web-1's row is the first (top 6), web-2's the fourth (after web-1's two containers).
        let row = |n: f64| 6.0 + ROW * n;
        assert!((row(0.0)..row(1.0)).contains(&y_of("upstream-failure")));
        assert!((row(0.0)..row(1.0)).contains(&y_of("upstream-retried")));
        assert!((row(3.0)..row(4.0)).contains(&y_of("pod-5xx")), "{svg}");
        assert!(svg.contains("pod web-1 (terminated in 3.0s) — 1 failed request<"));
        assert!(svg.contains("pod web-2 (terminated in 3.0s) — 1 failed request<"));
        // Marks at the same moment are counted, not hidden under each other.
        let twice = [failures[0].clone(), failures[0].clone()];
        let svg2 = chart(&[pod()], &TimeAxis::new(0.0, 10.0), 1_000, &[], &twice);
        assert!(
            svg2.contains("class='by-bar mark-count'") && svg2.contains(">×2</text>"),
            "{svg2}"
        );
        // Row labels sit above the bars and marks, never on them.
        for label in svg.match_indices("class='row-label'") {
            let y: f64 = svg[label.0..]
                .split("y='")
                .nth(1)
                .unwrap()
                .split('\'')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let top = ((y - 6.0) / ROW).floor() * ROW + 6.0;
            // The baseline plus descenders stays above where ticks and marks start.
            assert!(
                y + 2.0 <= top + BAR_TOP - 2.0,
                "label at {y} reaches into the ticks at {}",
                top + BAR_TOP
            );
        }
    }

    #[test]
    fn no_pods_says_so() {
        let svg = chart(&[], &TimeAxis::new(0.0, 1.0), 0, &[], &[]);
        assert!(svg.contains("no pod was terminated"));
    }
}
