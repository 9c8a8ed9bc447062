//! Generates the command-line reference in `docs/cli/` from the clap definitions, so the pages
//! can never drift from `--help`: CI regenerates them and fails if anything changed.
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
    let mut root = crate::Cli::command().term_width(WIDTH).max_term_width(WIDTH);
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
    std::fs::write(out_dir.join("README.md"), index)
}
