//! Replays a saved load run (a `--timeline` file or `--format json` report) through the live
//! console, four seconds of the run per real second, to see what it looks like on a terminal:
//! `cargo run -p lameduck-load --example live-replay -- run.jsonl`.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use lameduck_core::schema::{Event, SecondRecord, TimelineLine};
use lameduck_load::live::LiveConsole;
use lameduck_load::windows::{failure_windows, summary};

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
    let Some((seconds, events)) = records(&text) else {
        eprintln!("live-replay: {} is neither a load report nor a --timeline file", path.display());
        return ExitCode::from(2);
    };
    let report = lameduck_load::Report { seconds, events, ..Default::default() };
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
            Some(console) => console.second(second),
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
    let failures: Vec<_> = report.seconds.iter().map(|s| (s.t, s.failures())).collect();
    eprintln!("{}", summary(&failure_windows(failures.iter().map(|(t, f)| (*t, f)))));
    ExitCode::SUCCESS
}

/// The seconds and events of a `--format json` report or of a `--timeline` file.
fn records(text: &str) -> Option<(Vec<SecondRecord>, Vec<Event>)> {
    if let Ok(report) = serde_json::from_str::<lameduck_load::Report>(text) {
        return Some((report.seconds, report.events));
    }
    let (mut seconds, mut events) = (Vec::new(), Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str(line).ok()? {
            TimelineLine::Second(second) => seconds.push(second),
            TimelineLine::Event(event) => events.push(event),
            _ => {}
        }
    }
    Some((seconds, events))
}
