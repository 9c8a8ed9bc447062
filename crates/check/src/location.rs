//! Where a span is reported: the file and line it is in, or, for `helm template` output, the
//! chart template named by the `# Source:` comment and the line within that template's section.
//! For a chart rendered here the template's text is at hand: the line is looked up in it.
use crate::project::Project;
use crate::source::{LineCol, Span};

/// A resolved location.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub start: LineCol,
    pub end: LineCol,
    /// For helm output: the rendered file and line the location was found at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
    /// The line could not be found in the template: the location is its line 1, and only
    /// `rendered` says where the finding is.
    #[serde(skip)]
    pub rendered_only: bool,
}

/// The byte range and name of the text a code frame is drawn from.
pub struct Frame<'a> {
    pub name: String,
    pub text: &'a str,
    /// Offset of `text` in the file.
    pub base: usize,
}

/// Resolves a span to a location, mapping helm output back to chart files.
pub fn locate(project: &Project, span: Span) -> Location {
    let source = project.sources.get(span.file);
    let start = source.line_col(span.start);
    let end = source.line_col(span.end);
    if let Some(section) = helm_section(project, span) {
        let rendered = Some(format!("{}:{}:{}", source.path, start.line, start.column));
        if let Some(template) = project.templates.get(&section.chart_path) {
            let near = start.line.saturating_sub(section.comment_line);
            let at = (source.line_text(start.line), start.column);
            let found = line_in_template(template, at, near);
            let (start, end, rendered_only) = match found {
                Some((start, end)) => (start, end, false),
                None => (LineCol { line: 1, column: 1 }, LineCol { line: 1, column: 1 }, true),
            };
            let file = section.chart_path.clone();
            return Location { file, start, end, rendered, rendered_only };
        }
        let shift = |lc: LineCol| LineCol {
            line: lc.line.saturating_sub(section.comment_line).max(1),
            column: lc.column,
        };
        return Location {
            file: section.chart_path.clone(),
            start: shift(start),
            end: shift(end),
            rendered,
            rendered_only: false,
        };
    }
    Location { file: source.path.clone(), start, end, rendered: None, rendered_only: false }
}

/// Where a rendered line is in its template: the line with the same text (literal text renders
/// as itself), else the line with the same key (`image: {{ .Values.image }}` for `image: php`);
/// the nearest to the same line number when several match. `None` when neither is there.
fn line_in_template(
    template: &str,
    (rendered, column): (&str, usize),
    near: usize,
) -> Option<(LineCol, LineCol)> {
    let trimmed = rendered.trim();
    if trimmed.is_empty() {
        return None;
    }
    let key = yaml_key(trimmed);
    let lines: Vec<&str> = template.lines().collect();
    let find = |matches: &dyn Fn(&str) -> bool| {
        let found = lines.iter().enumerate().filter(|(_, line)| matches(line.trim()));
        found.map(|(i, _)| i).min_by_key(|i| (i + 1).abs_diff(near))
    };
    let index = find(&|line| line == trimmed)
        .or_else(|| key.and_then(|key| find(&|line| yaml_key(line) == Some(key))))?;
    let line = lines[index];
    let indent = line.len() - line.trim_start().len();
    let rendered_indent = rendered.len() - rendered.trim_start().len();
    let width = line.trim().chars().count();
    let within = column.saturating_sub(rendered_indent + 1).min(width);
    let start = LineCol { line: index + 1, column: indent + within + 1 };
    let end = LineCol { line: index + 1, column: indent + width + 1 };
    Some((start, end))
}

/// `image` of `image: php` and of `- image: php`; `None` for a line that is no mapping key.
fn yaml_key(line: &str) -> Option<&str> {
    let line = line.trim_start_matches("- ");
    let (key, _) = line.split_once(':')?;
    let plain = !key.is_empty() && !key.contains(['{', ' ', '"', '\'', '#']);
    plain.then_some(key)
}

/// The text a code frame for `span` is drawn from: the whole file, or the helm section.
pub fn frame(project: &Project, span: Span) -> Frame<'_> {
    let source = project.sources.get(span.file);
    match helm_section(project, span) {
        Some(section) => Frame {
            // A chart rendered here: the frame shows what the rules read, not the template.
            name: if project.templates.contains_key(&section.chart_path) {
                format!("{} (rendered)", section.chart_path)
            } else {
                section.chart_path.clone()
            },
            text: &source.text[section.start..section.end],
            base: section.start,
        },
        None => Frame { name: source.path.clone(), text: &source.text, base: 0 },
    }
}

fn helm_section(project: &Project, span: Span) -> Option<&crate::parse::yaml::HelmSection> {
    // Sections are in file order: a binary search keeps many findings in big output linear.
    let sections = project.helm.get(&span.file)?;
    let after = sections.partition_point(|s| s.start <= span.start);
    sections[..after].last().filter(|s| span.start < s.end.max(s.start + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "spec:\n  containers:\n    - name: web\n      image: {{ .Values.image }}\n    - name: fpm\n      image: {{ .Values.fpm }}\n";

    fn line(rendered: &str, column: usize, near: usize) -> Option<(usize, usize)> {
        line_in_template(TEMPLATE, (rendered, column), near).map(|(s, _)| (s.line, s.column))
    }

    #[test]
    fn literal_lines_are_found_as_they_are() {
        assert_eq!(line("        - name: fpm", 17, 9), Some((5, 13)), "same text, its indent");
    }

    #[test]
    fn templated_values_are_found_by_key_nearest_the_rendered_line() {
        assert_eq!(line("      image: php:8.3-fpm", 14, 7), Some((6, 14)));
        assert_eq!(line("      image: nginx", 14, 3), Some((4, 14)));
    }

    #[test]
    fn lines_the_template_does_not_have_are_not_placed() {
        // Written by a helper (`include`), not by this template.
        assert_eq!(line("    app.kubernetes.io/name: shop", 5, 4), None);
        assert_eq!(line("   ", 1, 1), None);
    }
}
