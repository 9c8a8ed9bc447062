//! GitHub Actions workflow commands: annotations on the pull request's diff.
use crate::finding::{Finding, ParseFailure, Severity};
use crate::location::locate;
use crate::project::Project;

/// Escapes a message for a workflow command (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=LD00x::message` per finding.
pub fn render(project: &Project, findings: &[Finding], failures: &[ParseFailure]) -> String {
    let mut out = String::new();
    for e in failures {
        let loc = locate(project, e.span);
        let title = if e.unreadable { "cannot read" } else { "parse error" };
        out.push_str(&format!(
            "::error file={},line={},col={},title={title}::{}\n",
            escape_property(&loc.file),
            loc.start.line,
            loc.start.column,
            escape_data(&e.message)
        ));
    }
    for s in &project.skipped {
        out.push_str(&format!(
            "::notice file={},title=lameduck skipped a file::{}\n",
            escape_property(&s.path),
            escape_data(&format!("skipped {}: {}", s.path, s.reason))
        ));
    }
    for f in findings {
        let loc = locate(project, f.span);
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{} {}\n",
            escape_property(&loc.file),
            loc.start.line,
            loc.start.column,
            loc.end.line,
            loc.end.column,
            f.rule,
            f.rule,
            escape_data(&f.message)
        ));
    }
    out
}
