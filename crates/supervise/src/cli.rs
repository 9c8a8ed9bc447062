//! Command-line arguments and entry points of `lameduck run` and `lameduck prestop`.
use std::process::ExitCode;

/// Not implemented yet.
#[derive(Debug, clap::Args)]
pub struct RunArgs {}

/// Not implemented yet.
#[derive(Debug, clap::Args)]
pub struct PrestopArgs {}

/// Runs `lameduck run`.
pub fn run(_args: RunArgs) -> ExitCode {
    eprintln!("lameduck run: not implemented yet");
    ExitCode::from(2)
}

/// Runs `lameduck prestop`.
pub fn prestop(_args: PrestopArgs) -> ExitCode {
    eprintln!("lameduck prestop: not implemented yet");
    ExitCode::from(2)
}
