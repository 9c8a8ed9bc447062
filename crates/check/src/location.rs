//! Where a span is reported: the file and line it is in, or, for `helm template` output, the
//! chart template named by the `# Source:` comment and the line within that template's section.
//! For a chart rendered here the template's text is at hand: the line is looked up in it.
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
            let first = section.comment_line + 1;
            let lines: Vec<&str> = (first..=start.line).map(|l| source.line_text(l)).collect();
            let found = crate::template_line::place(template, &lines, start.column);
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
