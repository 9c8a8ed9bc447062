//! Standalone `run`/`prestop` binary: the same code as `lameduck run` and `lameduck prestop`,
//! without the lab, load generator and checker, for minimal container images and for tests.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// PID-1 supervisor and preStop helper that stop nginx and php-fpm without dropping requests.
#[derive(Parser)]
#[command(name = "lameduck", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Run(lameduck_supervise::cli::RunArgs),
    Prestop(lameduck_supervise::cli::PrestopArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run(args) => lameduck_supervise::cli::run(args),
        Command::Prestop(args) => lameduck_supervise::cli::prestop(args),
    }
}
