//! The per-second stacked outcome chart: one bar per second (or merged seconds), one stacked
//! segment per outcome kind, a tinted band behind every second that had failures, and the
//! event markers on top.
use std::fmt::Write;

use super::bars::{failure_spans, stack, Bar};
use super::markers::{self, Marker, BADGE_ROOM};
use super::scale::{nice_ticks, tick_label, Linear};
use super::{seconds_label, TimeAxis, LEFT, RIGHT, WIDTH};
use crate::outcome::Kind;

/// Plot height of the outcome chart.
pub const PLOT_HEIGHT: f64 = 220.0;
/// The tint behind seconds with failures, and of the strip under them: not any kind's color.
pub const BAND_COLOR: &str = "#f6cfbb";
/// Segments with any requests are at least this tall (and bars this wide), so a single
/// failure in a long run is still visible.
const MIN_SEGMENT: f64 = 1.5;
const MIN_BAR_WIDTH: f64 = 1.0;
/// Beyond this many bars, per-bar hover titles would bloat the file more than they help.
const MAX_TITLED_BARS: usize = 1200;

/// The chart's SVG, `aria_label` describing it for screen readers.
// Long because it draws one SVG top-down: axis, stacked bars, legend.
pub fn chart(bars: &[Bar], axis: &TimeAxis, marks: &[Marker], aria_label: &str) -> String {
    let top = if marks.is_empty() { 12.0 } else { BADGE_ROOM };
    let bottom = top + PLOT_HEIGHT;
    let height = bottom + 34.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class='chart outcomes' viewBox='0 0 {WIDTH} {height}' role='img' \
         aria-label='{label}' data-plot-top='{top}' data-plot-bottom='{bottom}'>",
        label = super::esc(aria_label)
    );
    let ymax = bars.iter().map(Bar::total_rate).fold(0.0, f64::max);
    let ticks = nice_ticks(ymax, 5);
    let y = Linear::new((0.0, *ticks.last().unwrap_or(&1.0)), (bottom, top));

    // Failure band first, so bars and grid draw over it.
    for (t0, t1) in failure_spans(bars) {
        let (x0, x1) = (axis.map(t0 as f64), axis.map(t1 as f64));
        let w = (x1 - x0).max(MIN_BAR_WIDTH);
        let _ = write!(
            out,
            "<rect class='failure-band' x='{x0:.2}' y='{top:.1}' width='{w:.2}' \
             height='{PLOT_HEIGHT}' fill='{BAND_COLOR}'/>\
             <rect class='failure-strip' x='{x0:.2}' y='{sy:.1}' width='{w:.2}' height='6' \
             fill='{BAND_COLOR}'><title>failures {s0} to {s1}</title></rect>",
            sy = bottom + 2.0,
            s0 = seconds_label(t0 as f64),
            s1 = seconds_label(t1 as f64),
        );
    }
    y_axis(&mut out, &ticks, &y, "requests/s");
    if bars.is_empty() {
        let _ = write!(
            out,
            "<text class='empty' x='{x:.1}' y='{ty:.1}' text-anchor='middle'>no requests in this run</text>",
            x = (LEFT + WIDTH - RIGHT) / 2.0,
            ty = (top + bottom) / 2.0
        );
    }
    let mut paths: Vec<String> = vec![String::new(); Kind::COUNT];
    for bar in bars {
        let (x0, x1) = (axis.map(bar.t0 as f64), axis.map(bar.t1 as f64));
        let full = x1 - x0;
        let gap = if full > 4.0 { full * 0.12 } else { 0.0 };
        let w = (full - gap).max(MIN_BAR_WIDTH);
        for segment in stack(bar) {
            let y_high = y.map(segment.high);
            let h = (y.map(segment.low) - y_high).max(MIN_SEGMENT);
            let y_top = (y.map(segment.low) - h).max(top);
            let _ = write!(
                paths[segment.kind.index()],
                "M{x:.2},{y_top:.2}h{w:.2}v{h:.2}h{nw:.2}z",
                x = x0 + gap / 2.0,
                nw = -w
            );
        }
    }
    out.push_str("<g class='bars'>");
    for kind in Kind::ALL {
        let d = &paths[kind.index()];
        if !d.is_empty() {
            let _ = write!(out, "<path class='k-{}' fill='{}' d='{d}'/>", kind.slug(), kind.fill());
        }
    }
    out.push_str("</g>");
    if bars.len() <= MAX_TITLED_BARS {
        out.push_str("<g class='hits'>");
        for bar in bars {
            let (x0, x1) = (axis.map(bar.t0 as f64), axis.map(bar.t1 as f64));
            let _ = write!(
                out,
                "<rect x='{x0:.2}' y='{top:.1}' width='{w:.2}' height='{PLOT_HEIGHT}' fill='transparent'>\
                 <title>{title}</title></rect>",
                w = (x1 - x0).max(MIN_BAR_WIDTH),
                title = bar_title(bar)
            );
        }
        out.push_str("</g>");
    }
    axis.draw(&mut out, top, bottom + 10.0);
    markers::draw(&mut out, marks, axis, top, bottom, true);
    out.push_str("</svg>");
    out
}

