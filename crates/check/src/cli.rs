//! Command-line arguments and entry point of `lameduck check`.
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::exit;
use crate::finding::Severity;
use crate::helm::HelmSettings;
use crate::output::Format;
use crate::project::Project;
use crate::rules;
use crate::settings::{self, Settings};

/// Find the shutdown bugs in manifests, Dockerfiles and server configs before they ship.
///
/// Reads Kubernetes YAML (multi-document, `kind: List`, `helm template` and kustomize output),
/// Dockerfiles (`Dockerfile`, `*.Dockerfile`, `Containerfile`) and php-fpm, nginx and supervisord
/// configs, as files or as ConfigMap keys. Directories are searched recursively; `-` reads stdin.
/// A Helm chart found in a directory is rendered with `helm template` when `helm` is on PATH
/// (findings point at its templates), else named in the skipped list.
///
/// Exit status: 0 clean, 1 findings at or above --fail-level, 2 usage or parse error.
///
/// Suppress a rule on a workload with the annotation `lameduck.dev/ignore: LD004,LD006`, or on a
/// line of a Dockerfile or config with a comment `# lameduck:ignore LD002 reason` on or above it.
/// `.lameduck-check.toml` turns rules off, changes severities and maps images to Dockerfiles
/// (`lameduck.toml`, without the dot, is `lameduck run`'s config inside the image).
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

    /// Settings file (default: .lameduck-check.toml in the current directory, if present).
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

    /// Do not render Helm charts with `helm template`; name them as skipped.
    #[arg(long)]
    pub no_helm: bool,

    /// A values file for `helm template` (`-f`), given to every chart rendered; repeatable.
    #[arg(long, value_name = "FILE")]
    pub helm_values: Vec<PathBuf>,

    /// Colour the human output: auto (when stdout is a terminal), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text).ok_or_else(|| format!("`{text}` is not one of error, warning, info"))
}

/// Writes `text` to stdout and exits with `code`.
fn print(text: &str, code: u8) -> ExitCode {
    exit::code(write_out(&mut std::io::stdout().lock(), text, code))
}

/// Writes `text`; `code` when it is written. A closed pipe (`| head`) ends quietly; any other
/// write error (a full disk, `> /dev/full`) is an error: output the user asked for was lost.
fn write_out(out: &mut impl Write, text: &str, code: u8) -> u8 {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            eprintln!("lameduck check: cannot write the output to stdout: {e}");
            exit::USAGE_OR_PARSE
        }
    }
}

/// Whether to colour: `--color always|never`, else (auto) only a terminal, and never when
/// `NO_COLOR` is set to something (https://no-color.org).
fn use_color(flag: &str, no_color: Option<std::ffi::OsString>, terminal: bool) -> bool {
    match flag {
        "always" => true,
        "never" => false,
        _ => terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// `; did you mean `LD002`?` for a mistyped rule id or name.
fn rule_suggestion(typed: &str) -> String {
    let typed_lower = typed.to_ascii_lowercase();
    let limit = (typed.chars().count() / 3).max(1);
    rules::ALL
        .iter()
        .flat_map(|r| [(r.id, r.id.to_ascii_lowercase()), (r.id, r.name.to_string())])
        .map(|(id, known)| (strsim::damerau_levenshtein(&typed_lower, &known), id))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, id)| format!("; did you mean `{id}`?"))
        .unwrap_or_default()
}

fn usage(message: &str) -> ExitCode {
    eprintln!("lameduck check: {message}");
    exit::code(exit::USAGE_OR_PARSE)
}

