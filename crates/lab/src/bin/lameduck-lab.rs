//! `lameduck-lab`: the same as `lameduck lab`, as a binary of this crate so its integration
//! tests can run the lab without building the whole `lameduck` executable.
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(name = "lameduck-lab", version)]
struct Cli {
    #[command(flatten)]
    args: lameduck_lab::cli::Args,
}

fn main() -> ExitCode {
    lameduck_lab::cli::execute(Cli::parse().args)
}
