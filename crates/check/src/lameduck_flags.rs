//! lameduck's own `run` and `prestop` flags as they appear in manifests, read leniently: the flag
//! set belongs to `lameduck run`, built alongside, so unknown flags are skipped, not rejected.
//!
//! Values are read with the very parsers `lameduck run` uses ([`lameduck_core::drain`] and
//! [`lameduck_core::duration`]), so `check` accepts a `--drain` exactly when `run` does.
use std::time::Duration;

pub use lameduck_core::drain::DrainSpec;
use lameduck_core::drain::{self, DEFAULT_GRACE_PERIOD, DEFAULT_SAFETY_MARGIN};

use lameduck_core::shell::basename;

/// A duration as `lameduck run` reads its flags and environment, in seconds, or `run`'s reason
/// for rejecting it.
fn run_seconds(text: &str) -> Result<f64, String> {
    let duration = lameduck_core::duration::parse_within(text, drain::LIMIT);
    duration.map(|d| d.as_secs_f64()).map_err(|e| e.to_string())
}

/// Seconds read from a manifest (already bounded by [`run_seconds`]) as a duration.
fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value.max(0.0)).unwrap_or(drain::LIMIT.max)
}

/// The shortest time a drain keeps serving before the stop begins, in seconds.
pub fn least(drain: &DrainSpec) -> f64 {
    drain.least().as_secs_f64()
}

/// The longest time a drain can take, in seconds (unbounded for `max=deadline` until it is
/// given its budget).
pub fn most(drain: &DrainSpec) -> f64 {
    drain.max().map_or(f64::INFINITY, |max| max.as_secs_f64())
}

/// `lameduck run …` or `lameduck prestop …` as found in a command line. Parsed leniently: unknown
/// flags are kept out of the way, not rejected (the flag set belongs to `lameduck run`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LameduckCall {
    /// `run` or `prestop`.
    pub subcommand: String,
    pub grace_period: Option<f64>,
    /// `--safety-margin`: how long before the grace period ends lameduck kills what is left.
    pub safety_margin: Option<f64>,
    /// The grace period came from `LAMEDUCK_GRACE_PERIOD`, not the flag.
    pub grace_period_from_env: bool,
    /// Defaults to `auto` (quiet=1s, min=0s, max=deadline) when absent.
    pub drain: Option<DrainSpec>,
    pub drain_text: Option<String>,
    /// `prestop --stop-signal` (or `--signal`): the graceful signal it sends (QUIT by default).
    pub signal: Option<String>,
    /// `run --stop-signal [NAME=]SIGNAL`, each as written.
    pub stop_signals: Vec<String>,
    /// `run --process NAME=COMMAND`, each as written.
    pub processes: Vec<String>,
    /// `prestop --after-port`: ports (as written, comma lists split) that must stop listening
    /// before this container is signalled.
    pub after_ports: Vec<String>,
    /// `prestop --pidfile`: the process signalled instead of PID 1.
    pub pidfile: Option<String>,
    /// `run --config`: settings come from a file the checker does not read.
    pub config: Option<String>,
    /// Durations lameduck rejects with a usage error (`--grace-period 1d1s`), each as written
    /// with `run`'s own reason.
    pub invalid_durations: Vec<(String, String)>,
    /// Words after `--`: the program `lameduck run` starts.
    pub program: Vec<String>,
}

impl LameduckCall {
    /// Fills what the flags leave out from the container's environment, as lameduck does:
    /// `LAMEDUCK_DRAIN`, `LAMEDUCK_GRACE_PERIOD` and, for `run`, `LAMEDUCK_CONFIG`.
    pub fn apply_env(&mut self, env: &[(String, String)]) {
        let var = |name: &str| env.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        if self.drain_text.is_none() {
            if let Some(text) = var("LAMEDUCK_DRAIN") {
                self.drain = text.parse().ok();
                self.drain_text = Some(text);
            }
        }
        if self.grace_period.is_none() {
            if let Some(text) = var("LAMEDUCK_GRACE_PERIOD") {
                self.grace_period = self.duration(format!("LAMEDUCK_GRACE_PERIOD={text}"), &text);
            }
            self.grace_period_from_env = self.grace_period.is_some();
        }
        if self.subcommand == "run" && self.config.is_none() {
            self.config = var("LAMEDUCK_CONFIG");
        }
    }

    /// Whether `run` takes settings from a lameduck.toml the checker does not read: `--config`,
    /// or no process on the command line (then it reads ./lameduck.toml).
    pub fn reads_config_file(&self) -> bool {
        self.subcommand == "run"
            && (self.config.is_some() || (self.processes.is_empty() && self.program.is_empty()))
    }

