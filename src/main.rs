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
/// Start with `lameduck lab seeds` to watch the failures happen, `lameduck check .` to find their
/// causes in your manifests, and `lameduck run` or `lameduck prestop` to fix them. Every
/// subcommand has its own --help; the same pages are in docs/cli/ and as man pages in docs/man/.
#[derive(Parser)]
#[command(name = "lameduck", version = env!("LAMEDUCK_VERSION"), about, long_about)]
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
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell) to stdout.
    ///
    /// bash:  lameduck completions bash > ~/.local/share/bash-completion/completions/lameduck
    /// zsh:   lameduck completions zsh > "${fpath[1]}/_lameduck"
    /// fish:  lameduck completions fish > ~/.config/fish/completions/lameduck.fish
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell to write the script for.
        shell: clap_complete::Shell,
    },
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
        Command::Completions { shell } => reference::write_completions(shell),
        Command::GenerateReference { out_dir } => reference::write_all(&out_dir),
    }
}
