//! The pure SVG builder: data in, SVG text out, no I/O. Every chart of a page shares one
//! horizontal time axis ([`TimeAxis`]) so that bars, latency lines, event markers and the pod
//! Gantt strip line up vertically.
pub mod bars;
pub mod gantt;
pub mod latency;
pub mod markers;
pub mod outcomes;
pub mod scale;

use std::fmt::Write;

use scale::{time_step, Linear};

/// Width of every chart's viewBox; the page scales it to the window.
pub const WIDTH: f64 = 1000.0;
/// Room for the y axis labels on the left.
pub const LEFT: f64 = 64.0;
/// Room on the right.
pub const RIGHT: f64 = 16.0;

/// The time axis shared by a page's charts, in seconds since the load started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeAxis {
    pub start: f64,
    pub end: f64,
    pub x: Linear,
}

impl TimeAxis {
    /// An axis over `[start, end]` seconds (at least one second wide).
    pub fn new(start: f64, end: f64) -> TimeAxis {
        let end = if end - start < 1.0 { start + 1.0 } else { end };
        TimeAxis { start, end, x: Linear::new((start, end), (LEFT, WIDTH - RIGHT)) }
    }

    /// An axis over exactly `[start, end]`, however short (a close-up).
    pub fn new_exact(start: f64, end: f64) -> TimeAxis {
        let end = if end > start { end } else { start + 0.001 };
        TimeAxis { start, end, x: Linear::new((start, end), (LEFT, WIDTH - RIGHT)) }
    }

    pub fn map(&self, seconds: f64) -> f64 {
        self.x.map(seconds)
    }

    /// Round tick values inside the axis (including negative ones for events before the
    /// load started).
    pub fn ticks(&self) -> Vec<f64> {
        let step = time_step((self.end - self.start) / 10.0);
        let first = (self.start / step).ceil() as i64;
        let last = (self.end / step).floor() as i64;
        (first..=last).map(|i| i as f64 * step).collect()
    }

    /// Tick marks and labels along `y`, plus vertical grid lines from `top` to `y`.
    pub fn draw(&self, out: &mut String, top: f64, y: f64) {
        out.push_str("<g class='axis x'>");
        let ticks = self.ticks();
        let step = match ticks.as_slice() {
            [a, b, ..] => b - a,
            _ => 1.0,
        };
        for t in ticks {
            let x = self.map(t);
            let _ = write!(
                out,
                "<line class='grid' x1='{x:.1}' x2='{x:.1}' y1='{top:.1}' y2='{y:.1}'/>\
                 <text x='{x:.1}' y='{ty:.1}' text-anchor='middle'>{label}</text>",
                ty = y + 14.0,
                label = tick_text(t, step)
            );
        }
        let _ = write!(
            out,
            "<line class='baseline' x1='{LEFT}' x2='{r}' y1='{y:.1}' y2='{y:.1}'/></g>",
            r = WIDTH - RIGHT
        );
    }
}

/// A tick label with as many decimals as the tick step needs (`2.15s` on a close-up).
fn tick_text(seconds: f64, step: f64) -> String {
    if step >= 1.0 {
        return seconds_label(seconds);
    }
    let decimals = (-step.log10()).ceil().clamp(1.0, 3.0) as usize;
    format!("{seconds:.decimals$}s")
}

/// `12s`, `-3s`, `2m30s`, `1h5m`.
pub fn seconds_label(seconds: f64) -> String {
    let sign = if seconds < 0.0 { "-" } else { "" };
    let total = seconds.abs();
    if total < 120.0 {
        let text = format!("{total:.1}");
        return format!("{sign}{}s", text.trim_end_matches('0').trim_end_matches('.'));
    }
    let whole = total.round() as u64;
    let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60);
    match (h, s) {
        (0, 0) => format!("{sign}{m}m"),
        (0, _) => format!("{sign}{m}m{s}s"),
        (_, _) if m == 0 => format!("{sign}{h}h"),
        (_, _) => format!("{sign}{h}h{m}m"),
    }
}

/// Escapes text for XML/HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_axis_maps_into_the_plot_and_ticks_stay_inside() {
        let axis = TimeAxis::new(-2.5, 30.0);
        assert_eq!(axis.map(-2.5), LEFT);
        assert_eq!(axis.map(30.0), WIDTH - RIGHT);
        let ticks = axis.ticks();
        assert_eq!(ticks.first(), Some(&0.0));
        assert!(ticks.iter().all(|t| (-2.5..=30.0).contains(t)));
        // An empty run still gets a usable one-second axis.
        let empty = TimeAxis::new(0.0, 0.0);
        assert_eq!(empty.end, 1.0);
    }

    #[test]
    fn labels_and_escaping() {
        assert_eq!(seconds_label(12.0), "12s");
        assert_eq!(tick_text(2.15, 0.05), "2.15s");
        assert_eq!(tick_text(2.2, 0.2), "2.2s");
        assert_eq!(tick_text(20.0, 10.0), "20s");
        assert_eq!(seconds_label(-1.5), "-1.5s");
        assert_eq!(seconds_label(150.0), "2m30s");
        assert_eq!(seconds_label(3900.0), "1h5m");
        assert_eq!(seconds_label(7200.0), "2h");
        assert_eq!(esc("a<b & 'c'"), "a&lt;b &amp; &#39;c&#39;");
    }
}
