//! Replays a saved load run (a `--timeline` file or `--format json` report) through the live
//! console, four seconds of the run per real second, to see what it looks like on a terminal:
//! `cargo run -p lameduck-report --example live-replay -- run.jsonl`.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use lameduck_report::input::{parse, Input};
use lameduck_report::live::{LiveConsole, LiveSecond};
use lameduck_report::windows::{failure_windows, failures_of, summary};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: live-replay RUN.jsonl|RUN.json");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("live-replay: {}: {error}", path.display());
            return ExitCode::from(2);
        }
    };
    let report = match parse(&path.display().to_string(), &text) {
        Ok(Input::Load(report)) => report,
        Ok(other) => {
            eprintln!("live-replay: {} is a {}, not a load run", path.display(), other.describe());
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("live-replay: {error}");
            return ExitCode::from(2);
        }
    };
    let planned = Duration::from_secs(report.seconds.len() as u64);
    let mut console = LiveConsole::for_stderr(planned);
    for second in &report.seconds {
        std::thread::sleep(Duration::from_millis(250));
        for event in report.events.iter().filter(|e| e.t_ms / 1000 == second.t) {
            let line = format!(
                "event t={:.3}s {} {}",
                event.t_ms as f64 / 1000.0,
                event.kind,
                event.label
            );
            match &console {
                Some(console) => console.println(line),
                None => eprintln!("{line}"),
            }
        }
        match console.as_mut() {
            Some(console) => console.second(LiveSecond::from(second)),
            None => eprintln!(
                "t={}s sent={} failed={} (not a terminal: plain lines)",
                second.t, second.sent, second.failed
            ),
        }
    }
    if let Some(console) = console {
        let state = console.state().clone();
        console.finish();
        eprintln!("{}", state.status_line());
    }
    let failures: Vec<_> = report.seconds.iter().map(|s| (s.t, failures_of(s))).collect();
    eprintln!("{}", summary(&failure_windows(failures.iter().map(|(t, f)| (*t, f)))));
    ExitCode::SUCCESS
}
