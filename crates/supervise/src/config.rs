//! `lameduck run` settings: `lameduck.toml`, overridden by `LAMEDUCK_*` environment variables,
//! overridden by flags. Everything is validated here, before any process starts.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;
use serde::Deserialize;
use toml::Spanned;

use crate::config_values::{CommandValue, DurationValue};
use crate::drain::DrainSpec;
use crate::log::LogFormat;
use crate::program::Program;
use crate::{command_words, signals};

/// A configuration problem, reported before anything starts (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed; the message names the line.
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    /// The settings are inconsistent.
    #[error("{0}")]
    Invalid(String),
}

/// Where a process's stop signal came from, for the startup log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalOrigin {
    Configured,
    KnownProgram(Program),
    Default,
}

/// One supervised process.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    pub name: String,
    pub argv: Vec<String>,
    pub program: Program,
    pub stop_signal: Signal,
    pub stop_signal_origin: SignalOrigin,
    /// How long to wait for it to exit after its stop signal; `None` = until the deadline.
    pub stop_timeout: Option<Duration>,
    /// How long the next process waits for this one to listen; `None` = the program's default
    /// ([`ProcessSpec::start_wait`]).
    pub start_timeout: Option<Duration>,
    /// Names of processes that must have exited before this one is stopped.
    pub stop_after: Vec<String>,
    /// Incoming forwarded signal → signal sent to this process (`None` = not forwarded).
    pub forward: BTreeMap<Signal, Option<Signal>>,
}

/// Everything `lameduck run` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub processes: Vec<ProcessSpec>,
    pub drain: DrainSpec,
    /// Ports the auto drain watches; empty = the ports the processes listen on.
    pub drain_ports: Vec<u16>,
    pub grace_period: Duration,
    pub safety_margin: Duration,
    pub health_listen: Option<SocketAddr>,
    pub log_format: LogFormat,
}

/// Values from flags and environment variables; `None`/empty means "not given".
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub processes: Vec<(Option<String>, String)>,
    pub command: Vec<String>,
    pub drain: Option<DrainSpec>,
    pub drain_ports: Vec<u16>,
    pub grace_period: Option<Duration>,
    pub safety_margin: Option<Duration>,
    pub health_listen: Option<SocketAddr>,
    pub log_format: Option<LogFormat>,
    /// `(process name or None for all, signal)`.
    pub stop_signals: Vec<(Option<String>, Signal)>,
    pub stop_timeouts: Vec<(Option<String>, Duration)>,
    pub start_timeouts: Vec<(Option<String>, Duration)>,
}

/// Default `--grace-period`: Kubernetes' default `terminationGracePeriodSeconds`.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(30);
/// How long the next process waits for nginx or php-fpm to listen, unless configured.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(10);
/// Default safety margin kept between lameduck's last SIGKILL and the kubelet's.
pub const DEFAULT_SAFETY_MARGIN: Duration = Duration::from_secs(2);
/// Config file read when no command and no `--config` are given.
pub const DEFAULT_CONFIG_FILE: &str = "lameduck.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    grace_period: Option<Spanned<DurationValue>>,
    safety_margin: Option<Spanned<DurationValue>>,
    drain: Option<String>,
    #[serde(default)]
    drain_ports: Vec<u16>,
    health_listen: Option<String>,
    log_format: Option<String>,
    #[serde(default, rename = "process")]
    processes: Vec<FileProcess>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProcess {
    name: String,
    command: CommandValue,
    stop_signal: Option<String>,
    stop_timeout: Option<Spanned<DurationValue>>,
    start_timeout: Option<Spanned<DurationValue>>,
    #[serde(default)]
    stop_after: Vec<String>,
    #[serde(default)]
    forward: BTreeMap<String, String>,
}