/// Horizontal grid lines with labels on the left, and a rotated axis title.
fn y_axis(out: &mut String, ticks: &[f64], y: &Linear, title: &str) {
    out.push_str("<g class='axis y'>");
    for tick in ticks {
        let py = y.map(*tick);
        let _ = write!(
            out,
            "<line class='grid' x1='{LEFT}' x2='{r}' y1='{py:.1}' y2='{py:.1}'/>\
             <text x='{lx}' y='{ty:.1}' text-anchor='end'>{text}</text>",
            r = WIDTH - RIGHT,
            lx = LEFT - 6.0,
            ty = py + 4.0,
            text = tick_label(*tick)
        );
    }
    let mid = (y.range.0 + y.range.1) / 2.0;
    let _ = write!(
        out,
        "<text class='title' transform='translate(14 {mid:.1}) rotate(-90)' text-anchor='middle'>{title}</text></g>"
    );
}

/// `12s–13s: 2xx 98, 502 2`.
fn bar_title(bar: &Bar) -> String {
    let parts: Vec<String> = Kind::ALL
        .iter()
        .filter(|k| bar.counts[k.index()] > 0)
        .map(|k| format!("{} {}", k.label(), bar.counts[k.index()]))
        .collect();
    format!(
        "{}–{}: {}",
        seconds_label(bar.t0 as f64),
        seconds_label(bar.t1 as f64),
        if parts.is_empty() { "nothing".to_string() } else { parts.join(", ") }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::svg::bars::{bars, MAX_BARS};
    use lameduck_core::schema::SecondRecord;

    fn second(t: u64, codes: &[(&str, u64)]) -> SecondRecord {
        let codes = codes.iter().map(|(k, v)| (k.parse().expect("a status"), *v)).collect();
        SecondRecord { t, codes, ..SecondRecord::default() }
    }

    #[test]
    fn only_kinds_present_get_a_path_and_failures_get_a_band() {
        let seconds = vec![second(0, &[("200", 50)]), second(1, &[("200", 40), ("502", 10)])];
        let bars = bars(&seconds, MAX_BARS);
        let svg = chart(&bars, &TimeAxis::new(0.0, 2.0), &[], "test");
        assert!(svg.contains("class='k-2xx'"));
        assert!(svg.contains("class='k-502' fill='url(#p-502)'"));
        assert!(!svg.contains("class='k-503'"));
        assert_eq!(svg.matches("class='failure-band'").count(), 1);

        let clean = chart(&bars[..1], &TimeAxis::new(0.0, 2.0), &[], "test");
        assert!(!clean.contains("failure-band"));
    }

    #[test]
    fn an_empty_run_says_so() {
        let svg = chart(&[], &TimeAxis::new(0.0, 0.0), &[], "empty");
        assert!(svg.contains("no requests in this run"));
        assert!(!svg.contains("<path"));
    }

    #[test]
    fn one_failure_in_an_hour_is_still_drawn_with_visible_size() {
        let mut seconds: Vec<SecondRecord> =
            (0..3600).map(|t| second(t, &[("200", 1000)])).collect();
        seconds[1234].codes.insert(503, 1);
        let bars = bars(&seconds, MAX_BARS);
        let svg = chart(&bars, &TimeAxis::new(0.0, 3600.0), &[], "hour");
        let start = svg.find("class='k-503'").expect("503 drawn");
        let d = &svg[start..];
        let d = &d[d.find("d='M").unwrap() + 3..];
        let d = &d[..d.find('\'').unwrap()];
        // M x,y h W v H h -W z: width and height are at least the minimum.
        let numbers: Vec<f64> = d
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        assert!(numbers[2] >= MIN_BAR_WIDTH, "{d}");
        assert!(numbers[3] >= MIN_SEGMENT, "{d}");
        // Hover titles are skipped for thousands of bars.
        assert!(!svg.contains("class='hits'"));
    }
}
