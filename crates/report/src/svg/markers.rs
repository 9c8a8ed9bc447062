//! Vertical event markers (an `--exec-at` command, a pod deletion, a signal...) drawn across a
//! chart, each with a numbered badge that the page's event table explains.
use std::fmt::Write;

use super::{esc, TimeAxis};

/// How a marker looks; each style differs by dash pattern and width as well as color.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Deleted,
    EndpointRemoved,
    Prestop,
    Signal,
    /// A signal that makes nginx or php-fpm stop at once (SIGTERM, SIGINT).
    FastSignal,
    Exit,
    Sigkill,
    Exec,
    Other,
}

impl Style {
    /// Stroke color, dash array and width.
    fn stroke(self) -> (&'static str, &'static str, f64) {
        match self {
            Style::Deleted => ("#000000", "none", 2.0),
            Style::EndpointRemoved => ("#0072b2", "7 3", 2.0),
            Style::Prestop => ("#009e73", "2 3", 1.6),
            Style::Signal => ("#e69f00", "none", 1.6),
            Style::FastSignal => ("#cc79a7", "6 2 1 2", 2.6),
            Style::Exit => ("#555555", "1 2", 1.4),
            Style::Sigkill => ("#d55e00", "none", 3.0),
            Style::Exec => ("#000000", "5 3", 1.6),
            Style::Other => ("#555555", "3 3", 1.0),
        }
    }

    /// Name for the page's CSS and the legend.
    pub fn name(self) -> &'static str {
        match self {
            Style::Deleted => "deleted",
            Style::EndpointRemoved => "endpoint-removed",
            Style::Prestop => "prestop",
            Style::Signal => "signal",
            Style::FastSignal => "signal-fast",
            Style::Exit => "exit",
            Style::Sigkill => "sigkill",
            Style::Exec => "exec",
            Style::Other => "other",
        }
    }

    /// What the legend calls it.
    pub fn legend(self) -> &'static str {
        match self {
            Style::Signal => "stop signal",
            Style::FastSignal => "fast-stop signal (SIGTERM to nginx/php-fpm)",
            Style::EndpointRemoved => "endpoint removed",
            other => other.name(),
        }
    }

    /// A small horizontal sample of the line, for legends.
    pub fn sample(self) -> String {
        let (color, dash, width) = self.stroke();
        format!(
            "<svg class='sample' width='28' height='12' viewBox='0 0 28 12' aria-hidden='true'>\
             <line x1='0' x2='28' y1='6' y2='6' stroke='{color}' stroke-dasharray='{dash}' \
             stroke-width='{width}'/></svg>"
        )
    }
}

/// One marker: `number` is its row in the page's event table.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Seconds on the page's time axis.
    pub t: f64,
    pub number: usize,
    pub style: Style,
    pub label: String,
}

/// Lines from `top` to `bottom`; with `badges`, numbered badges above `top`. Markers closer
/// than a badge's width share one badge (`4–9`), and neighbouring badges are staggered into
/// rows so that they stay readable.
pub fn draw(
    out: &mut String,
    markers: &[Marker],
    axis: &TimeAxis,
    top: f64,
    bottom: f64,
    badges: bool,
) {
    out.push_str("<g class='markers'>");
    for marker in markers {
        let x = axis.map(marker.t);
        let (color, dash, width) = marker.style.stroke();
        let _ = write!(
            out,
            "<line class='marker m-{name}' x1='{x:.1}' x2='{x:.1}' y1='{top:.1}' y2='{bottom:.1}' \
             stroke='{color}' stroke-dasharray='{dash}' stroke-width='{width}'>\
             <title>{number}. {label}</title></line>",
            name = marker.style.name(),
            number = marker.number,
            label = esc(&marker.label)
        );
    }
    if badges {
        draw_badges(out, markers, axis, top);
    }
    out.push_str("</g>");
}

fn draw_badges(out: &mut String, markers: &[Marker], axis: &TimeAxis, top: f64) {
    let mut sorted: Vec<&Marker> = markers.iter().collect();
    sorted.sort_by(|a, b| a.t.total_cmp(&b.t).then(a.number.cmp(&b.number)));
    let mut row_end = [f64::NEG_INFINITY; 3];
    let mut i = 0;
    while i < sorted.len() {
        let x = axis.map(sorted[i].t);
        let mut j = i + 1;
        while j < sorted.len() && axis.map(sorted[j].t) - x < CLUSTER {
            j += 1;
        }
        let group = &sorted[i..j];
        let first = group.iter().map(|m| m.number).min().unwrap_or(0);
        let last = group.iter().map(|m| m.number).max().unwrap_or(0);
        let text = if first == last { first.to_string() } else { format!("{first}–{last}") };
        let color = if group.len() == 1 { group[0].style.stroke().0 } else { "#000000" };
        let title: Vec<String> =
            group.iter().map(|m| format!("{}. {}", m.number, esc(&m.label))).collect();
        let half = 4.0 + 3.2 * text.chars().count() as f64;
        let row = row_end.iter().position(|end| x - half > *end + 1.0).unwrap_or_else(|| {
            // Every row is taken here: reuse the one that ends first.
            (0..row_end.len()).min_by(|a, b| row_end[*a].total_cmp(&row_end[*b])).unwrap_or(0)
        });
        row_end[row] = x + half;
        let cy = top - 9.0 - 15.0 * row as f64;
        let _ = write!(
            out,
            "<g class='badge'><rect x='{rx:.1}' y='{ry:.1}' width='{w:.1}' height='13' rx='3' \
             fill='#fff' stroke='{color}' stroke-width='1.2'/>\
             <text x='{x:.1}' y='{ty:.1}' text-anchor='middle'>{text}</text>\
             <title>{title}</title></g>",
            rx = x - half,
            ry = cy - 6.5,
            w = 2.0 * half,
            ty = cy + 3.5,
            title = title.join("\n"),
        );
        i = j;
    }
}

/// Markers closer than this share a badge.
const CLUSTER: f64 = 10.0;

/// Height above a chart's plot that badges need.
pub const BADGE_ROOM: f64 = 50.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coincident_markers_share_a_badge_and_neighbours_stagger() {
        let axis = TimeAxis::new(0.0, 100.0);
        let marker = |t: f64, number| Marker { t, number, style: Style::Signal, label: "x".into() };
        // Three at the same instant, then two a little apart (closer than a badge is wide).
        let markers = vec![
            marker(10.0, 10),
            marker(10.0, 11),
            marker(10.01, 12),
            marker(11.2, 13),
            marker(12.4, 14),
        ];
        let mut out = String::new();
        draw(&mut out, &markers, &axis, 60.0, 200.0, true);
        assert_eq!(out.matches("class='marker m-signal'").count(), 5);
        assert_eq!(out.matches("class='badge'").count(), 3, "{out}");
        assert!(out.contains(">10–12</text>"));
        for row in 0..3 {
            let y = 60.0 - 9.0 - 15.0 * row as f64 - 6.5;
            assert!(out.contains(&format!("y='{y:.1}'")), "no badge in row {row}: {out}");
        }
    }
}
