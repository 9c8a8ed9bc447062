//! The `lameduck` argument grammar: the subcommands, each with the flags its library crate
//! defines. Kept apart from `main` so that tests can parse command lines (the documentation's
//! examples) exactly as the binary does, without running them.
use clap::{Parser, Subcommand};

/// Reproduce, measure, fix and prevent the 502s that nginx + php-fpm pods return while they
/// terminate on Kubernetes.
///
/// Start with `lameduck lab seeds` to watch the failures happen, `lameduck check .` to find their
/// causes in your manifests, and `lameduck run` or `lameduck prestop` to fix them. Every
/// subcommand has its own --help; the same pages are in docs/cli/ and as man pages in docs/man/.
#[derive(Parser)]
#[command(name = "lameduck", version = env!("LAMEDUCK_VERSION"), about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
