//! SARIF 2.1.0: one run, every rule described with its documentation, every result with a real
//! region (startLine, startColumn, endLine, endColumn).
use serde_json::{json, Value};

use crate::finding::{Finding, ParseFailure, Severity};
use crate::location::{locate, Location};
use crate::project::Project;
use crate::rules;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn physical(loc: &Location) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": loc.file.trim_start_matches("./") },
            "region": {
                "startLine": loc.start.line,
                "startColumn": loc.start.column,
                "endLine": loc.end.line,
                "endColumn": loc.end.column.max(if loc.end.line == loc.start.line { loc.start.column + 1 } else { 1 }),
            }
        }
    })
}

/// Renders a SARIF log.
pub fn render(project: &Project, findings: &[Finding], failures: &[ParseFailure]) -> String {
    let rule_meta: Vec<Value> = rules::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary() },
                "fullDescription": { "text": r.summary() },
                "help": { "text": r.doc(), "markdown": r.doc() },
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let loc = locate(project, f.span);
            let related: Vec<Value> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, (span, text))| {
                    let mut v = physical(&locate(project, *span));
                    v["id"] = json!(i);
                    v["message"] = json!({ "text": text });
                    v
                })
                .collect();
            json!({
                "ruleId": f.rule,
                "ruleIndex": rules::ALL.iter().position(|r| r.id == f.rule),
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [physical(&loc)],
                "relatedLocations": related,
            })
        })
        .collect();
    let notifications: Vec<Value> = failures
        .iter()
        .map(|e| {
            let loc = locate(project, e.span);
            let what = if e.unreadable { "cannot read" } else { "cannot parse" };
            json!({ "level": "error", "message": { "text": format!("{what}: {}", e.message) }, "locations": [physical(&loc)] })
        })
        .chain(project.skipped.iter().map(|s| {
            json!({
                "level": "note",
                "message": { "text": format!("skipped {}: {}", s.path, s.reason) },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": s.path.trim_start_matches("./") }
                }}],
            })
        }))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "lameduck",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rule_meta,
            }},
            "results": results,
            "invocations": [{
                "executionSuccessful": failures.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
        }]
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}
