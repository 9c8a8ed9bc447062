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
use crate::source::Span;

/// Source text with a display name, borrowed instead of copied per report.
struct Framed<'a> {
    name: String,
    text: &'a str,
}

impl SourceCode for Framed<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
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
            message: format!(
                "{}:{}:{}: cannot parse: {}",
                loc.file, loc.start.line, loc.start.column, failure.message
            ),
            code: Some("parse-error".into()),
            severity: miette::Severity::Error,
            source: Framed { name: f.name, text: f.text },
            labels,
            help: Some("fix the syntax; the other files were still checked".into()),
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
            help = format!("rendered at {rendered}; {help}");
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
            source: Framed { name: f.name, text: f.text },
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
    out.push_str(&summary(findings, failures, project.sources.len()));
    out
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
