//! The `lameduck` command line: parses arguments and hands each subcommand to its library crate.
//!
//! Nothing here does work of its own. Each subcommand's flags are defined next to the code that
//! uses them (`lameduck_load::cli`, `lameduck_lab::cli`, …) so the `--help` text and the behaviour
//! live in one place; this file only composes them, and joins the crates that sit side by side:
//! `lameduck load --report` draws its HTML with `lameduck-report`.
mod cli;
mod reference;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Lab(args) => lameduck_lab::cli::execute(args),
        Command::Load(args) => lameduck_load::cli::execute_with(args, Some(&write_load_html)),
        Command::Run(args) => lameduck_supervise::cli::run(args),
        Command::Prestop(args) => lameduck_supervise::cli::prestop(args),
        Command::Check(args) => lameduck_check::cli::execute(args),
        Command::Report(args) => lameduck_report::cli::execute(args),
        Command::Completions { shell } => reference::write_completions(shell),
        Command::GenerateReference { out_dir } => reference::write_all(&out_dir),
    }
}

/// `lameduck load --report FILE`: the run's report as self-contained HTML.
fn write_load_html(report: &lameduck_load::Report, path: &std::path::Path) -> Result<(), String> {
    let html = lameduck_report::html::load::render(report);
    lameduck_report::write_report(path, &html).map_err(|error| error.to_string())
}
