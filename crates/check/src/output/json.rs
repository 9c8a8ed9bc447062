//! JSON output: `{"findings": [...], "errors": [...], "skipped": [...]}` (`skipped` only when a
//! file was skipped), positions 1-based.
use serde::Serialize;

use crate::finding::{Finding, ParseFailure, Severity};
use crate::location::{locate, Location};
use crate::project::Project;
use crate::read::Skipped;

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    name: &'a str,
    severity: Severity,
    message: &'a str,
    location: Location,
    related: Vec<JsonRelated>,
}

#[derive(Serialize)]
struct JsonRelated {
    message: String,
    location: Location,
}

#[derive(Serialize)]
struct JsonError {
    message: String,
    location: Location,
}

#[derive(Serialize)]
struct Document<'a> {
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError>,
    /// Files not read on purpose (special files, symlinks out of the tree, too big).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    skipped: &'a [Skipped],
}

/// Renders findings and parse failures as pretty JSON.
pub fn render(project: &Project, findings: &[Finding], failures: &[ParseFailure]) -> String {
    let doc = Document {
        findings: findings
            .iter()
            .map(|f| JsonFinding {
                rule: f.rule,
                name: crate::rules::by_id(f.rule).map_or("", |r| r.name),
                severity: f.severity,
                message: &f.message,
                location: locate(project, f.span),
                related: f
                    .related
                    .iter()
                    .map(|(s, m)| JsonRelated { message: m.clone(), location: locate(project, *s) })
                    .collect(),
            })
            .collect(),
        errors: failures
            .iter()
            .map(|e| JsonError { message: e.message.clone(), location: locate(project, e.span) })
            .collect(),
        skipped: &project.skipped,
    };
    let mut out =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}
