//! Self-contained HTML reports of load and lab timelines.
//!
//! A report is one HTML file with inline CSS and SVG: no scripts, no fonts or images to fetch,
//! so it opens offline, can be attached to a CI run and prints sensibly.
//!
//! ```no_run
//! # fn demo(report_json: serde_json::Value) -> Result<(), lameduck_report::ReportError> {
//! // `report_json` is a load `Report` serialized with serde_json (optionally with the
//! // `thresholds` array that `--format json` adds).
//! let html = lameduck_report::render_load_html(&report_json)?;
//! std::fs::write("report.html", html).map_err(|e| lameduck_report::ReportError::Write {
//!     path: "report.html".into(),
//!     source: e,
//! })?;
//! # Ok(())
//! # }
//! ```
//!
//! The crate reads the JSON through its own view types ([`model`]) rather than depending on
//! `lameduck-load` or `lameduck-lab`, which depend on it.
pub mod cli;
pub mod html;
mod input;
pub mod merge;
pub mod outcome;
mod stops;
pub mod svg;

use std::path::{Path, PathBuf};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The input is not something a report can be made of.
    #[error("{source_name}:{line}: {message}")]
    Input { source_name: String, line: usize, message: String },
    /// The inputs of `lameduck report merge` cannot be merged.
    #[error("{0}")]
    Merge(String),
    /// The input file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The report could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The HTML report of a load run. `report_json` is the load `Report` serialized (what
/// `lameduck load --format json` prints, with or without its `thresholds`).
pub fn render_load_html(report_json: &serde_json::Value) -> Result<String, ReportError> {
    let report = input::load_report(report_json).map_err(|message| ReportError::Input {
        source_name: "load report".into(),
        line: 1,
        message,
    })?;
    Ok(html::load::render(&report))
}

/// The HTML report of a lab run. `result_json` is the content of the run's `result.json`
/// (`{"run_dir": ..., "scenarios": [...]}`).
pub fn render_lab_html(result_json: &serde_json::Value) -> Result<String, ReportError> {
    let result = input::lab_result(result_json).map_err(|message| ReportError::Input {
        source_name: "lab result".into(),
        line: 1,
        message,
    })?;
    Ok(html::lab::render(&result))
}

/// The HTML report of whatever `path` holds: a load report, a `--timeline` file or a lab
/// `result.json` (a lab run directory stands for its `result.json`, and `-` for stdin).
pub fn render_file(path: &Path) -> Result<(input::Input, String), ReportError> {
    let parsed = read_input(path)?;
    let html = match &parsed {
        input::Input::Load(report) => html::load::render(report),
        input::Input::Lab(result) => html::lab::render(result),
    };
    Ok((parsed, html))
}

/// The load report `path` holds (a `--format json` report or a `--timeline` file) as one JSON
/// object; a lab result is refused (its result.json is JSON already).
pub fn load_report_json(path: &Path) -> Result<(input::Input, serde_json::Value), ReportError> {
    let parsed = read_input(path)?;
    match &parsed {
        input::Input::Load(report) => {
            let json = merge::to_json(report);
            Ok((parsed, json))
        }
        input::Input::Lab(_) => Err(ReportError::Input {
            source_name: path.display().to_string(),
            line: 1,
            message: "--format json converts load reports; a lab run's result.json is JSON \
                      already"
                .into(),
        }),
    }
}

/// Reads and recognises the input at `path` (a lab run directory stands for its
/// `result.json`, and `-` for stdin).
fn read_input(path: &Path) -> Result<input::Input, ReportError> {
    let (name, text) = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|source| ReportError::Read { path: path.to_path_buf(), source })?;
        ("stdin".to_string(), text)
    } else {
        let path = if path.is_dir() { path.join("result.json") } else { path.to_path_buf() };
        let text = std::fs::read_to_string(&path)
            .map_err(|source| ReportError::Read { path: path.clone(), source })?;
        (path.display().to_string(), text)
    };
    input::parse(&name, &text)
}

/// The merged report of the load runs saved at `paths` (see [`merge`]).
pub fn merge_files(paths: &[PathBuf]) -> Result<lameduck_core::schema::LoadReport, ReportError> {
    let mut reports = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        match read_input(path)? {
            input::Input::Load(report) => reports.push((name, *report)),
            input::Input::Lab(_) => {
                return Err(ReportError::Input {
                    source_name: name,
                    line: 1,
                    message: "a lab result cannot be merged; give load --timeline files".into(),
                })
            }
        }
    }
    merge::merge(&reports).map_err(ReportError::Merge)
}

/// Writes `html` to `path` through a temporary file in the same directory, so a reader never
/// sees half a report and a failed write leaves any previous report intact.
pub fn write_report(path: &Path, html: &str) -> Result<(), ReportError> {
    let error = |source| ReportError::Write { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temp, html).map_err(error)?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        error(e)
    })
}

/// The sparse buckets of a real HDR histogram holding `micros`, as `lameduck load` records
/// them, for tests.
#[cfg(test)]
pub(crate) fn hdr_buckets(micros: &[u64]) -> lameduck_core::schema::Buckets {
    use lameduck_core::schema::latency::{MAX_MICROS, SIGNIFICANT_FIGURES};
    let mut histogram =
        hdrhistogram::Histogram::<u64>::new_with_bounds(1, MAX_MICROS, SIGNIFICANT_FIGURES)
            .expect("valid bounds");
    micros.iter().for_each(|v| histogram.record(*v).expect("in range"));
    histogram.iter_recorded().map(|v| [v.value_iterated_to(), v.count_at_value()]).collect()
}
