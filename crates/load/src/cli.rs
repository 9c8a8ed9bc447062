//! Command-line arguments and entry point of `lameduck load`.
use std::process::ExitCode;

/// Not implemented yet.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `lameduck load`.
pub fn execute(_args: Args) -> ExitCode {
    eprintln!("lameduck load: not implemented yet");
    ExitCode::from(2)
}
