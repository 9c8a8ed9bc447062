//! Command-line arguments and entry point of `lameduck check`.
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{self, Config};
use crate::exit;
use crate::finding::Severity;
use crate::output::Format;
use crate::project::Project;
use crate::rules;

/// Find the shutdown bugs in manifests, Dockerfiles and server configs before they ship.
///
/// Reads Kubernetes YAML (multi-document, `kind: List`, `helm template` and kustomize output),
/// Dockerfiles (`Dockerfile`, `*.Dockerfile`, `Containerfile`) and php-fpm, nginx and supervisord
/// configs, as files or as ConfigMap keys. Directories are searched recursively; `-` reads stdin.
///
/// Exit status: 0 clean, 1 findings at or above --fail-level, 2 usage or parse error.
///
/// Suppress a rule on a workload with the annotation `lameduck.dev/ignore: LD004,LD006`, or on a
/// line of a Dockerfile or config with a comment `# lameduck:ignore LD002 reason` on or above it.
/// `.lameduck.toml` turns rules off, changes severities and maps images to Dockerfiles.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Files and directories to check (`-` for stdin).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,

    /// Lowest severity that makes the exit status 1 (error, warning or info). Overrides the config.
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity)]
    pub fail_level: Option<Severity>,

    /// Config file (default: .lameduck.toml in the current directory, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print a rule's documentation (mechanism, fix, before and after) and exit.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,

    /// List the rules and exit.
    #[arg(long)]
    pub list_rules: bool,

    /// Print docs/rules.md (used by scripts/gen-rules-docs).
    #[arg(long, hide = true)]
    pub print_rules_markdown: bool,

    /// Colour the human output: auto (when stdout is a terminal), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text).ok_or_else(|| format!("`{text}` is not one of error, warning, info"))
}

fn print(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    exit::code(exit::CLEAN)
}

fn usage(message: &str) -> ExitCode {
    eprintln!("lameduck check: {message}");
    exit::code(exit::USAGE_OR_PARSE)
}

/// Runs `lameduck check`.
pub fn execute(args: Args) -> ExitCode {
    if args.print_rules_markdown {
        return print(&rules::markdown());
    }
    if args.list_rules {
        let list: String = rules::ALL
            .iter()
            .map(|r| {
                format!("{}  {:<28} {:<8} {}\n", r.id, r.name, r.severity.as_str(), r.summary())
            })
            .collect();
        return print(&list);
    }
    if let Some(id) = &args.explain {
        return match rules::by_id(id) {
            Some(rule) => print(&format!(
                "# {} {} ({})\n\n{}\n",
                rule.id,
                rule.name,
                rule.severity.as_str(),
                rule.doc()
            )),
            None => usage(&format!("no rule {id}; `lameduck check --list-rules` lists them")),
        };
    }
    let default = PathBuf::from(config::FILE_NAME);
    let loaded =
        match &args.config {
            Some(path) => Some(Config::load(path).map_err(|e| e.to_string())),
            // symlink_metadata: a dangling symlink is still a config file that cannot be read.
            None if default.symlink_metadata().is_ok() => {
                let here = std::env::current_dir().and_then(std::fs::canonicalize);
                Some(here.map_err(|e| e.to_string()).and_then(|root| {
                    Config::load_found(&default, &root).map_err(|e| e.to_string())
                }))
            }
            None => None,
        };
    let config = match loaded {
        Some(Ok(c)) => c,
        Some(Err(e)) => return usage(&e),
        None => Config::default(),
    };
    let fail_level = args.fail_level.or(config.fail_level).unwrap_or(Severity::Warning);
    let project = match Project::load(&args.paths, config) {
        Ok(p) => p,
        Err(e) => return usage(&format!("{e}; pass files, directories or - for stdin")),
    };
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal(),
    };
    let outcome = crate::run(&project, args.format, fail_level, color);
    if args.format == Format::Human {
        eprint!("{}", crate::output::human::skipped_notes(&project));
    }
    print(&outcome.output);
    exit::code(outcome.exit)
}
