//! The latency chart: p50, p90, p99 and max per bar on a log scale (a timeout next to a
//! millisecond answer would flatten a linear one), each line with its own dash pattern.
//!
//! The lines are the OK responses' latency (2xx and 3xx): every response's percentiles would
//! fall during an outage, when fast 502s pull them down, and an outage would read as an
//! improvement. Failed responses' latency is drawn apart, as a cross per second at their p50
//! (their p99 and max in its tooltip), on top of the failure band. Files older than timeline
//! schema 2 have no OK latency of their own: there a second with failed responses breaks the
//! lines and gets hollow points, labelled as mixed.
use std::fmt::Write;

use super::bars::{failure_spans, Bar};
use super::markers::{self, Marker};
use super::outcomes::BAND_COLOR;
use super::scale::{ms_label, Log};
use super::{TimeAxis, WIDTH};
use lameduck_core::schema::LatencyMs;

pub const PLOT_HEIGHT: f64 = 160.0;

/// A latency series: name, how to read it from a bar, color and dash pattern.
pub struct Series {
    pub name: &'static str,
    pub get: fn(&LatencyMs) -> f64,
    pub color: &'static str,
    pub dash: &'static str,
    pub width: f64,
}

pub const SERIES: [Series; 4] = [
    Series { name: "p50", get: |l| l.p50, color: "#1b3a6b", dash: "none", width: 2.0 },
    Series { name: "p90", get: |l| l.p90, color: "#7b3294", dash: "6 3", width: 1.8 },
    Series { name: "p99", get: |l| l.p99, color: "#b35806", dash: "8 3 2 3", width: 1.8 },
    Series { name: "max", get: |l| l.max, color: "#555555", dash: "2 2", width: 1.4 },
];

/// A short line sample of a series, for the legend.
pub fn sample(series: &Series) -> String {
    format!(
        "<svg class='sample' width='28' height='12' viewBox='0 0 28 12' aria-hidden='true'>\
         <line x1='0' x2='28' y1='6' y2='6' stroke='{}' stroke-dasharray='{}' stroke-width='{}'/></svg>",
        series.color, series.dash, series.width
    )
}

/// The chart's SVG. Bars without completions leave a gap in every line.
pub fn chart(bars: &[Bar], axis: &TimeAxis, marks: &[Marker], aria_label: &str) -> String {
    let top = 10.0;
    let bottom = top + PLOT_HEIGHT;
    let height = bottom + 34.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class='chart latency' viewBox='0 0 {WIDTH} {height}' role='img' aria-label='{}'>",
        super::esc(aria_label)
    );
    let done: Vec<&Bar> = bars.iter().filter(|b| b.completed > 0).collect();
    let shown = |b: &&Bar| {
        let mixed = b.ok_unknown.then_some(b.latency);
        [b.ok_latency, b.failed_latency, mixed].into_iter().flatten()
    };
    let values = done.iter().flat_map(shown).flat_map(|l| SERIES.iter().map(move |s| (s.get)(&l)));
    let y = Log::covering(values, (bottom, top));
    log_axis(&mut out, &y);
    if done.is_empty() {
        let _ = write!(
            out,
            "<text class='empty' x='{x:.1}' y='{ty:.1}' text-anchor='middle'>no completed requests</text>",
            x = WIDTH / 2.0,
            ty = (top + bottom) / 2.0
        );
    }
    for (t0, t1) in failure_spans(bars) {
        let (x0, x1) = (axis.map(t0 as f64), axis.map(t1 as f64));
        let _ = write!(
            out,
            "<rect class='failure-band' x='{x0:.2}' y='{top:.1}' width='{w:.2}' height='{PLOT_HEIGHT}' \
             fill='{BAND_COLOR}'><title>failed responses {s0} to {s1}</title></rect>",
            w = (x1 - x0).max(1.0),
            s0 = super::seconds_label(t0 as f64),
            s1 = super::seconds_label(t1 as f64),
        );
    }
    failed_marks(&mut out, bars, axis, &y);
    for series in SERIES.iter().rev() {
        mixed_points(&mut out, bars, axis, &y, series);
        let points = polyline_points(bars, axis, &y, series.get);
        if points.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<path class='line l-{name}' fill='none' stroke='{color}' stroke-width='{width}' \
             stroke-dasharray='{dash}' stroke-linejoin='round' d='{points}'/>",
            name = series.name,
            color = series.color,
            width = series.width,
            dash = series.dash,
        );
    }
    axis.draw(&mut out, top, bottom);
    markers::draw(&mut out, marks, axis, top, bottom, false);
    out.push_str("</svg>");
    out
}

