//! Where a span is reported: the file and line it is in, or, for `helm template` output, the
//! chart template named by the `# Source:` comment and the line within that template's section.
use crate::project::Project;
use crate::source::{LineCol, Span};

/// A resolved location.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Location {
    pub file: String,
    pub start: LineCol,
    pub end: LineCol,
    /// For helm output: the rendered file and line the location was found at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
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
        let shift = |lc: LineCol| LineCol {
            line: lc.line.saturating_sub(section.comment_line).max(1),
            column: lc.column,
        };
        return Location {
            file: section.chart_path.clone(),
            start: shift(start),
            end: shift(end),
            rendered: Some(format!("{}:{}:{}", source.path, start.line, start.column)),
        };
    }
    Location { file: source.path.clone(), start, end, rendered: None }
}

/// The text a code frame for `span` is drawn from: the whole file, or the helm section.
pub fn frame(project: &Project, span: Span) -> Frame<'_> {
    let source = project.sources.get(span.file);
    match helm_section(project, span) {
        Some(section) => Frame {
            name: section.chart_path.clone(),
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