impl Settings {
    /// Builds the settings from an optional config file and the overrides.
    // Long because one settings key after another, each resolved flag > environment > file >
    // default.
    pub fn resolve(overrides: &Overrides) -> Result<Settings, ConfigError> {
        let default_file = Path::new(DEFAULT_CONFIG_FILE);
        let file_path = match &overrides.config {
            Some(path) => Some(path.clone()),
            None if overrides.processes.is_empty()
                && overrides.command.is_empty()
                && default_file.exists() =>
            {
                Some(default_file.to_path_buf())
            }
            None => None,
        };
        let (file, text) = match &file_path {
            Some(path) => {
                let (file, text) = read_file(path)?;
                (Some(file), text)
            }
            None => (None, String::new()),
        };
        let in_file = |message: String| match &file_path {
            Some(path) => ConfigError::File { path: path.clone(), message },
            None => ConfigError::Invalid(message),
        };

        let mut processes = Vec::new();
        if let Some(file) = &file {
            for process in &file.processes {
                processes.push(process_from_file(process, &text).map_err(in_file)?);
            }
        }
        if !overrides.processes.is_empty() || !overrides.command.is_empty() {
            // Processes given on the command line replace the file's list.
            processes.clear();
            for (name, line) in &overrides.processes {
                let argv = command_words::split(line)
                    .map_err(|e| ConfigError::Invalid(format!("--process {line:?}: {e}")))?;
                processes.push(ProcessSpec::new(name.clone(), argv));
            }
            if !overrides.command.is_empty() {
                processes.push(ProcessSpec::new(None, overrides.command.clone()));
            }
        }
        if processes.is_empty() {
            return Err(ConfigError::Invalid(
                "nothing to run: give a command after `--`, one or more --process NAME='CMD', \
                 or a lameduck.toml with [[process]] tables (see `lameduck run --help`)"
                    .into(),
            ));
        }
        apply_process_overrides(&mut processes, overrides)?;
        check_names(&processes)?;

        let file_duration =
            |key: &str, value: &Option<Spanned<DurationValue>>| -> Result<Option<Duration>, _> {
                value
                    .as_ref()
                    .map(|value| duration_value(key, value, &text))
                    .transpose()
                    .map_err(in_file)
            };
        let (file_grace, file_margin) = match &file {
            Some(file) => (
                file_duration("grace_period", &file.grace_period)?,
                file_duration("safety_margin", &file.safety_margin)?,
            ),
            None => (None, None),
        };
        let file_drain = match file.as_ref().and_then(|file| file.drain.as_deref()) {
            Some(text) => {
                Some(text.parse::<DrainSpec>().map_err(|e| in_file(format!("drain: {e}")))?)
            }
            None => None,
        };
        let file_health = match file.as_ref().and_then(|file| file.health_listen.as_deref()) {
            Some(text) => Some(
                text.parse::<SocketAddr>()
                    .map_err(|e| in_file(format!("health_listen = {text:?}: {e}")))?,
            ),
            None => None,
        };
        let file_log = match file.as_ref().and_then(|file| file.log_format.as_deref()) {
            Some(text) => Some(text.parse::<LogFormat>().map_err(in_file)?),
            None => None,
        };
        let file_ports = file.as_ref().map(|file| file.drain_ports.clone()).unwrap_or_default();

        let settings = Settings {
            processes,
            drain: overrides.drain.clone().or(file_drain).unwrap_or_default(),
            drain_ports: if overrides.drain_ports.is_empty() {
                file_ports
            } else {
                overrides.drain_ports.clone()
            },
            grace_period: overrides.grace_period.or(file_grace).unwrap_or(DEFAULT_GRACE_PERIOD),
            safety_margin: overrides.safety_margin.or(file_margin).unwrap_or(DEFAULT_SAFETY_MARGIN),
            health_listen: overrides.health_listen.or(file_health),
            log_format: overrides.log_format.or(file_log).unwrap_or_default(),
        };
        settings.stop_order()?;
        Ok(settings)
    }

