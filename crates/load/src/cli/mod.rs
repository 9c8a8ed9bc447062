//! Command-line arguments and entry point of `lameduck load`.
use std::path::PathBuf;
use std::process::ExitCode;

use crate::exit;

mod build;
mod files;
mod output;

/// Open-loop HTTP load with a per-second timeline of every failure.
///
/// Requests leave at the instants the schedule dictates, whatever the server does, and latency
/// counts from those instants. Each exact HTTP status and each network outcome (refused, reset,
/// closed, timeout, other:<errno>) is counted per second and in total. Nothing is retried.
///
/// Examples:
///
///   lameduck load http://127.0.0.1:8080/ --schedule 'const(100,30s)'
///
///   lameduck load https://shop.example/ -s 'line(1,200,1m) const(200,5m)' \
///       --fail-on 'http(5xx)>0' --fail-on 'net(any)>0' --fail-on 'p99>500ms'
///
///   lameduck load http://10.0.0.7/ --host shop.example -s 'const(50,2m)' \
///       --exec-at 10s 'kubectl -n test scale deploy web --replicas=1' --timeline t.jsonl
///
///   lameduck load --tank load.yaml --format json > report.json
///
///   lameduck load http://10.0.0.7/ -s 'const(50,1m)' --ammo ammo.txt --ammo-type uri
///
/// Exit codes:
///   0    every --fail-on threshold passed and every --exec-at command succeeded
///   1    a --fail-on threshold FAILED, or an --exec-at command failed
///   2    bad input, or the run could not start
///   130  interrupted by Ctrl-C (or SIGTERM): the partial summary is printed first
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Target URLs (http:// or https://), sent round-robin.
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,

    /// Load schedule in Yandex.Tank's grammar: const(RPS,DUR), line(FROM,TO,DUR),
    /// step(FROM,TO,STEP,DUR), separated by spaces to chain. Rates may be fractional;
    /// durations are 30, 30s, 5m, 1h2m3s. Example: 'line(1,100,30s) const(100,5m)'.
    #[arg(short, long, value_name = "SCHEDULE")]
    pub schedule: Option<String>,

    /// HTTP method.
    #[arg(short = 'X', long, default_value = "GET")]
    pub method: String,

    /// Extra request header, `Name: value` (repeatable). `Host: x` is the same as --host x.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Request body.
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,

    /// Request body read from a file.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,

    /// Host header to send instead of the URL's host (e.g. to hit an ingress by its IP).
    #[arg(long)]
    pub host: Option<String>,

    /// File of URIs, one per line: full URLs, or paths appended to the first URL's origin.
    /// Blank lines and lines starting with # are skipped.
    #[arg(long, value_name = "FILE")]
    pub uris_file: Option<PathBuf>,

    /// Yandex.Tank ammo file to take the requests from, round-robin, sent to the first URL's
    /// server (its path is not used). Format: --ammo-type.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["uris_file", "body", "body_file", "method"])]
    pub ammo: Option<PathBuf>,

    /// Format of --ammo, by its Tank name: `uri` (`/path [tag]` lines, GET; `[Name: value]`
    /// lines set headers), `uripost` (`SIZE /path [tag]` then the body, POST) or `phantom`
    /// (`SIZE [tag]` then a whole HTTP request, sent unchanged).
    #[arg(long, value_enum, default_value = "phantom", value_name = "TYPE", requires = "ammo")]
    pub ammo_type: crate::ammo::AmmoType,

    /// Open a new connection for every request and send `Connection: close`.
    #[arg(long)]
    pub no_keepalive: bool,

    /// Most requests outstanding at once. With keep-alive this is also the most connections
    /// opened (on demand, beyond those opened before the start). A send due while this many
    /// are outstanding waits for one to finish (see --when-full).
    #[arg(long, default_value_t = crate::DEFAULT_MAX_IN_FLIGHT, value_name = "N")]
    pub max_in_flight: usize,

    /// What a send does when it falls due while --max-in-flight requests are outstanding.
    /// `wait`: it leaves as soon as one finishes, counted `late`, its latency still counted
    /// from its scheduled instant (as wrk2 and oha -q with latency correction do); a send
    /// that would leave more than --timeout late is counted `dropped` instead. `drop`: it is
    /// counted `dropped` at once, never delayed.
    #[arg(long, value_enum, default_value = "wait", value_name = "WHAT")]
    pub when_full: crate::WhenFull,

    /// Time limit for connect plus response of each request (`timeout` outcome).
    #[arg(long, default_value = "11s", value_name = "DURATION")]
    pub timeout: String,

    /// Accept any TLS certificate (self-signed test clusters).
    #[arg(long)]
    pub insecure: bool,

    /// Final report format on stdout: `human` (summary) or `json` (one JSON object).
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,

    /// Deprecated spelling of --format.
    #[arg(long, value_enum, hide = true, conflicts_with = "format", value_name = "FORMAT")]
    pub output: Option<Format>,

    /// Colour the live console on stderr: auto (when stderr is a terminal), always or never.
    /// NO_COLOR set to a non-empty value means never, unless --color always.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,

    /// Write each second (and each event) as a JSON line to FILE as it closes.
    #[arg(long, value_name = "FILE")]
    pub timeline: Option<PathBuf>,

    /// Write one tab-separated line per request to FILE, like Tank's phout: intended send
    /// time (Unix seconds), latency (µs), status or network outcome, bytes sent, bytes received.
    #[arg(long, value_name = "FILE")]
    pub raw: Option<PathBuf>,

    /// Exit with code 1 if this holds at the end (repeatable). Metrics: requests, ok,
    /// failed, dropped, late, http(CODE|Nxx|any), net(NAME|any), p50, p90, p99, max. Examples:
    /// 'failed>0', 'http(5xx)>0.1%', 'http(502)>0', 'net(any)>0', 'p99>500ms'.
    #[arg(long = "fail-on", value_name = "EXPR")]
    pub fail_on: Vec<String>,

    /// Run a shell command OFFSET into the run and mark its start and exit on the timeline
    /// (repeatable), e.g. --exec-at 10s 'kubectl -n test scale deploy web --replicas=1'.
    #[arg(long = "exec-at", num_args = 2, value_names = ["OFFSET", "COMMAND"])]
    pub exec_at: Vec<String>,

    /// Send only shard I of N of the schedule (I from 0 to N-1): send k of the schedule goes
    /// to shard k mod N. N processes (on one machine or several), each with its own I,
    /// together send the schedule; `lameduck report merge` combines their --timeline files.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,

    /// Let the run pass even if an --exec-at command fails (exits non-zero, is killed, or
    /// cannot start). Without it such a command fails the run (exit 1): a disruption that
    /// never happened must not look like one the service survived.
    #[arg(long)]
    pub exec_may_fail: bool,

    /// Read target, headers, schedule, timeout, ssl and ammo (ammofile, ammo_type) from a
    /// Yandex.Tank load.yaml (phantom section). URLs, --schedule, --timeout, --ammo and
    /// headers given here take precedence.
    #[arg(long, value_name = "LOAD_YAML")]
    pub tank: Option<PathBuf>,

    /// Do not print a line per second on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    /// Also write a self-contained HTML report (inline SVG, no scripts, no network) of the
    /// run: outcomes per second, latency, --exec-at markers and thresholds.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The summary for people (`text` is accepted too, its former name).
    #[value(alias = "text")]
    Human,
    Json,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is (or is not) a terminal, given `NO_COLOR`'s value.
    pub fn enabled(self, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

/// Writes a run's `--report` HTML file. The HTML report lives in `lameduck-report`, which
/// sits beside this crate rather than below it, so the `lameduck` binary passes it in.
pub type WriteHtml<'a> = &'a dyn Fn(&crate::Report, &std::path::Path) -> Result<(), String>;

/// Runs `lameduck load` without an HTML report: `--report` is refused before the run.
pub fn execute(args: Args) -> ExitCode {
    execute_with(args, None)
}

/// Runs `lameduck load`, writing `--report` with `write_html`.
// Long because the load command as a straight line of steps: read, plan, prepare, run, print,
// write, judge.
pub fn execute_with(args: Args, write_html: Option<WriteHtml<'_>>) -> ExitCode {
    if args.report.is_some() && write_html.is_none() {
        eprintln!(
            "lameduck load: --report needs the `lameduck` binary (this one has no HTML report); \
             run `lameduck load`, or `lameduck report` on a --timeline file"
        );
        return exit::code(exit::USAGE);
    }
    let format = match args.output {
        Some(format) => {
            let name = if format == Format::Json { "json" } else { "human" };
            eprintln!("lameduck load: --output {name} is deprecated; use --format {name}");
            format
        }
        None => args.format,
    };
    let built = match build::plan(&args) {
        Ok(built) => built,
        Err(error) => {
            output::print_error(&error);
            return exit::code(exit::USAGE);
        }
    };
    for warning in &built.warnings {
        eprintln!("lameduck load: warning: {warning}");
    }
    let mut sinks = match files::Sinks::open(&args) {
        Ok(sinks) => sinks,
        Err(error) => {
            eprintln!("lameduck load: {error}");
            return exit::code(exit::USAGE);
        }
    };
    let stop = crate::StopHandle::new();
    let signals = match files::stop_on_signals(stop.clone()) {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("lameduck load: cannot handle Ctrl-C: {error}");
            return exit::code(exit::USAGE);
        }
    };
    // On a terminal the live view replaces the plain line per second; off a terminal (CI logs)
    // the plain lines stay, one per second.
    let live = if args.quiet {
        None
    } else {
        let color = args.color.enabled(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var_os("NO_COLOR").as_deref(),
        );
        crate::live::LiveConsole::for_stderr(built.plan.schedule.duration())
            .map(|console| console.with_color(color))
    };
    let live = std::rc::Rc::new(std::cell::RefCell::new(live));
    let header = output::timeline_header(&built.plan, &built.thresholds);
    let result = crate::run(&built.plan, sinks.hooks(args.quiet, stop, live.clone(), header));
    signals.close();
    if let Some(console) = live.borrow_mut().take() {
        console.finish();
    }
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            eprintln!("lameduck load: {error}");
            return exit::code(exit::USAGE);
        }
    };
    let verdicts: Vec<_> = built.thresholds.iter().map(|t| t.evaluate(&report)).collect();
    let failures = output::failures(&report, &verdicts, args.exec_may_fail);
    let report = output::with_verdicts(report, verdicts, failures, args.exec_may_fail);
    if !args.quiet {
        // When failures started and stopped: the per-second lines scrolled by, and the live
        // view only logged failing seconds one by one.
        eprintln!("{}", crate::windows::summary_of_report(&report));
    }
    if let Err(error) = sinks.finish(&report) {
        eprintln!("lameduck load: {error}");
    }
    if let (Some(path), Some(write_html)) = (&args.report, write_html) {
        match write_html(&report, path) {
            Ok(()) => eprintln!("lameduck load: wrote {}", path.display()),
            Err(error) => eprintln!("lameduck load: --report {}: {error}", path.display()),
        }
    }
    let result = match format {
        Format::Json => format!("{}\n", serde_json::to_string(&report).unwrap_or_default()),
        Format::Human => output::summary_text(&report, &report.thresholds),
    };
    if let Err(error) = output::write_stdout(&result) {
        eprintln!("lameduck load: cannot write the result to stdout: {error}");
        return exit::code(exit::USAGE);
    }
    for failure in &report.failures {
        eprintln!("{failure}");
    }
    // The only stop handle of the command line is the signal handler's.
    if report.stopped_early {
        eprintln!("lameduck load: interrupted; the summary covers the run until the stop");
        exit::code(exit::INTERRUPTED)
    } else if report.failures.is_empty() {
        exit::code(exit::PASS)
    } else {
        exit::code(exit::FAILED)
    }
}

#[cfg(test)]
mod tests {
    use super::ColorChoice;
    use std::ffi::OsStr;

    #[test]
    fn no_color_turns_auto_off_but_not_always() {
        let set = Some(OsStr::new("1"));
        assert!(ColorChoice::Auto.enabled(true, None));
        assert!(ColorChoice::Auto.enabled(true, Some(OsStr::new(""))), "empty NO_COLOR is unset");
        assert!(!ColorChoice::Auto.enabled(true, set));
        assert!(!ColorChoice::Auto.enabled(false, None), "auto colours only a terminal");
        assert!(ColorChoice::Always.enabled(false, set));
        assert!(!ColorChoice::Never.enabled(true, None));
    }
}