fn log_axis(out: &mut String, y: &Log) {
    out.push_str("<g class='axis y'>");
    for tick in y.ticks() {
        let py = y.map(tick);
        let _ = write!(
            out,
            "<line class='grid' x1='{l}' x2='{r}' y1='{py:.1}' y2='{py:.1}'/>\
             <text x='{lx}' y='{ty:.1}' text-anchor='end'>{text}</text>",
            l = super::LEFT,
            r = WIDTH - super::RIGHT,
            lx = super::LEFT - 6.0,
            ty = py + 4.0,
            text = ms_label(tick)
        );
    }
    let mid = (y.range.0 + y.range.1) / 2.0;
    let _ = write!(
        out,
        "<text class='title' transform='translate(14 {mid:.1}) rotate(-90)' text-anchor='middle'>latency</text></g>"
    );
}

/// A legend sample of the hollow point drawn for a second with failed responses.
pub fn mixed_sample() -> String {
    "<svg class='sample' width='12' height='12' viewBox='0 0 12 12' aria-hidden='true'>\
     <circle cx='6' cy='6' r='3.2' fill='#fff' stroke='#333' stroke-width='1.4'/></svg>"
        .to_string()
}

/// Color of the crosses for failed responses' latency (the 5xx red of the outcome chart).
pub const FAILED_COLOR: &str = "#c0392b";

/// A legend sample of the cross drawn for failed responses' latency.
pub fn failed_sample() -> String {
    format!(
        "<svg class='sample' width='12' height='12' viewBox='0 0 12 12' aria-hidden='true'>\
         <path d='M2.5,2.5L9.5,9.5M9.5,2.5L2.5,9.5' stroke='{FAILED_COLOR}' stroke-width='1.8'/></svg>"
    )
}

/// A cross at each bar's failed-response p50, with their percentiles in the tooltip.
fn failed_marks(out: &mut String, bars: &[Bar], axis: &TimeAxis, y: &Log) {
    for bar in bars {
        let Some(l) = bar.failed_latency else { continue };
        let (cx, cy) = (axis.map((bar.t0 + bar.t1) as f64 / 2.0), y.map(l.p50));
        let _ = write!(
            out,
            "<path class='failed-latency' d='M{x0:.2},{y0:.2}l6,6m0,-6l-6,6' stroke='{FAILED_COLOR}' \
             stroke-width='1.8'><title>failed responses ({failed}): p50 {p50}, p99 {p99}, max \
             {max}</title></path>",
            x0 = cx - 3.0,
            y0 = cy - 3.0,
            failed = bar.failures(),
            p50 = ms_label(l.p50),
            p99 = ms_label(l.p99),
            max = ms_label(l.max),
        );
    }
}

/// Hollow points for the bars whose OK latency is unknown (older files): their percentiles
/// mix OK and failed responses and so are not drawn as part of the line.
fn mixed_points(out: &mut String, bars: &[Bar], axis: &TimeAxis, y: &Log, series: &Series) {
    for bar in bars.iter().filter(|b| b.ok_unknown) {
        let value = (series.get)(&bar.latency);
        let _ = write!(
            out,
            "<circle class='mixed m-{name}' cx='{cx:.2}' cy='{cy:.2}' r='3.2' fill='#fff' \
             stroke='{color}' stroke-width='1.4'><title>{name} {value}, OK and failed responses \
             together ({failed} of {done} failed)</title></circle>",
            name = series.name,
            cx = axis.map((bar.t0 + bar.t1) as f64 / 2.0),
            cy = y.map(value),
            color = series.color,
            value = ms_label(value),
            failed = bar.failures(),
            done = bar.completed,
        );
    }
}

