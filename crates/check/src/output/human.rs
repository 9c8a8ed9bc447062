//! Human output: one miette report per finding, with a code frame and `file:line:col`.
//! Colours only when writing to a terminal, so snapshots and CI logs stay plain.
use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, SourceCode,
    SourceSpan, SpanContents,
};

use crate::finding::{Finding, ParseFailure, Severity};
use crate::location::{frame, locate};
use crate::project::Project;
use crate::source::{SourceFile, Span};

/// Source text with a display name, borrowed instead of copied per report.
///
/// miette finds a span's line by scanning its source from the first byte; handed the whole file,
/// that made every report cost the size of the file (quadratic over a file's findings). Each
/// read is given only the lines around the span, found with the file's line index.
struct Framed<'a> {
    name: String,
    source: &'a SourceFile,
    /// The framed text is `source.text[base..base + len]` (a helm section, or the whole file).
    base: usize,
    len: usize,
}

impl SourceCode for Framed<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let (base, end) = (self.base, self.base + self.len);
        let start = base + span.offset();
        if start > end {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = self.source.line_col(base).line;
        let start_line = self.source.line_col(start).line;
        let end_line = self.source.line_col((start + span.len()).min(end)).line;
        // One line more on each side than asked: miette decides itself where the context starts.
        let window_line = start_line.saturating_sub(before + 1).max(first_line);
        let window_start = self.source.line_start(window_line).max(base);
        let last = self.source.line_start(end_line + after + 2);
        let window_end = last.clamp(window_start, end);
        let window = &self.source.text[window_start..window_end];
        let inner = window.read_span(
            &SourceSpan::new((start - window_start).into(), span.len()),
            before,
            after,
        )?;
        let lines_above = window_line - first_line;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new(
                (inner.span().offset() + window_start - base).into(),
                inner.span().len(),
            ),
            inner.line() + lines_above,
            inner.column(),
            inner.line_count() + lines_above,
        )))
    }
}

struct Report<'a> {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    source: Framed<'a>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.code.as_ref().map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.clone().into_iter()))
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
}

/// Moves a span's ends onto character boundaries of `text` (mapped config offsets may not be).
fn on_chars(text: &str, span: Span, base: usize) -> Span {
    let floor = |i: usize| {
        let mut i = i.clamp(base, base + text.len());
        while i > base && !text.is_char_boundary(i - base) {
            i -= 1;
        }
        i
    };
    Span { file: span.file, start: floor(span.start), end: floor(span.end) }
}

fn label(
    project: &Project,
    primary: Span,
    span: Span,
    text: Option<String>,
    base: usize,
    len: usize,
) -> Option<LabeledSpan> {
    if span.file != primary.file || span.start < base || span.start - base > len {
        return None;
    }
    let _ = project;
    let start = span.start - base;
    let end = (span.end.max(span.start) - base).min(len);
    Some(LabeledSpan::new(text, start, end.saturating_sub(start)))
}

/// Renders every finding and parse failure, then a summary line.
// Long because it lays out one diagnostic top-down (header, code frame, related locations, help),
// as it appears on screen.
pub fn render(
    project: &Project,
    findings: &[Finding],
    failures: &[ParseFailure],
    color: bool,
) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    let mut reports = Vec::new();
    for failure in failures {
        let f = frame(project, failure.span);
        let loc = locate(project, failure.span);
        let span = on_chars(f.text, failure.span, f.base);
        let labels = label(project, span, span, Some("here".into()), f.base, f.text.len())
            .into_iter()
            .collect();
        reports.push(Report {
            message: if failure.unreadable {
                format!("{}: cannot read: {}", loc.file, failure.message)
            } else {
                format!(
                    "{}:{}:{}: cannot parse: {}",
                    loc.file, loc.start.line, loc.start.column, failure.message
                )
            },
            code: Some("parse-error".into()),
            severity: miette::Severity::Error,
            source: Framed {
                name: f.name,
                source: project.sources.get(failure.span.file),
                base: f.base,
                len: f.text.len(),
            },
            labels,
            help: Some(if failure.unreadable {
                "the other files were still checked".into()
            } else {
                "fix the syntax; the other files were still checked".into()
            }),
        });
    }
    for finding in findings {
        let f = frame(project, finding.span);
        let loc = locate(project, finding.span);
        let primary = on_chars(f.text, finding.span, f.base);
        let mut labels: Vec<LabeledSpan> =
            label(project, primary, primary, None, f.base, f.text.len()).into_iter().collect();
        let mut elsewhere = Vec::new();
        for (span, text) in &finding.related {
            let inside = span.file == primary.file
                && span.start >= f.base
                && span.start <= f.base + f.text.len();
            let related = if inside { on_chars(f.text, *span, f.base) } else { *span };
            match label(project, primary, related, Some(text.clone()), f.base, f.text.len()) {
                Some(l) => labels.push(l),
                None => {
                    let other = locate(project, *span);
                    elsewhere.push(format!(
                        "{text}: {}:{}:{}",
                        other.file, other.start.line, other.start.column
                    ));
                }
            }
        }
        let rule = crate::rules::by_id(finding.rule).expect("findings come from rules");
        let mut help = format!("`lameduck check --explain {}` ({})", finding.rule, rule.name);
        if let Some(rendered) = &loc.rendered {
            help = match loc.rendered_only {
                true => format!("not found in the template: rendered at {rendered}; {help}"),
                false => format!("rendered at {rendered}; {help}"),
            };
        }
        if !elsewhere.is_empty() {
            help = format!("{}; {help}", elsewhere.join("; "));
        }
        reports.push(Report {
            message: format!(
                "{}:{}:{}: {}",
                loc.file, loc.start.line, loc.start.column, finding.message
            ),
            code: Some(finding.rule.to_string()),
            severity: match finding.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            source: Framed {
                name: f.name,
                source: project.sources.get(finding.span.file),
                base: f.base,
                len: f.text.len(),
            },
            labels,
            help: Some(help),
        });
    }
    for report in &reports {
        if handler.render_report(&mut out, report).is_err() {
            out.push_str(&report.message);
        }
        out.push('\n');
    }
    let mut last = summary(findings, failures, project.sources.len());
    if !project.skipped.is_empty() {
        last.pop();
        let n = project.skipped.len();
        last.push_str(&format!("; {n} skipped (see stderr)\n"));
    }
    out.push_str(&last);
    out
}

/// The notes printed on stderr for the files that were not read.
pub fn skipped_notes(project: &Project) -> String {
    project
        .skipped
        .iter()
        .map(|s| format!("lameduck check: note: skipped {}: {}\n", s.path, s.reason))
        .collect()
}

/// `3 findings (2 errors, 1 warning) in 4 files; 1 file could not be parsed`.
pub fn summary(findings: &[Finding], failures: &[ParseFailure], files: usize) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let plural =
        |n: usize, word: &str| if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") };
    let mut line = format!(
        "{} ({}, {}, {}) in {}",
        plural(findings.len(), "finding"),
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Info), "info"),
        plural(files, "file"),
    );
    if !failures.is_empty() {
        line.push_str(&format!("; {} could not be parsed", plural(failures.len(), "file")));
    }
    line.push('\n');
    line
}
