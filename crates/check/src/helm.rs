//! Renders the Helm charts found in a walked directory with `helm template`, so their templates
//! are checked as the objects they become, and says why when a chart cannot be rendered.
//!
//! A chart may be a stranger's (a pull request under review): `helm` is run directly (no shell)
//! with the chart's default values and the values files the user named, stdin closed, for at
//! most [`TIMEOUT`] and [`MAX_OUTPUT`] bytes; past either it is killed. `helm template` of a
//! local chart fetches nothing: missing dependencies are an error it reports, which is passed on
//! with what to run.
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one `helm template` may run: rendering takes well under a second.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The most rendered bytes read: as much as one input file may have.
pub const MAX_OUTPUT: u64 = crate::read::MAX_FILE_BYTES;
/// The most of helm's error output kept.
const MAX_ERRORS: u64 = 64 << 10;
/// The release name `helm template` uses when given none.
pub const RELEASE: &str = "release-name";

/// Whether and how charts are rendered.
#[derive(Debug, Clone, Default)]
pub struct HelmSettings {
    /// Render charts when `helm` is found. The command line does unless `--no-helm`; a library
    /// caller (and `Settings::default()`) renders none.
    pub render: bool,
    /// Values files given to every chart (`--helm-values`), after its own values.yaml.
    pub values: Vec<PathBuf>,
    /// Where `helm` is looked for, as in `PATH`; `None`: this process's `PATH`.
    pub search_path: Option<OsString>,
}

impl HelmSettings {
    /// The `helm` program to run, if rendering is on and one is found.
    pub fn program(&self) -> Option<PathBuf> {
        if !self.render {
            return None;
        }
        let path = self.search_path.clone().or_else(|| std::env::var_os("PATH"))?;
        std::env::split_paths(&path).map(|dir| dir.join("helm")).find(|p| is_executable(p))
    }
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Why a chart was not rendered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error(
        "its dependencies are not in its charts/ directory: run `helm dependency build {chart}`, \
         then check again"
    )]
    MissingDependencies { chart: String },
    #[error("`helm template` failed: {0}")]
    Failed(String),
    #[error("`helm template` did not finish within {} s and was stopped", .0.as_secs())]
    TimedOut(Duration),
    #[error("`helm template` wrote more than {} MiB and was stopped", .0 >> 20)]
    TooLarge(u64),
    #[error("`helm template` wrote text that is not UTF-8")]
    NotText,
    #[error("cannot run {program}: {message}")]
    Spawn { program: String, message: String },
}

/// `helm template release-name CHART [-f VALUES]...`: the rendered manifests.
pub fn render(helm: &Path, chart: &Path, values: &[PathBuf]) -> Result<String, RenderError> {
    let mut command = Command::new(helm);
    command.arg("template").arg(RELEASE).arg(chart);
    for file in values {
        command.arg("-f").arg(file);
    }
    let output = run_bounded(command, TIMEOUT, MAX_OUTPUT)?;
    if !output.success {
        return Err(failure(chart, &output.errors));
    }
    String::from_utf8(output.out).map_err(|_| RenderError::NotText)
}

/// helm's error output, as one of the errors above.
fn failure(chart: &Path, errors: &[u8]) -> RenderError {
    let text = String::from_utf8_lossy(errors);
    let message: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let message = message.join(" ");
    let message = message.strip_prefix("Error: ").unwrap_or(&message);
    if message.contains("missing in charts/ directory") || message.contains("dependency build") {
        return RenderError::MissingDependencies { chart: chart.display().to_string() };
    }
    let message =
        if message.is_empty() { "it exited with an error and said nothing" } else { message };
    RenderError::Failed(message.to_string())
}

/// What a program wrote and whether it succeeded.
#[derive(Debug)]
pub struct Output {
    pub out: Vec<u8>,
    pub errors: Vec<u8>,
    pub success: bool,
}

/// Runs `command` with stdin closed, killing it after `timeout` or once it writes more than
/// `max` bytes to stdout.
pub fn run_bounded(
    mut command: Command,
    timeout: Duration,
    max: u64,
) -> Result<Output, RenderError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RenderError::Spawn { program, message: e.to_string() })?;
    let deadline = Instant::now() + timeout;
    let (sender, receiver) = mpsc::channel();
    // Both are piped above; the readers end when the program closes its side (or dies).
    if let Some(pipe) = child.stdout.take() {
        read_up_to(pipe, max + 1, true, sender.clone());
    }
    if let Some(pipe) = child.stderr.take() {
        read_up_to(pipe, MAX_ERRORS, false, sender);
    }
    let (mut out_text, mut error_text) = (None, None);
    while out_text.is_none() || error_text.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok((true, text)) => out_text = Some(text),
            Ok((false, text)) => error_text = Some(text),
            Err(_) => return Err(stop(&mut child, RenderError::TimedOut(timeout))),
        }
        if out_text.as_ref().is_some_and(|t: &Vec<u8>| t.len() as u64 > max) {
            return Err(stop(&mut child, RenderError::TooLarge(max)));
        }
    }
    // Both pipes are closed: the program is ending. It is still given until the deadline.
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let (out, errors) = (out_text.unwrap_or_default(), error_text.unwrap_or_default());
                return Ok(Output { out, errors, success: status.success() });
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => return Err(stop(&mut child, RenderError::TimedOut(timeout))),
        }
    }
}

