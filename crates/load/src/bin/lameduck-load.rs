//! `lameduck-load`: the same command as `lameduck load`, as a binary of its own so the load
//! crate's tests and benchmark can run the real command line without the whole workspace.
use std::process::ExitCode;

use clap::Parser;

// No doc comment here: the help text (with its examples) comes from `cli::Args`.
#[derive(Parser)]
#[command(name = "lameduck-load", version)]
struct Cli {
    #[command(flatten)]
    args: lameduck_load::cli::Args,
}

fn main() -> ExitCode {
    lameduck_load::cli::execute(Cli::parse().args)
}
