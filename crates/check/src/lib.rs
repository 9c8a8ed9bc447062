//! Static checker for shutdown bugs in Kubernetes manifests, Dockerfiles and server configs.
//!
//! The pipeline: [`project::Project::load`] reads and parses every input once;
//! [`pods::pods`] joins pods with their images, Dockerfiles, ConfigMaps and Services;
//! [`engine::check`] runs the [`rules`]; [`output`] renders the findings.
pub mod cli;
mod duration;
pub mod engine;
mod exit;
pub mod finding;
pub mod helm;
mod image;
pub mod k8s;
mod lameduck_flags;
pub mod location;
pub mod output;
pub mod parse;
mod pods;
pub mod project;
pub mod read;
mod role;
pub mod rules;
mod server_configs;
pub mod settings;
pub mod shell;
pub mod source;
mod template_line;
mod walk;

use finding::{Finding, Severity};
use output::Format;
use project::Project;

/// The result of checking some inputs, rendered.
pub struct CheckResult {
    pub output: String,
    pub exit: u8,
    pub findings: Vec<Finding>,
}

/// Checks a loaded project and renders the result in `format`.
pub fn run(project: &Project, format: Format, fail_level: Severity, color: bool) -> CheckResult {
    let findings = engine::check(project);
    let failures = &project.failures;
    let output = match format {
        Format::Human => output::human::render(project, &findings, failures, color),
        Format::Json => output::json::render(project, &findings, failures),
        Format::Sarif => output::sarif::render(project, &findings, failures),
        Format::Github => output::github::render(project, &findings, failures),
    };
    let exit = if !failures.is_empty() {
        exit::USAGE_OR_PARSE
    } else if findings.iter().any(|f| f.severity >= fail_level) {
        exit::FINDINGS
    } else {
        exit::CLEAN
    };
    CheckResult { output, exit, findings }
}
