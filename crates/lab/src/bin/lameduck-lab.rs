//! `lameduck-lab`: the same as `lameduck lab`, as a binary of this crate so its integration
//! tests can run the lab without building the whole `lameduck` executable.
//!
//! Pods call `/lameduck run …` and `/lameduck prestop …`, and `/lameduck` is the lab's own
//! executable: so this binary also answers `run` and `prestop`, as `lameduck` does.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "lameduck-lab", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    pod_command: Option<PodCommand>,
    #[command(flatten)]
    args: Option<lameduck_lab::cli::Args>,
}

/// What pods run through `/lameduck`.
#[derive(Subcommand)]
enum PodCommand {
    Run(lameduck_supervise::cli::RunArgs),
    Prestop(lameduck_supervise::cli::PrestopArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match (cli.pod_command, cli.args) {
        (Some(PodCommand::Run(args)), _) => lameduck_supervise::cli::run(args),
        (Some(PodCommand::Prestop(args)), _) => lameduck_supervise::cli::prestop(args),
        (None, Some(args)) => lameduck_lab::cli::execute(args),
        (None, None) => {
            eprintln!("lameduck-lab: nothing to do; see --help");
            ExitCode::from(2)
        }
    }
}
