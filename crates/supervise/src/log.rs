//! One log line per phase, with timings, as `key=value` text or JSON lines, on stderr.
//!
//! Every line carries `t`, the seconds since lameduck started, so a shutdown can be read as a
//! timeline (`kubectl logs --previous`).
//!
//! A preStop hook's own output is discarded by the kubelet, so `prestop` also mirrors its lines
//! to the container's main process's stderr (`/proc/1/fd/2`), which the container runtime
//! captures for `kubectl logs` ([`Logger::mirror_to_pid1_stderr`]).
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

/// The container's main process's stderr, as seen from inside the container.
const PID1_STDERR: &str = "/proc/1/fd/2";

/// Output format of the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `lameduck: drain done t=1.234 seconds=1.001 reason=quiet`
    #[default]
    Text,
    /// `{"t":1.234,"phase":"drain","status":"done",...}`
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("log format `{text}`: use text or json")),
        }
    }
}

/// Writes phase lines.
#[derive(Debug, Clone)]
pub struct Logger {
    format: LogFormat,
    started: Instant,
    command: &'static str,
    /// A second destination for every line (PID 1's stderr), when there is a distinct one.
    mirror: Option<Arc<File>>,
}

impl Logger {
    /// A logger for the `run` or `prestop` command.
    pub fn new(format: LogFormat, command: &'static str) -> Logger {
        Logger { format, started: Instant::now(), command, mirror: None }
    }

    /// Also writes every line to PID 1's stderr when that is a different file from ours and can
    /// be opened for writing; otherwise changes nothing. Returns whether the mirror is on.
    ///
    /// The file is opened non-blocking and appending: a full pipe drops a line rather than
    /// stalling the hook, and a regular file is written at its end, not over it.
    pub fn mirror_to_pid1_stderr(&mut self) -> bool {
        self.mirror = open_distinct(PID1_STDERR).map(Arc::new);
        self.mirror.is_some()
    }

    /// Logs one phase event with its fields.
    // Long because the text and JSON forms of one log line, side by side so that they stay in step.
    pub fn phase(&self, phase: &str, status: &str, fields: &[(&str, String)]) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let mut line = String::with_capacity(160);
        match self.format {
            LogFormat::Text => {
                let _ = write!(line, "lameduck {}: {phase}", self.command);
                if !status.is_empty() {
                    let _ = write!(line, " {status}");
                }
                let _ = write!(line, " t={elapsed:.3}");
                for (key, value) in fields {
                    if value.contains([' ', '"', '=']) || value.is_empty() {
                        let _ = write!(line, " {key}={}", json_string(value));
                    } else {
                        let _ = write!(line, " {key}={value}");
                    }
                }
            }
            LogFormat::Json => {
                let _ = write!(
                    line,
                    "{{\"t\":{elapsed:.3},\"command\":\"{}\",\"phase\":{},\"status\":{}",
                    self.command,
                    json_string(phase),
                    json_string(status)
                );
                for (key, value) in fields {
                    let _ = write!(line, ",{}:{}", json_string(key), json_string(value));
                }
                line.push('}');
            }
        }
        line.push('\n');
        // A closed stderr (or mirror) must not stop the shutdown.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
        if let Some(mut mirror) = self.mirror.as_deref() {
            let _ = mirror.write_all(line.as_bytes());
        }
    }

    /// Logs a warning (a phase named `warning`).
    pub fn warn(&self, message: &str) {
        self.phase("warning", "", &[("message", message.to_string())]);
    }
}

/// Opens `path` for appending, unless it is the file our own stderr already writes to (then every
/// line would appear twice) or cannot be opened (a socket, no permission, no such process).
fn open_distinct(path: &str) -> Option<File> {
    if std::process::id() == 1 {
        return None;
    }
    let target = std::fs::metadata(path).ok()?;
    // stat() follows /proc's fd links to the open file itself, pipes and sockets included.
    let own = std::fs::metadata("/proc/self/fd/2").ok();
    if own.is_some_and(|own| own.dev() == target.dev() && own.ino() == target.ino()) {
        return None;
    }
    std::fs::OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .ok()
}

/// Quotes `text` as a JSON string.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
