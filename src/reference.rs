//! Generates the command-line reference from the clap definitions, so it can never drift from
//! `--help`: Markdown pages in `docs/cli/`, man pages in `docs/man/` (CI regenerates both and
//! fails if anything changed), and shell completion scripts on demand.
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;

/// Help text is wrapped at a fixed width so the generated pages do not depend on the terminal
/// of whoever regenerates them.
const WIDTH: usize = 100;

pub(crate) fn write_all(out_dir: &Path) -> ExitCode {
    match try_write_all(out_dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lameduck: cannot write the reference into {}: {err}", out_dir.display());
            ExitCode::from(2)
        }
    }
}

fn try_write_all(out_dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out_dir)?;
    let mut root = crate::cli::Cli::command().term_width(WIDTH).max_term_width(WIDTH);
    root.build();
    let mut index = String::from(
        "# Command-line reference\n\nGenerated from the CLI definitions by \
         `scripts/gen-cli-docs`; do not edit by hand.\n\n",
    );
    let _ = writeln!(index, "```text\n{}```\n", root.render_long_help());
    for sub in root.get_subcommands_mut() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let name = sub.get_name().to_string();
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let _ = writeln!(index, "- [`lameduck {name}`]({name}.md): {about}");
        let page = format!(
            "# `lameduck {name}`\n\nGenerated from the CLI definitions by `scripts/gen-cli-docs`; \
             do not edit by hand.\n\n```text\n{}```\n",
            sub.render_long_help()
        );
        std::fs::write(out_dir.join(format!("{name}.md")), page)?;
    }
    std::fs::write(out_dir.join("README.md"), index)?;
    write_man_pages(&root, &out_dir.join("../man"))
}

/// One man page for `lameduck` and one per subcommand (`lameduck-load.1`, …), as `git` does, so
/// `man lameduck-load` finds the flags of that subcommand.
fn write_man_pages(root: &clap::Command, man_dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(man_dir)?;
    let render = |cmd: clap::Command, file: &str| -> std::io::Result<()> {
        let mut page = Vec::new();
        // The date is left out so regenerating gives the same bytes on any day.
        clap_mangen::Man::new(cmd).date("").render(&mut page)?;
        std::fs::write(man_dir.join(file), page)
    };
    // The package version, not `git describe`: the pages must not change with every commit.
    render(root.clone().version(env!("CARGO_PKG_VERSION")), "lameduck.1")?;
    for sub in root.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let name = format!("lameduck-{}", sub.get_name());
        render(
            sub.clone().display_name(name.clone()).bin_name(name.replace('-', " ")),
            &format!("{name}.1"),
        )?;
    }
    Ok(())
}

/// Writes the completion script for `shell` to stdout.
pub(crate) fn write_completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = crate::cli::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "lameduck", &mut script);
    match std::io::Write::write_all(&mut std::io::stdout().lock(), &script) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lameduck: cannot write the completion script to stdout: {err}");
            ExitCode::from(2)
        }
    }
}
