//! The HTML page around the charts: one self-contained file with inline CSS and SVG, system
//! fonts, no scripts and no external resources, readable offline and when printed.
pub mod lab;
pub mod load;

use std::fmt::Write;

use crate::outcome::{pattern_defs, Kind, KindCounts};
use crate::svg::esc;

const CSS: &str = "
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 20px 28px 40px; max-width: 1240px; background: #fff; color: #1a1a1a;
  font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
h3 { font-size: 15px; margin: 18px 0 4px; }
p.sub, p.note { color: #444; margin: 2px 0 10px; }
code, .mono { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 12.5px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; border-bottom: 1px solid #eee; }
th { font-weight: 600; color: #333; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.summary { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 10px 0 4px; }
.stat { min-width: 110px; }
.stat .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.stat .k { color: #555; font-size: 12.5px; }
.stat.bad .v { color: #b34400; }
.badge-pass, .badge-fail { display: inline-block; padding: 0 6px; border-radius: 3px; font-weight: 600; font-size: 12.5px; }
.badge-pass { background: #d9f0e6; color: #00573f; border: 1px solid #009e73; }
.badge-fail { background: #fbe0d0; color: #8a3300; border: 1px solid #d55e00; }
figure { margin: 8px 0 14px; }
figcaption { font-weight: 600; margin: 4px 0 2px; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.chart text { font-size: 11px; fill: #333; }
svg.chart text.title { font-size: 11.5px; fill: #555; }
svg.chart text.empty { font-size: 14px; fill: #777; }
svg.chart text.row-label { font-size: 11px; fill: #222; }
svg.chart text.in-bar { font-size: 10px; fill: #000; }
svg.chart .badge text { font-size: 10px; font-weight: 600; fill: #000; }
svg.chart line.grid { stroke: #e6e6e6; stroke-width: 1; }
svg.chart line.baseline { stroke: #888; stroke-width: 1; }
ul.legend { list-style: none; padding: 0; margin: 4px 0 6px; display: flex; flex-wrap: wrap; gap: 4px 16px; }
ul.legend li { display: flex; align-items: center; gap: 5px; white-space: nowrap; }
ul.legend .count { color: #555; font-variant-numeric: tabular-nums; }
svg.swatch, svg.sample { flex: none; }
tr.verdict-bad td.verdict { color: #8a3300; font-weight: 600; }
tr.verdict-good td.verdict { color: #00573f; font-weight: 600; }
.failed-count { display: inline-block; padding: 0 6px; border-radius: 3px; font-weight: 700; color: #fff;
  border: 1px solid #8a3300; white-space: nowrap;
  background: repeating-linear-gradient(135deg, #d55e00 0 5px, #a84a00 5px 8px); }
.failed-none { color: #555; white-space: nowrap; }
.explain { color: #00573f; }
svg.chart text.row-label, svg.chart text.by-bar { paint-order: stroke; stroke: #fff; stroke-width: 3px;
  stroke-linejoin: round; }
svg.chart text.by-bar { font-size: 10px; fill: #000; font-weight: 600; }
details { margin: 4px 0 10px; }
footer { margin-top: 28px; color: #666; font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  figure, table, .summary, section.scenario > header { break-inside: avoid; }
  section.scenario { break-before: page; }
  details { display: block; }
  details > summary { list-style: none; }
}
";

/// The complete page: `title`, then `body` (already HTML).
pub fn page(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 8_192);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n\
         <meta name='viewport' content='width=device-width, initial-scale=1'>\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
         <svg width='0' height='0' style='position:absolute' aria-hidden='true' focusable='false'>\
         <defs>{patterns}{gantt}</defs></svg>\n{body}\n\
         <footer>Rendered by <code>lameduck report</code>. Self-contained: no scripts, no network.</footer>\n\
         </body>\n</html>\n",
        title = esc(title),
        patterns = pattern_defs(),
        gantt = crate::svg::gantt::pattern_defs(),
    );
    out
}

/// A legend listing exactly the kinds with a nonzero count, each with its swatch (color and
/// hatch), name and count.
pub fn outcome_legend(counts: &KindCounts) -> String {
    let mut out = String::from("<ul class='legend outcomes' aria-label='outcomes'>");
    for kind in Kind::ALL.iter().filter(|k| counts[k.index()] > 0) {
        let _ = write!(
            out,
            "<li data-kind='{slug}'><svg class='swatch' width='18' height='12' viewBox='0 0 18 12' aria-hidden='true'>\
             <rect width='18' height='12' fill='{fill}' stroke='#333' stroke-width='0.5'/></svg>\
             <span class='name'>{label}</span> <span class='count'>{count}</span></li>",
            slug = kind.slug(),
            fill = kind.fill(),
            label = kind.label(),
            count = thousands(counts[kind.index()]),
        );
    }
    out.push_str("</ul>");
    out
}

/// One stat of a summary block.
pub fn stat(out: &mut String, value: &str, key: &str, bad: bool) {
    let _ = write!(
        out,
        "<div class='stat{}'><div class='v'>{}</div><div class='k'>{}</div></div>",
        if bad { " bad" } else { "" },
        esc(value),
        esc(key)
    );
}

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub use lameduck_core::display::{ms, percent};

/// `2026-11-21 12:05:09 UTC` from milliseconds since the Unix epoch.
pub fn utc(unix_ms: u64) -> String {
    let (date, (h, m, s, _)) = lameduck_core::clock::civil(unix_ms);
    format!("{date} {h:02}:{m:02}:{s:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(percent(35, 10_000), "0.35%");
        assert_eq!(percent(0, 0), "0%");
        assert_eq!(percent(1, 4), "25.0%");
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_795_089_909_000), "2026-11-19 12:05:09 UTC");
    }

    #[test]
    fn legend_lists_exactly_the_kinds_seen() {
        let mut counts = [0; Kind::COUNT];
        counts[Kind::Http2xx.index()] = 10;
        counts[Kind::Refused.index()] = 1;
        let legend = outcome_legend(&counts);
        assert_eq!(legend.matches("<li").count(), 2);
        assert!(legend.contains("data-kind='2xx'") && legend.contains("data-kind='refused'"));
    }

    #[test]
    fn page_has_no_external_references_or_scripts() {
        let html = page("t", "<p>x</p>");
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("src="));
    }
}