    /// The drain, or `None` when a config file the checker does not read may set it.
    pub fn known_drain(&self) -> Option<DrainSpec> {
        if self.drain_text.is_none() && self.reads_config_file() {
            return None;
        }
        Some(self.drain_or_default())
    }

    /// Whether lameduck rejects the flags (exit 2) before doing anything: an invalid `--drain`,
    /// duration or signal, or an `--after-port` that is not a port number.
    pub fn fails(&self) -> bool {
        (self.drain_text.is_some() && self.drain.is_none())
            || self.after_ports.iter().any(|p| p.parse::<u16>().is_err())
            || !self.invalid_signals().is_empty()
            || !self.invalid_durations.is_empty()
    }

    /// Reads a duration as `run` does; one `run` rejects is kept, as `written`, with the reason.
    fn duration(&mut self, written: String, text: &str) -> Option<f64> {
        match run_seconds(text) {
            Ok(seconds) => Some(seconds),
            Err(error) => {
                self.invalid_durations.push((written, error));
                None
            }
        }
    }

    /// `--stop-signal` values lameduck rejects with a usage error, each with `run`'s own reason.
    pub fn invalid_signals(&self) -> Vec<(String, String)> {
        let named = self.stop_signals.iter().map(|spec| {
            let value = spec.split_once('=').map_or(spec.as_str(), |(_, signal)| signal);
            (spec, value)
        });
        self.signal
            .iter()
            .map(|signal| (signal, signal.as_str()))
            .chain(named)
            .filter_map(|(spec, value)| {
                let error = lameduck_core::signal::parse_sendable(value).err()?;
                Some((spec.clone(), error.to_string()))
            })
            .collect()
    }

    /// The drain lameduck runs: the default `auto` when none is given, and none at all when the
    /// flags are invalid (lameduck then exits with a usage error before draining).
    pub fn drain_or_default(&self) -> DrainSpec {
        if self.fails() {
            return DrainSpec::Fixed(Duration::ZERO);
        }
        let grace = self.grace_period.map_or(DEFAULT_GRACE_PERIOD, seconds);
        let margin = self.safety_margin.map_or(DEFAULT_SAFETY_MARGIN, seconds);
        self.drain.clone().unwrap_or_default().within(drain::budget(grace, margin))
    }
}

