//! Command-line arguments and entry point of `lameduck check`.
use std::process::ExitCode;

/// Not implemented yet.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `lameduck check`.
pub fn execute(_args: Args) -> ExitCode {
    eprintln!("lameduck check: not implemented yet");
    ExitCode::from(2)
}
