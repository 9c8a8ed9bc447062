//! Findings, severities and parse failures: what every reporter prints.
use crate::source::Span;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "error" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "info" | "note" => Some(Severity::Info),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One rule violation.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// Secondary places worth showing (the other container, the config that sets the timeout).
    pub related: Vec<(Span, String)>,
    /// Index of the workload the finding belongs to, for the ignore annotation.
    pub workload: Option<usize>,
}

/// A file that could not be parsed; the run goes on with the other files.
#[derive(Debug, Clone)]
pub struct ParseFailure {
    pub span: Span,
    pub message: String,
    /// The file could not be read or decoded at all (as opposed to a syntax error in it).
    pub unreadable: bool,
}