/// Path data through the center of each bar with an OK latency; a bar without OK responses
/// (or whose OK latency is unknown) starts a new subpath, and an isolated point becomes a short
/// tick so it stays visible.
fn polyline_points(bars: &[Bar], axis: &TimeAxis, y: &Log, get: fn(&LatencyMs) -> f64) -> String {
    let mut d = String::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    let flush = |run: &mut Vec<(f64, f64)>, d: &mut String| {
        match run.as_slice() {
            [] => {}
            [(x, y)] => {
                let _ = write!(d, "M{:.2},{y:.2}h3", x - 1.5);
            }
            [(x, y), rest @ ..] => {
                let _ = write!(d, "M{x:.2},{y:.2}");
                for (x, y) in rest {
                    let _ = write!(d, "L{x:.2},{y:.2}");
                }
            }
        }
        run.clear();
    };
    for bar in bars {
        let Some(latency) = bar.ok_latency else {
            flush(&mut run, &mut d);
            continue;
        };
        let x = axis.map((bar.t0 + bar.t1) as f64 / 2.0);
        run.push((x, y.map(get(&latency))));
    }
    flush(&mut run, &mut d);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::svg::bars::{bars, MAX_BARS};
    use lameduck_core::schema::SecondRecord;

    fn second(t: u64, completed: u64, p50: f64) -> SecondRecord {
        SecondRecord {
            t,
            completed,
            latency_ms: LatencyMs { p50, p90: p50 * 2.0, p99: p50 * 4.0, max: p50 * 8.0 },
            ..SecondRecord::default()
        }
    }

    #[test]
    fn gaps_split_lines_and_every_series_is_drawn() {
        let seconds =
            vec![second(0, 5, 1.0), second(1, 5, 2.0), second(2, 0, 0.0), second(3, 5, 1.0)];
        let svg = chart(&bars(&seconds, MAX_BARS), &TimeAxis::new(0.0, 4.0), &[], "t");
        for s in &SERIES {
            assert!(svg.contains(&format!("class='line l-{}'", s.name)), "{}", s.name);
        }
        let p50 = &svg[svg.find("l-p50").unwrap()..];
        let d = &p50[p50.find("d='").unwrap() + 3..];
        let d = &d[..d.find('\'').unwrap()];
        assert_eq!(d.matches('M').count(), 2, "{d}");
        // Log axis: decades from 1ms to 10ms at least.
        assert!(svg.contains(">1ms<") && svg.contains(">10ms<"));
    }

    #[test]
    fn seconds_with_failed_responses_are_not_part_of_the_lines() {
        // SecondRecord 2 is an outage: its fast 502s pull p50 down to 0.1ms. The line must not
        // dip there (it would read as an improvement): it breaks, and the second gets the
        // failure band and hollow points instead.
        let mut outage = second(2, 10, 0.1);
        outage.codes.insert(502, 9);
        outage.codes.insert(200, 1);
        let seconds = vec![second(0, 5, 40.0), second(1, 5, 40.0), outage, second(3, 5, 40.0)];
        let axis = TimeAxis::new(0.0, 4.0);
        let svg = chart(&bars(&seconds, MAX_BARS), &axis, &[], "t");
        let p50 = &svg[svg.find("class='line l-p50'").unwrap()..];
        let d = &p50[p50.find("d='").unwrap() + 3..];
        let d = &d[..d.find('\'').unwrap()];
        assert_eq!(d.matches('M').count(), 2, "the line goes through the outage: {d}");
        assert!(!d.contains(&format!("{:.2},", axis.map(2.5))), "{d}");
        assert_eq!(svg.matches("class='mixed m-").count(), SERIES.len());
        assert_eq!(svg.matches("class='failure-band'").count(), 1);
    }

    #[test]
    fn an_outage_does_not_pull_the_ok_lines_down_and_failed_latency_is_drawn_apart() {
        // SecondRecord 2 is an outage: 9 fast 502s (0.3ms) and 1 OK response at 40ms. Every
        // response's p50 is 0.3ms; the OK line must stay at 40ms and the 502s get a cross.
        let ok = |t: u64| {
            let mut s = second(t, 5, 40.0);
            s.codes.insert(200, 5);
            (s.ok, s.latency_ok_ms) = (5, Some(s.latency_ms));
            s
        };
        let all = crate::hdr_buckets(&[300, 300, 300, 300, 300, 300, 300, 300, 300, 40_000]);
        let ok_only = crate::hdr_buckets(&[40_000]);
        let outage = SecondRecord {
            t: 2,
            completed: 10,
            ok: 1,
            failed: 9,
            codes: [(502, 9), (200, 1)].into(),
            latency_ms: lameduck_core::schema::latency::percentiles(&all),
            latency_hist_us: all,
            latency_ok_ms: Some(lameduck_core::schema::latency::percentiles(&ok_only)),
            latency_ok_hist_us: ok_only,
            ..SecondRecord::default()
        };
        let seconds = vec![ok(0), ok(1), outage, ok(3)];
        let axis = TimeAxis::new(0.0, 4.0);
        let svg = chart(&bars(&seconds, MAX_BARS), &axis, &[], "t");
        let p50 = &svg[svg.find("class='line l-p50'").unwrap()..];
        let d = &p50[p50.find("d='").unwrap() + 3..];
        let d = &d[..d.find('\'').unwrap()];
        assert_eq!(d.matches('M').count(), 1, "one unbroken OK line: {d}");
        let ys: Vec<&str> = d.split(['M', 'L']).filter(|p| !p.is_empty()).collect();
        assert_eq!(ys.len(), 4, "{d}");
        let y_of = |p: &str| p.split(',').nth(1).unwrap().parse::<f64>().unwrap();
        // Within a pixel (the histogram's 40ms is 40.0xx ms); 0.3ms would be far below.
        let dips = ys.iter().any(|p| (y_of(p) - y_of(ys[0])).abs() > 1.0);
        assert!(!dips, "the line dips in the outage: {d}");
        assert_eq!(svg.matches("class='failed-latency'").count(), 1);
        assert!(svg.contains("failed responses (9): p50 0.3ms"), "{svg}");
        assert!(!svg.contains("class='mixed"), "OK latency is known: nothing is mixed");
    }

    #[test]
    fn no_completions_draws_no_lines() {
        let svg = chart(&bars(&[second(0, 0, 0.0)], MAX_BARS), &TimeAxis::new(0.0, 1.0), &[], "t");
        assert!(svg.contains("no completed requests"));
        assert!(!svg.contains("class='line"));
    }
}
