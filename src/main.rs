//! The `lameduck` command line: parses arguments and hands each subcommand to its library crate.
//!
//! Nothing here does work of its own. Each subcommand's flags are defined next to the code that
//! uses them (`lameduck_load::cli`, `lameduck_lab::cli`, …) so the `--help` text and the behaviour
//! live in one place; this file only composes them.
mod reference;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Reproduce, measure, fix and prevent the 502s that nginx + php-fpm pods return while they
/// terminate on Kubernetes.
///
/// lab      reproduce pod termination with real nginx and php-fpm on one machine
/// load     open-loop HTTP load with a per-second timeline of every failure
/// run      PID-1 entrypoint that turns SIGTERM into an ordered, drain-aware stop
/// prestop  preStop hook for two-container pods: drain, then stop in the right order
/// check    find shutdown bugs in manifests, Dockerfiles and server configs
/// report   render an HTML report from a saved timeline or lab result
#[derive(Parser)]
#[command(name = "lameduck", version = env!("LAMEDUCK_VERSION"), about, long_about, verbatim_doc_comment)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Lab(lameduck_lab::cli::Args),
    Load(lameduck_load::cli::Args),
    Run(lameduck_supervise::cli::RunArgs),
    Prestop(lameduck_supervise::cli::PrestopArgs),
    Check(lameduck_check::cli::Args),
    Report(lameduck_report::cli::Args),
    /// Writes the command-line reference (one Markdown page per subcommand) into a directory.
    #[command(hide = true)]
    GenerateReference {
        out_dir: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Lab(args) => lameduck_lab::cli::execute(args),
        Command::Load(args) => lameduck_load::cli::execute(args),
        Command::Run(args) => lameduck_supervise::cli::run(args),
        Command::Prestop(args) => lameduck_supervise::cli::prestop(args),
        Command::Check(args) => lameduck_check::cli::execute(args),
        Command::Report(args) => lameduck_report::cli::execute(args),
        Command::GenerateReference { out_dir } => reference::write_all(&out_dir),
    }
}