/// Runs `lameduck check`.
pub fn execute(args: Args) -> ExitCode {
    if args.print_rules_markdown {
        return print(&rules::markdown(), exit::CLEAN);
    }
    if args.list_rules {
        let list: String = rules::ALL
            .iter()
            .map(|r| {
                format!("{}  {:<28} {:<8} {}\n", r.id, r.name, r.severity.as_str(), r.summary())
            })
            .collect();
        return print(&list, exit::CLEAN);
    }
    if let Some(id) = &args.explain {
        let found = rules::by_id(id).or_else(|| rules::ALL.iter().copied().find(|r| r.name == id));
        return match found {
            Some(rule) => print(
                &format!(
                    "# {} {} ({})\n\n{}\n",
                    rule.id,
                    rule.name,
                    rule.severity.as_str(),
                    rule.doc()
                ),
                exit::CLEAN,
            ),
            None => usage(&format!(
                "no rule `{id}`{}; `lameduck check --list-rules` lists them",
                rule_suggestion(id)
            )),
        };
    }
    let found = settings::found_here();
    if let Some(note) = found.as_ref().and_then(|(_, note)| note.as_ref()) {
        eprintln!("lameduck check: {note}");
    }
    let loaded = match (&args.config, found) {
        (Some(path), _) => Some(Settings::load(path, rules::is_rule).map_err(|e| e.to_string())),
        (None, Some((default, _))) => {
            let here = std::env::current_dir().and_then(std::fs::canonicalize);
            Some(here.map_err(|e| e.to_string()).and_then(|root| {
                Settings::load_found(&default, &root, rules::is_rule).map_err(|e| e.to_string())
            }))
        }
        (None, None) => None,
    };
    let mut config = match loaded {
        Some(Ok(c)) => c,
        Some(Err(e)) => return usage(&e),
        None => Settings::default(),
    };
    if let Some(missing) = args.helm_values.iter().find(|f| !f.is_file()) {
        return usage(&format!("--helm-values {}: no such file", missing.display()));
    }
    config.helm =
        HelmSettings { render: !args.no_helm, values: args.helm_values.clone(), search_path: None };
    let fail_level = args.fail_level.or(config.fail_level).unwrap_or(Severity::Warning);
    let project = match Project::load(&args.paths, config) {
        Ok(p) => p,
        Err(e) => return usage(&format!("{e}; pass files, directories or - for stdin")),
    };
    let color =
        use_color(&args.color, std::env::var_os("NO_COLOR"), std::io::stdout().is_terminal());
    let outcome = crate::run(&project, args.format, fail_level, color);
    if args.format == Format::Human {
        eprint!("{}", crate::output::human::skipped_notes(&project));
    }
    print(&outcome.output, outcome.exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins_over_auto_but_not_over_always() {
        let set = || Some(std::ffi::OsString::from("1"));
        assert!(use_color("auto", None, true));
        assert!(!use_color("auto", set(), true));
        assert!(
            use_color("auto", Some(std::ffi::OsString::new()), true),
            "empty NO_COLOR is unset"
        );
        assert!(use_color("always", set(), false));
        assert!(!use_color("never", None, true));
        assert!(!use_color("auto", None, false));
    }

    /// A writer that fails like a full disk or a closed pipe.
    struct Failing(std::io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(self.0))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_lost_write_is_an_error_and_a_closed_pipe_is_not() {
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC).kind();
        assert_eq!(write_out(&mut Failing(full), "x", exit::FINDINGS), exit::USAGE_OR_PARSE);
        let pipe = std::io::ErrorKind::BrokenPipe;
        assert_eq!(write_out(&mut Failing(pipe), "x", exit::FINDINGS), exit::FINDINGS);
        assert_eq!(write_out(&mut Vec::new(), "x", exit::CLEAN), exit::CLEAN);
    }

    #[test]
    fn mistyped_rules_get_a_suggestion() {
        assert_eq!(rule_suggestion("LD02"), "; did you mean `LD002`?");
        assert_eq!(rule_suggestion("ld19"), "; did you mean `LD019`?");
        assert_eq!(rule_suggestion("fpm-proces-control-timeout"), "; did you mean `LD002`?");
        assert_eq!(rule_suggestion("XYZ"), "");
    }
}
