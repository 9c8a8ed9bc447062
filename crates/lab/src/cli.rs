//! Command-line arguments and entry point of `lameduck lab`.
use std::process::ExitCode;

/// Not implemented yet.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `lameduck lab`.
pub fn execute(_args: Args) -> ExitCode {
    eprintln!("lameduck lab: not implemented yet");
    ExitCode::from(2)
}
