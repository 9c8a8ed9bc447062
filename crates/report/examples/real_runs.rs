//! Runs the two real load runs of the tests (a healthy nginx + php-fpm, and one where php-fpm
//! then nginx get SIGTERM mid-run) and writes, into the directory given as the only argument,
//! `load-clean.json`, `load-failing.json` (the load `Report`s) and their HTML reports.
//! scripts/screenshots uses it.
#[path = "../tests/support/runs.rs"]
mod runs;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: real-runs OUT_DIR");
        return ExitCode::from(2);
    };
    for (name, report) in [("load-clean", runs::clean_run()), ("load-failing", runs::failing_run())]
    {
        let html = match lameduck_report::render_load_html(&report) {
            Ok(html) => html,
            Err(error) => {
                eprintln!("real-runs: {error}");
                return ExitCode::FAILURE;
            }
        };
        let written = std::fs::write(dir.join(format!("{name}.json")), report.to_string())
            .map_err(|e| e.to_string())
            .and_then(|()| {
                lameduck_report::write_report(&dir.join(format!("{name}.html")), &html)
                    .map_err(|e| e.to_string())
            });
        if let Err(error) = written {
            eprintln!("real-runs: {}: {error}", dir.display());
            return ExitCode::FAILURE;
        }
        eprintln!("real-runs: wrote {name}.json and {name}.html");
    }
    ExitCode::SUCCESS
}