    /// Time from the shutdown signal to lameduck's own SIGKILL of whatever is left.
    pub fn budget(&self) -> Duration {
        self.grace_period.saturating_sub(self.safety_margin)
    }

    /// The configured stop timeouts added up (saturating: no combination can panic).
    pub fn stop_timeouts_total(&self) -> Duration {
        self.processes
            .iter()
            .filter_map(|p| p.stop_timeout)
            .fold(Duration::ZERO, Duration::saturating_add)
    }

    /// Indexes of the processes in the order they are stopped: reverse start order, except that
    /// a process waits for everything named in its `stop_after`.
    pub fn stop_order(&self) -> Result<Vec<usize>, ConfigError> {
        let mut remaining: Vec<usize> = (0..self.processes.len()).rev().collect();
        let mut order = Vec::with_capacity(remaining.len());
        while !remaining.is_empty() {
            let stopped = |name: &String| {
                order.iter().any(|&index: &usize| &self.processes[index].name == name)
            };
            let ready = remaining
                .iter()
                .position(|&index| self.processes[index].stop_after.iter().all(stopped));
            match ready {
                Some(position) => order.push(remaining.remove(position)),
                None => {
                    let names: Vec<_> =
                        remaining.iter().map(|&i| self.processes[i].name.as_str()).collect();
                    return Err(ConfigError::Invalid(format!(
                        "stop_after forms a cycle between {}; remove one of the entries",
                        names.join(", ")
                    )));
                }
            }
        }
        Ok(order)
    }
}

impl ProcessSpec {
    /// A process with the defaults for its program.
    pub fn new(name: Option<String>, argv: Vec<String>) -> ProcessSpec {
        let program = Program::of(&argv);
        let name = name.unwrap_or_else(|| {
            let first = argv.first().map(String::as_str).unwrap_or("process");
            first.rsplit('/').next().unwrap_or(first).to_string()
        });
        let (stop_signal, stop_signal_origin) = match program.graceful_stop_signal() {
            Some(signal) => (signal, SignalOrigin::KnownProgram(program)),
            None => (Signal::SIGTERM, SignalOrigin::Default),
        };
        let forward = signals::FORWARDED.iter().map(|&signal| (signal, Some(signal))).collect();
        ProcessSpec {
            name,
            argv,
            program,
            stop_signal,
            stop_signal_origin,
            stop_timeout: None,
            start_timeout: None,
            stop_after: Vec::new(),
            forward,
        }
    }

    /// How long the next process waits for this one to be up (listening), or `None` for no
    /// wait: the configured `start_timeout` (0 = no wait), else [`DEFAULT_START_TIMEOUT`] for
    /// the servers lameduck knows, which always listen, and no wait for other programs, which
    /// may never listen.
    pub fn start_wait(&self) -> Option<Duration> {
        let timeout = match self.start_timeout {
            Some(timeout) => timeout,
            None if self.program.always_listens() => DEFAULT_START_TIMEOUT,
            None => Duration::ZERO,
        };
        (!timeout.is_zero()).then_some(timeout)
    }
}

/// The parsed file and its text (which error messages turn spans into line numbers with).
fn read_file(path: &Path) -> Result<(FileConfig, String), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.to_path_buf(),
        message: format!("cannot read: {e}"),
    })?;
    let config = toml::from_str(&text)
        .map_err(|e| ConfigError::File { path: path.to_path_buf(), message: e.to_string() })?;
    Ok((config, text))
}

/// A duration from the file, `text`; errors name the line and `key`.
fn duration_value(
    key: &str,
    value: &Spanned<DurationValue>,
    text: &str,
) -> Result<Duration, String> {
    let line = text.get(..value.span().start).map_or(0, |before| before.lines().count().max(1));
    value.get_ref().resolve(key).map_err(|e| format!("line {line}: {e}"))
}

