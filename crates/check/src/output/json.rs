//! JSON output: `{"schema_version": 1, "findings": [...], "errors": [...], "skipped": [...],
//! "summary": {...}}` (`skipped` only when a file was skipped), positions 1-based.
use serde::Serialize;

use crate::finding::{Finding, ParseFailure, Severity};
use crate::location::{locate, Location};
use crate::project::Project;
use crate::read::Skipped;

#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct JsonFinding<'a> {
    rule: &'a str,
    name: &'a str,
    severity: Severity,
    message: &'a str,
    location: Location,
    related: Vec<JsonRelated>,
}

#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct JsonRelated {
    message: String,
    location: Location,
}

#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct JsonError {
    message: String,
    location: Location,
}

/// Bumped when a field changes meaning or goes away; new fields do not bump it.
const SCHEMA_VERSION: u32 = 1;

/// Counts for a CI step that wants numbers, not a walk over the arrays.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct Summary {
    findings: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    /// Files that could not be parsed (the `errors` array).
    parse_errors: usize,
    files_checked: usize,
    files_skipped: usize,
}

#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct Document<'a> {
    schema_version: u32,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError>,
    /// Files not read on purpose (special files, symlinks out of the tree, too big).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    skipped: &'a [Skipped],
    summary: Summary,
}

/// The JSON Schema of the document [`render`] writes (`docs/schema/check-report.schema.json`,
/// written by `scripts/gen-schemas`). It describes the output as written (nothing reads it
/// back), so a field left out when empty, like `skipped`, is not required.
#[cfg(feature = "schema")]
pub fn schema() -> schemars::Schema {
    let settings = schemars::generate::SchemaSettings::default().for_serialize();
    settings.into_generator().into_root_schema_for::<Document<'static>>()
}

/// Renders findings and parse failures as pretty JSON.
pub fn render(project: &Project, findings: &[Finding], failures: &[ParseFailure]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let summary = Summary {
        findings: findings.len(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        parse_errors: failures.len(),
        files_checked: project.sources.len(),
        files_skipped: project.skipped.len(),
    };
    let doc = Document {
        schema_version: SCHEMA_VERSION,
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
        summary,
    };
    let mut out =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}