/// Reads up to `limit` bytes on a thread and sends them, tagged; the rest of the pipe is
/// drained for stderr (so the program never blocks on it) and left for stdout (whose reader
/// stops the program).
fn read_up_to(
    pipe: impl Read + Send + 'static,
    limit: u64,
    is_stdout: bool,
    sender: mpsc::Sender<(bool, Vec<u8>)>,
) {
    std::thread::spawn(move || {
        let mut pipe = pipe;
        let mut text = Vec::new();
        let _ = (&mut pipe).take(limit).read_to_end(&mut text);
        if !is_stdout {
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        }
        let _ = sender.send((is_stdout, text));
    });
}

fn stop(child: &mut Child, error: RenderError) -> RenderError {
    let _ = child.kill();
    let _ = child.wait();
    error
}

/// The chart directories among walked files: each `Chart.yaml` beside a `templates/` directory,
/// except charts inside another's `charts/` (rendered with their parent).
pub fn charts<'a>(files: impl Iterator<Item = &'a Path>) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = files
        .filter(|f| f.file_name() == Some(OsStr::new("Chart.yaml")))
        .filter_map(|f| f.parent())
        .filter(|dir| dir.join("templates").is_dir())
        .map(Path::to_path_buf)
        .collect();
    found.sort();
    let all = found.clone();
    found.retain(|dir| !all.iter().any(|other| other != dir && dir.starts_with(other)));
    found
}

/// Whether a walked file is part of what rendering `chart` checks: its templates and subcharts.
pub fn renders(chart: &Path, file: &Path) -> bool {
    file.starts_with(chart.join("templates")) || file.starts_with(chart.join("charts"))
}

/// The file a `# Source:` path names: `CHART-NAME/templates/x.yaml` under `chart`.
pub fn template_path(chart: &Path, source: &str) -> Option<PathBuf> {
    let (_, inside) = source.split_once('/')?;
    let inside = Path::new(inside);
    let plain = inside.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    plain.then(|| chart.join(inside))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_that_hangs_is_stopped_at_the_timeout() {
        let mut command = Command::new("sleep");
        command.arg("60");
        let started = Instant::now();
        let error = run_bounded(command, Duration::from_millis(200), 1024).unwrap_err();
        assert_eq!(error, RenderError::TimedOut(Duration::from_millis(200)));
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    }

    #[test]
    fn a_program_that_writes_without_end_is_stopped_at_the_limit() {
        let error = run_bounded(Command::new("yes"), Duration::from_secs(30), 1 << 20).unwrap_err();
        assert_eq!(error, RenderError::TooLarge(1 << 20));
    }

    #[test]
    fn output_and_errors_are_kept_and_stdin_is_closed() {
        let mut command = Command::new("sh");
        command.args(["-c", "cat; echo out; echo err >&2; exit 3"]);
        let output = run_bounded(command, Duration::from_secs(30), 1024).unwrap();
        assert_eq!(output.out, b"out\n");
        assert_eq!(output.errors, b"err\n");
        assert!(!output.success);
    }

    #[test]
    fn helm_errors_say_what_to_do() {
        let chart = Path::new("deploy/chart");
        let deps = b"Error: An error occurred while checking for chart dependencies. You may need \
            to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, \
            but missing in charts/ directory: redis\n";
        let error = failure(chart, deps).to_string();
        assert!(error.contains("`helm dependency build deploy/chart`"), "{error}");
        let parse =
            b"Error: parse error at (shop/templates/x.yaml:1): function \"nope\" not defined\n";
        assert_eq!(
            failure(chart, parse).to_string(),
            "`helm template` failed: parse error at (shop/templates/x.yaml:1): function \"nope\" \
             not defined"
        );
    }

    #[test]
    fn source_paths_stay_inside_the_chart() {
        let chart = Path::new("deploy/chart");
        let path = template_path(chart, "shop/templates/deployment.yaml").unwrap();
        assert_eq!(path, Path::new("deploy/chart/templates/deployment.yaml"));
        assert_eq!(template_path(chart, "shop/../../etc/passwd"), None);
        assert_eq!(template_path(chart, "shop//etc/passwd"), None);
        assert_eq!(template_path(chart, "noslash"), None);
    }
}
