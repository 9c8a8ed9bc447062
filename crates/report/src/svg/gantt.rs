//! The per-pod Gantt strip of a lab scenario, on the same time axis as its outcome chart:
//! how long the ingress kept routing to the deleted pod, then per container its preStop, its
//! graceful stop after the signal, a SIGKILL if it came to that, and the exit. Seconds with
//! failed requests are tinted behind it, so a reader sees which phase the failures fell in.
use std::fmt::Write;

use super::outcomes::BAND_COLOR;
use super::{esc, TimeAxis, LEFT, RIGHT, WIDTH};
use crate::model::{ContainerPhases, LabEvent, PodPhases};

const ROW: f64 = 30.0;
/// Color of the marks for requests the ingress failed: the 502 color.
pub const FAILURE_MARK: &str = "#d55e00";
const BAR: f64 = 12.0;

/// The phases a strip can show, with their fills (the legend uses the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Routing,
    Prestop,
    Stopping,
    Killed,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Routing, Phase::Prestop, Phase::Stopping, Phase::Killed];

    pub fn label(self) -> &'static str {
        match self {
            Phase::Routing => "deleted, ingress still routing to it",
            Phase::Prestop => "preStop hook (drain)",
            Phase::Stopping => "signal sent, graceful stop",
            Phase::Killed => "SIGKILL",
        }
    }

    pub fn fill(self) -> &'static str {
        match self {
            Phase::Routing => "url(#g-routing)",
            Phase::Prestop => "#56b4e9",
            Phase::Stopping => "#e69f00",
            Phase::Killed => "url(#g-killed)",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Phase::Routing => "routing",
            Phase::Prestop => "prestop",
            Phase::Stopping => "stopping",
            Phase::Killed => "killed",
        }
    }
}

/// Patterns for the hatched phases, to include once per page.
pub fn pattern_defs() -> &'static str {
    "<pattern id='g-routing' patternUnits='userSpaceOnUse' width='6' height='6'>\
     <rect width='6' height='6' fill='#bbbbbb'/><path d='M0,6 l6,-6' stroke='#555' stroke-width='1'/></pattern>\
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

/// The strip's SVG: `start_ms` is the event-log time of timeline second 0, `failure_spans`
/// the timeline's failing seconds, and `events` the scenario's log, whose `upstream-failure`
/// entries (a request the ingress could not complete with that pod) are marked on the pod's
/// row.
pub fn chart(
    pods: &[PodPhases],
    axis: &TimeAxis,
    start_ms: u64,
    failure_spans: &[(u64, u64)],
    events: &[LabEvent],
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
    let at = |ms: u64| axis.map((ms as f64 - start_ms as f64) / 1000.0);
    let mut row_top = top;
    for pod in pods {
        label(
            &mut out,
            row_top,
            &format!("pod {} (terminated in {:.1}s)", pod.pod, pod.termination_seconds),
        );
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
        for failure in events.iter().filter(|e| e.kind == "upstream-failure" && e.pod == pod.pod) {
            let x = at(failure.ms);
            if (LEFT..=WIDTH - RIGHT).contains(&x) {
                let _ = write!(
                    out,
                    "<path class='upstream-failure' d='M{x:.2},{y0:.1}l4,5l-4,5l-4,-5z' fill='{FAILURE_MARK}' \
                     stroke='#fff' stroke-width='0.6'><title>{t:.3}s {detail}</title></path>",
                    y0 = row_top + 15.0,
                    t = (failure.ms as f64 - start_ms as f64) / 1000.0,
                    detail = esc(&failure.detail)
                );
            }
        }
        row_top += ROW;
        for container in &pod.containers {
            container_row(&mut out, container, &pod.pod, row_top, &at);
            row_top += ROW;
        }
    }
    axis.draw(&mut out, top, bottom);
    out.push_str("</svg>");
    out
}

fn container_row(
    out: &mut String,
    c: &ContainerPhases,
    pod: &str,
    row_top: f64,
    at: &dyn Fn(u64) -> f64,
) {
    let exit = c.exit.as_deref().unwrap_or("still running");
    label(out, row_top, &format!("  {}/{} — {}", pod, c.container, exit));
    if let Some(start) = c.prestop_start_ms {
        let end = c.prestop_end_ms.or(c.signal_ms).or(c.exit_ms).unwrap_or(start);
        segment(out, at(start), at(end), row_top, Phase::Prestop, "preStop");
    }
    if let Some(signal_ms) = c.signal_ms {
        let end = c.sigkill_ms.or(c.exit_ms).unwrap_or(signal_ms);
        let text = c.signal.as_deref().unwrap_or("signal");
        segment(out, at(signal_ms), at(end), row_top, Phase::Stopping, text);
    }
    if let Some(kill) = c.sigkill_ms {
        let end = c.exit_ms.unwrap_or(kill);
        segment(out, at(kill), at(end), row_top, Phase::Killed, "SIGKILL");
    }
    if let Some(ms) = c.exit_ms {
        tick(out, at(ms), row_top, "#000", &format!("{pod}/{}: {exit}", c.container));
    }
}

fn label(out: &mut String, row_top: f64, text: &str) {
    let _ = write!(
        out,
        "<text class='row-label' x='{x}' y='{y:.1}'>{}</text>",
        esc(text),
        x = LEFT + 2.0,
        y = row_top + 10.0
    );
}

/// A phase bar from `x0` to `x1` (at least 2 wide so instants stay visible), with its name
/// inside when it fits.
fn segment(out: &mut String, x0: f64, x1: f64, row_top: f64, phase: Phase, text: &str) {
    let x0 = x0.clamp(LEFT, WIDTH - RIGHT);
    let w = (x1.clamp(LEFT, WIDTH - RIGHT) - x0).max(2.0);
    let y = row_top + 14.0;
    let _ = write!(
        out,
        "<rect class='phase ph-{slug}' x='{x0:.2}' y='{y:.1}' width='{w:.2}' height='{BAR}' fill='{fill}' \
         stroke='#333' stroke-width='0.5'><title>{title}: {text}</title></rect>",
        slug = phase.slug(),
        fill = phase.fill(),
        title = phase.label(),
        text = esc(text),
    );
    if phase != Phase::Routing && w > 7.0 * text.len() as f64 + 6.0 {
        let _ = write!(
            out,
            "<text class='in-bar' x='{x:.1}' y='{ty:.1}'>{}</text>",
            esc(text),
            x = x0 + 3.0,
            ty = y + 9.5
        );
    }
}

fn tick(out: &mut String, x: f64, row_top: f64, color: &str, title: &str) {
    let _ = write!(
        out,
        "<line class='tick' x1='{x:.2}' x2='{x:.2}' y1='{y0:.1}' y2='{y1:.1}' stroke='{color}' stroke-width='2'>\
         <title>{}</title></line>",
        esc(title),
        y0 = row_top + 11.0,
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
        let failure = LabEvent {
            ms: 6_020,
            pod: "web-1".into(),
            kind: "upstream-failure".into(),
            detail: "502 to the client".into(),
            ..LabEvent::default()
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

    #[test]
    fn no_pods_says_so() {
        let svg = chart(&[], &TimeAxis::new(0.0, 1.0), 0, &[], &[]);
        assert!(svg.contains("no pod was terminated"));
    }
}
