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
            Style::Exit => "exit",
            Style::Sigkill => "sigkill",
            Style::Exec => "exec",
            Style::Other => "other",
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

/// Lines from `top` to `bottom`; with `badges`, numbered badges above `top`, staggered into
/// rows when markers are too close to read.
pub fn draw(
    out: &mut String,
    markers: &[Marker],
    axis: &TimeAxis,
    top: f64,
    bottom: f64,
    badges: bool,
) {
    out.push_str("<g class='markers'>");
    let mut row_end = [f64::NEG_INFINITY; 3];
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
        if badges {
            let text = marker.number.to_string();
            let half = 4.0 + 3.2 * text.len() as f64;
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
                 <title>{number}. {label}</title></g>",
                rx = x - half,
                ry = cy - 6.5,
                w = 2.0 * half,
                ty = cy + 3.5,
                number = marker.number,
                label = esc(&marker.label)
            );
        }
    }
    out.push_str("</g>");
}

/// Height above a chart's plot that badges need.
pub const BADGE_ROOM: f64 = 50.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_markers_get_separate_badge_rows() {
        let axis = TimeAxis::new(0.0, 100.0);
        let markers: Vec<Marker> = (0..3)
            .map(|i| Marker {
                t: 10.0 + i as f64 * 0.1,
                number: i + 1,
                style: Style::Signal,
                label: "x".into(),
            })
            .collect();
        let mut out = String::new();
        draw(&mut out, &markers, &axis, 60.0, 200.0, true);
        assert_eq!(out.matches("class='marker m-signal'").count(), 3);
        for row in 0..3 {
            let y = 60.0 - 9.0 - 15.0 * row as f64 - 6.5;
            assert!(out.contains(&format!("y='{y:.1}'")), "no badge in row {row}: {out}");
        }
    }
}
