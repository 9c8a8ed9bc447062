//! Reporters: human (miette code frames), JSON, SARIF 2.1.0 and GitHub workflow commands.
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

/// The output format chosen with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Code frames with `file:line:col`, for people.
    Human,
    /// One JSON document with findings and parse errors.
    Json,
    /// SARIF 2.1.0 with real regions, for code-scanning UIs.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`).
    Github,
}