fn process_from_file(process: &FileProcess, text: &str) -> Result<ProcessSpec, String> {
    let argv = match &process.command {
        CommandValue::Words(words) if words.is_empty() => {
            return Err(format!("process {:?}: command is empty", process.name))
        }
        CommandValue::Words(words) => words.clone(),
        CommandValue::Line(line) => {
            command_words::split(line).map_err(|e| format!("process {:?}: {e}", process.name))?
        }
    };
    let mut spec = ProcessSpec::new(Some(process.name.clone()), argv);
    if let Some(text) = &process.stop_signal {
        spec.stop_signal = signals::parse(text).map_err(|e| format!("{}: {e}", process.name))?;
        spec.stop_signal_origin = SignalOrigin::Configured;
    }
    let key = |key: &str| format!("process {:?}: {key}", process.name);
    if let Some(value) = &process.stop_timeout {
        spec.stop_timeout = Some(duration_value(&key("stop_timeout"), value, text)?);
    }
    if let Some(value) = &process.start_timeout {
        spec.start_timeout = Some(duration_value(&key("start_timeout"), value, text)?);
    }
    spec.stop_after = process.stop_after.clone();
    for (incoming, outgoing) in &process.forward {
        let incoming = signals::parse(incoming).map_err(|e| format!("{}: {e}", process.name))?;
        if !signals::FORWARDED.contains(&incoming) {
            return Err(format!(
                "{}: forward: only HUP, USR1, USR2 and WINCH are forwarded, not {}",
                process.name,
                signals::short_name(incoming)
            ));
        }
        let outgoing = match outgoing.to_ascii_lowercase().as_str() {
            "none" | "" => None,
            _ => Some(signals::parse(outgoing).map_err(|e| format!("{}: {e}", process.name))?),
        };
        spec.forward.insert(incoming, outgoing);
    }
    Ok(spec)
}

fn apply_process_overrides(
    processes: &mut [ProcessSpec],
    overrides: &Overrides,
) -> Result<(), ConfigError> {
    let unknown = |name: &str| {
        ConfigError::Invalid(format!("no process is named {name:?}; names are the part before `=`"))
    };
    for (target, signal) in &overrides.stop_signals {
        let mut matched = false;
        for process in processes.iter_mut() {
            if target.as_ref().is_none_or(|name| name == &process.name) {
                process.stop_signal = *signal;
                process.stop_signal_origin = SignalOrigin::Configured;
                matched = true;
            }
        }
        if !matched {
            return Err(unknown(target.as_deref().unwrap_or_default()));
        }
    }
    for (target, timeout) in &overrides.stop_timeouts {
        let mut matched = false;
        for process in processes.iter_mut() {
            if target.as_ref().is_none_or(|name| name == &process.name) {
                process.stop_timeout = Some(*timeout);
                matched = true;
            }
        }
        if !matched {
            return Err(unknown(target.as_deref().unwrap_or_default()));
        }
    }
    for (target, timeout) in &overrides.start_timeouts {
        let mut matched = false;
        for process in processes.iter_mut() {
            if target.as_ref().is_none_or(|name| name == &process.name) {
                process.start_timeout = Some(*timeout);
                matched = true;
            }
        }
        if !matched {
            return Err(unknown(target.as_deref().unwrap_or_default()));
        }
    }
    Ok(())
}

fn check_names(processes: &[ProcessSpec]) -> Result<(), ConfigError> {
    for (index, process) in processes.iter().enumerate() {
        if processes[..index].iter().any(|other| other.name == process.name) {
            return Err(ConfigError::Invalid(format!(
                "two processes are named {:?}; give each a unique name (NAME='CMD')",
                process.name
            )));
        }
        for dependency in &process.stop_after {
            if !processes.iter().any(|other| &other.name == dependency) {
                return Err(ConfigError::Invalid(format!(
                    "process {:?}: stop_after names {dependency:?}, which is not a process",
                    process.name
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
