//! Command-line arguments and entry point of `lameduck report`.
use std::path::PathBuf;
use std::process::ExitCode;

/// Render a saved run as one self-contained HTML page.
///
/// FILE is what `lameduck load --format json` printed, a `lameduck load --timeline` file
/// (one JSON record per line), or a lab run's `result.json` (or the run directory itself);
/// `-` reads it from stdin.
/// The page has the per-second outcome chart (every status and network outcome with its own
/// color and hatch), latency percentiles, and the events on the same time axis; for the lab,
/// the summary table, termination events and a per-pod Gantt strip.
///
/// The file has no scripts and fetches nothing: open it offline or attach it to a CI run.
///
/// Examples:
///   lameduck load http://127.0.0.1:8080/ --schedule 'const(100,30s)' --timeline run.jsonl
///   lameduck report run.jsonl -o report.html
///   lameduck report ./lameduck-runs/lab-1795089909-4242/ -o lab.html
///   lameduck load http://127.0.0.1:8080/ -s 'const(50,10s)' --format json \
///       | lameduck report - -o r.html
///   lameduck report merge shard-0.jsonl shard-1.jsonl shard-2.jsonl -o whole.html
///   lameduck report run.jsonl --format json -o run.json
///
/// Exit codes:
///   0    the report was written
///   2    the input could not be read, recognised or merged, or the output not written
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment, args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The saved run: load JSON report, --timeline JSON lines, or lab result.json / run dir.
    #[arg(value_name = "FILE", required = true)]
    pub input: Option<PathBuf>,
    /// Where to write the report (default: report.html, or report.json with --format json).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// What to write: `html` (the page) or `json` (a load report as `lameduck load --format
    /// json` prints it; a timeline becomes one JSON object).
    #[arg(long, value_enum, default_value = "html")]
    pub format: Format,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Html,
    Json,
}

impl Format {
    fn default_output(self) -> PathBuf {
        PathBuf::from(match self {
            Format::Html => "report.html",
            Format::Json => "report.json",
        })
    }
}

/// Subcommands of `lameduck report`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Combine the --timeline files (or --format json reports) of `lameduck load --shard I/N`
    /// runs into the report of the whole schedule: counts per second add up, and latency
    /// percentiles are recomputed exactly from the runs' histograms added together.
    Merge(MergeArgs),
}

/// Arguments of `lameduck report merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' --timeline files (or --format json reports), one per shard.
    #[arg(value_name = "FILE", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Where to write the report (default: report.html, or report.json with --format json).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// What to write: `html` (the page) or `json` (the merged report, as `lameduck load
    /// --format json` prints one).
    #[arg(long, value_enum, default_value = "html")]
    pub format: Format,
    /// Also write the merged report as JSON (the shape of `lameduck load --format json`).
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
}

/// Runs `lameduck report`: 0 on success, 2 when the input cannot be read or rendered.
pub fn execute(args: Args) -> ExitCode {
    let input = match (args.command, args.input) {
        (Some(Command::Merge(merge)), _) => return execute_merge(merge),
        (None, Some(input)) => input,
        (None, None) => {
            eprintln!("lameduck report: give the FILE to render");
            return ExitCode::from(2);
        }
    };
    let output = args.output.unwrap_or_else(|| args.format.default_output());
    let result = match args.format {
        Format::Html => crate::render_file(&input)
            .and_then(|(parsed, html)| crate::write_report(&output, &html).map(|()| parsed)),
        Format::Json => crate::load_report_json(&input).and_then(|(parsed, json)| {
            crate::write_report(&output, &format!("{json}\n")).map(|()| parsed)
        }),
    };
    match result {
        Ok(parsed) => {
            eprintln!(
                "lameduck report: wrote {} ({} from {})",
                output.display(),
                parsed.describe(),
                input.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("lameduck report: {error}");
            ExitCode::from(2)
        }
    }
}

fn execute_merge(args: MergeArgs) -> ExitCode {
    let output = args.output.clone().unwrap_or_else(|| args.format.default_output());
    let result = crate::merge_files(&args.inputs).and_then(|merged| {
        if let Some(path) = &args.json {
            let json = crate::merge::to_json(&merged);
            std::fs::write(path, format!("{json}\n"))
                .map_err(|source| crate::ReportError::Write { path: path.clone(), source })?;
        }
        match args.format {
            Format::Html => crate::write_report(&output, &crate::html::load::render(&merged)),
            Format::Json => {
                crate::write_report(&output, &format!("{}\n", crate::merge::to_json(&merged)))
            }
        }
    });
    match result {
        Ok(()) => {
            eprintln!(
                "lameduck report: wrote {} (merged {} load reports)",
                output.display(),
                args.inputs.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("lameduck report merge: {error}");
            ExitCode::from(2)
        }
    }
}
