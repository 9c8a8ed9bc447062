//! Command-line arguments and entry point of `lameduck report`.
use std::process::ExitCode;

/// Not implemented yet.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `lameduck report`.
pub fn execute(_args: Args) -> ExitCode {
    eprintln!("lameduck report: not implemented yet");
    ExitCode::from(2)
}
