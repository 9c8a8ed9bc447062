//! Command-line arguments and entry point of `lameduck report`.
use std::path::PathBuf;
use std::process::ExitCode;

/// Render a saved run as one self-contained HTML page.
///
/// FILE is what `lameduck load --output json` printed, a `lameduck load --timeline` file
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
///   lameduck load http://127.0.0.1:8080/ -s 'const(50,10s)' --output json \
///       | lameduck report - -o r.html
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The saved run: load JSON report, --timeline JSON lines, or lab result.json / run dir.
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write the HTML page.
    #[arg(short = 'o', long = "output", value_name = "FILE.html", default_value = "report.html")]
    pub output: PathBuf,
}

/// Runs `lameduck report`: 0 on success, 2 when the input cannot be read or rendered.
pub fn execute(args: Args) -> ExitCode {
    let result = crate::render_file(&args.input)
        .and_then(|(input, html)| crate::write_report(&args.output, &html).map(|()| input));
    match result {
        Ok(input) => {
            eprintln!(
                "lameduck report: wrote {} ({} from {})",
                args.output.display(),
                input.describe(),
                args.input.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("lameduck report: {error}");
            ExitCode::from(2)
        }
    }
}
