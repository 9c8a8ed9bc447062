//! `lameduck check` without the rest of the binary, for working on the checker alone:
//! `cargo run -p lameduck-check --example check -- PATH…`.
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: lameduck_check::cli::Args,
}

fn main() -> std::process::ExitCode {
    lameduck_check::cli::execute(Cli::parse().args)
}