/// Finds `lameduck run|prestop` in a word list and reads its flags.
pub fn lameduck_call(words: &[String]) -> Option<LameduckCall> {
    let at = words.iter().position(|w| basename(w) == "lameduck")?;
    let sub = words.get(at + 1)?;
    if sub != "run" && sub != "prestop" {
        return None;
    }
    let mut call = LameduckCall { subcommand: sub.clone(), ..LameduckCall::default() };
    let mut rest = words[at + 2..].iter();
    while let Some(word) = rest.next() {
        if word == "--" {
            call.program = rest.cloned().collect();
            break;
        }
        let (flag, inline) = match word.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (word.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| rest.next().cloned());
        match flag {
            "--grace-period" | "--safety-margin" => {
                let Some(text) = value() else { continue };
                let seconds = call.duration(format!("{flag} {text}"), &text);
                match flag {
                    "--grace-period" => call.grace_period = seconds,
                    _ => call.safety_margin = seconds,
                }
            }
            "--drain" => {
                let v = value();
                call.drain = v.as_deref().and_then(|v| v.parse().ok());
                call.drain_text = v;
            }
            // prestop's `--stop-signal` (`--signal` is its older, still accepted name); `run`'s
            // `--stop-signal` may name a process.
            "--signal" | "--stop-signal" if call.subcommand == "prestop" => call.signal = value(),
            "--stop-signal" if call.subcommand == "run" => call.stop_signals.extend(value()),
            "--process" => call.processes.extend(value()),
            "--after-port" => call.after_ports.extend(
                value()
                    .iter()
                    .flat_map(|v| v.split(','))
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            ),
            "--pidfile" => call.pidfile = value(),
            "--config" => call.config = value(),
            "--drain-port" | "--fastcgi" | "--health-listen" | "--log-format"
            | "--stop-timeout" => {
                value();
            }
            _ => {}
        }
    }
    Some(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn lameduck_flags() {
        let c = lameduck_call(&argv(&[
            "/lameduck",
            "prestop",
            "--drain",
            "fixed:5s",
            "--grace-period=40s",
        ]))
        .unwrap();
        assert_eq!(c.drain, Some(DrainSpec::Fixed(Duration::from_secs(5))));
        assert_eq!(c.grace_period, Some(40.0));
        let c = lameduck_call(&argv(&[
            "lameduck",
            "run",
            "--drain",
            "auto:max=20s",
            "--",
            "php-fpm",
            "-F",
        ]))
        .unwrap();
        assert_eq!(most(&c.drain_or_default()), 20.0);
        assert_eq!(c.program, argv(&["php-fpm", "-F"]));
    }

    #[test]
    fn durations_run_rejects_make_the_call_fail_with_runs_reason() {
        let call = |flags: &[&str]| {
            let words = [&["lameduck", "run"], flags, &["--", "php-fpm", "-F"]].concat();
            lameduck_call(&argv(&words)).unwrap()
        };
        let c = call(&["--grace-period", "1d1s", "--safety-margin=x"]);
        assert!(c.fails());
        assert_eq!(c.invalid_durations.len(), 2, "{:?}", c.invalid_durations);
        assert_eq!(c.invalid_durations[0].0, "--grace-period 1d1s");
        assert!(c.invalid_durations[0].1.contains("at most 24h"), "{:?}", c.invalid_durations);
        assert_eq!(c.invalid_durations[1].0, "--safety-margin x");
        let c = call(&["--grace-period", "1min", "--safety-margin", "1d"]);
        assert!(!c.fails(), "{:?}", c.invalid_durations);
        assert_eq!((c.grace_period, c.safety_margin), (Some(60.0), Some(86400.0)));
        let mut c = call(&[]);
        c.apply_env(&[("LAMEDUCK_GRACE_PERIOD".into(), "forever".into())]);
        assert!(c.fails() && c.invalid_durations[0].0 == "LAMEDUCK_GRACE_PERIOD=forever");
    }

    #[test]
    fn the_default_drain_lasts_until_the_grace_periods_budget() {
        // lameduck's default auto drain has no max of its own: grace − safety margin − 5 s.
        let c = lameduck_call(&argv(&["lameduck", "run", "--", "php-fpm", "-F"])).unwrap();
        assert_eq!(most(&c.drain_or_default()), 23.0);
        let c = lameduck_call(&argv(&[
            "lameduck",
            "prestop",
            "--grace-period",
            "60s",
            "--safety-margin=3s",
            "--drain",
            "auto:quiet=2s,max=deadline",
        ]))
        .unwrap();
        assert!(!c.fails(), "max=deadline is what lameduck accepts");
        assert_eq!(most(&c.drain_or_default()), 52.0);
        let c = lameduck_call(&argv(&["lameduck", "prestop", "--grace-period", "4s"])).unwrap();
        let secs = Duration::from_secs;
        assert_eq!(
            c.drain_or_default(),
            DrainSpec::Auto { min: secs(0), quiet: secs(1), max: Some(secs(0)), adapt: 2 }
        );
    }

    #[test]
    fn after_ports_signals_and_value_flags() {
        let c = lameduck_call(&argv(&[
            "/lameduck",
            "prestop",
            "--fastcgi",
            "--drain",
            "--drain",
            "none",
            "--after-port",
            "80,8080",
            "--after-port=443",
            "--pidfile",
            "/run/php-fpm.pid",
            "--signal",
            "TERM",
        ]))
        .unwrap();
        let renamed = lameduck_call(&argv(&["lameduck", "prestop", "--stop-signal=TERM"])).unwrap();
        assert_eq!(renamed.signal.as_deref(), Some("TERM"));
        assert_eq!(c.drain, Some(DrainSpec::Fixed(Duration::ZERO)));
        assert_eq!(c.after_ports, argv(&["80", "8080", "443"]));
        assert_eq!(c.pidfile.as_deref(), Some("/run/php-fpm.pid"));
        assert_eq!(c.signal.as_deref(), Some("TERM"));
        let c = lameduck_call(&argv(&[
            "lameduck",
            "run",
            "--stop-signal",
            "web=TERM",
            "--process",
            "web=nginx -g 'daemon off;'",
            "--log-format",
            "json",
        ]))
        .unwrap();
        assert_eq!(c.signal, None);
        // What lameduck rejects: the hook fails before it drains.
        let secs = Duration::from_secs;
        assert_eq!(
            "auto:quiet=2s,adapt=0".parse(),
            Ok(DrainSpec::Auto { min: secs(0), quiet: secs(2), max: None, adapt: 0 })
        );
        assert_eq!("auto:max=20s,max=deadline".parse::<DrainSpec>().unwrap().max(), None);
        for bad in [
            "5s",
            "none:1s",
            "auto:min=10s,max=5s",
            "auto:wait=1s",
            "auto:adapt=2x",
            "auto:adapt=101",
        ] {
            assert!(bad.parse::<DrainSpec>().is_err(), "{bad}");
            let c = lameduck_call(&argv(&["lameduck", "prestop", "--drain", bad])).unwrap();
            assert_eq!(c.drain_or_default(), DrainSpec::Fixed(Duration::ZERO));
        }
        assert_eq!(c.stop_signals, argv(&["web=TERM"]));
        assert_eq!(c.processes, argv(&["web=nginx -g 'daemon off;'"]));
    }
}
