//! The `lameduck` command line: parses arguments and hands each subcommand to its library crate.
//!
//! Nothing here does work of its own. Each subcommand's flags are defined next to the code that
//! uses them (`lameduck_load::cli`, `lameduck_lab::cli`, …) so the `--help` text and the behaviour
//! live in one place; this file only composes them.
mod cli;
mod reference;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Lab(args) => lameduck_lab::cli::execute(args),
        Command::Load(args) => lameduck_load::cli::execute(args),
        Command::Run(args) => lameduck_supervise::cli::run(args),
        Command::Prestop(args) => lameduck_supervise::cli::prestop(args),
        Command::Check(args) => lameduck_check::cli::execute(args),
        Command::Report(args) => lameduck_report::cli::execute(args),
        Command::Completions { shell } => reference::write_completions(shell),
        Command::GenerateReference { out_dir } => reference::write_all(&out_dir),
    }
}
