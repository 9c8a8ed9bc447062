//! One log line per phase, with timings, as `key=value` text or JSON lines, on stderr.
//!
//! Every line carries `t`, the seconds since lameduck started, so a shutdown can be read as a
//! timeline (`kubectl logs --previous`).
use std::fmt::Write as _;
use std::io::Write as _;
use std::str::FromStr;
use std::time::Instant;

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
}

impl Logger {
    /// A logger for the `run` or `prestop` command.
    pub fn new(format: LogFormat, command: &'static str) -> Logger {
        Logger { format, started: Instant::now(), command }
    }

    /// Logs one phase event with its fields.
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
        // A closed stderr must not stop the shutdown.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    /// Logs a warning (a phase named `warning`).
    pub fn warn(&self, message: &str) {
        self.phase("warning", "", &[("message", message.to_string())]);
    }
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
