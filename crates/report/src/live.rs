//! The live console: on a terminal, a compact view redrawn each second with the schedule's
//! progress, the current rates and the errors so far by kind. Off a terminal (CI logs, pipes)
//! callers keep their plain line per second; [`LiveConsole::for_stderr`] tells them which.
//!
//! ```no_run
//! use std::time::Duration;
//! use lameduck_report::live::LiveConsole;
//!
//! let mut console = LiveConsole::for_stderr(Duration::from_secs(60));
//! # let second_as_json = serde_json::json!({"t": 0, "sent": 100, "codes": {"200": 100}});
//! // In the per-second hook (a load `SecondRecord` serialized with serde_json):
//! match console.as_mut() {
//!     Some(console) => console.second(&second_as_json),
//!     None => eprintln!("t=0s ..."), // the plain line
//! }
//! // When the run ends:
//! if let Some(console) = console {
//!     console.finish();
//! }
//! ```
use std::fmt::Write;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::Second;
use crate::outcome::{add_counts, Kind, KindCounts};

/// What the console needs from one second. Build it from a load `SecondRecord` serialized as
/// JSON (`From<&serde_json::Value>`) or from this crate's [`Second`] view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveSecond {
    pub t: u64,
    pub sent: u64,
    pub ok: u64,
    pub failed: u64,
    pub dropped: u64,
    pub counts: KindCounts,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl From<&Second> for LiveSecond {
    fn from(s: &Second) -> LiveSecond {
        let mut counts = [0; Kind::COUNT];
        add_counts(&mut counts, &s.codes, &s.net, s.dropped);
        LiveSecond {
            t: s.t,
            sent: s.sent,
            ok: s.ok,
            failed: s.failed,
            dropped: s.dropped,
            counts,
            p50_ms: s.latency_ms.p50,
            p99_ms: s.latency_ms.p99,
        }
    }
}

/// Reads the fields of a serialized `SecondRecord`; missing or malformed fields count as zero
/// (a console must never stop a run).
impl From<&serde_json::Value> for LiveSecond {
    fn from(value: &serde_json::Value) -> LiveSecond {
        let second: Second = serde_json::from_value(value.clone()).unwrap_or_default();
        LiveSecond::from(&second)
    }
}

impl From<serde_json::Value> for LiveSecond {
    fn from(value: serde_json::Value) -> LiveSecond {
        LiveSecond::from(&value)
    }
}

/// Totals since the start, and the text of the view (pure, so it is testable without a
/// terminal).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    pub planned_s: u64,
    pub last: LiveSecond,
    pub sent: u64,
    pub failed: u64,
    pub counts: KindCounts,
}

impl LiveState {
    pub fn add(&mut self, second: LiveSecond) {
        self.sent += second.sent;
        self.failed += second.failed;
        for (total, n) in self.counts.iter_mut().zip(second.counts) {
            *total += n;
        }
        self.last = second;
    }

    /// The line after the progress bar: the last second's rates and latency.
    pub fn rate_line(&self) -> String {
        let l = &self.last;
        format!(
            "t={}s  sent {}/s  ok {}/s  failed {}/s  dropped {}/s  p50 {}  p99 {}",
            l.t,
            l.sent,
            l.ok,
            l.failed,
            l.dropped,
            crate::html::ms(l.p50_ms),
            crate::html::ms(l.p99_ms)
        )
    }

    /// The errors so far by kind (with the last second's in parentheses).
    pub fn errors_line(&self) -> String {
        let mut line = format!("errors {} of {} sent", self.failed, self.sent);
        let kinds: Vec<Kind> = Kind::ALL
            .iter()
            .copied()
            .filter(|k| *k != Kind::Http2xx && *k != Kind::Http3xx)
            .collect();
        let mut any = false;
        for kind in kinds.iter().filter(|k| self.counts[k.index()] > 0) {
            let _ = write!(
                line,
                "{} {} {}",
                if any { " ·" } else { ":" },
                kind.label(),
                self.counts[kind.index()]
            );
            let now = self.last.counts[kind.index()];
            if now > 0 {
                let _ = write!(line, " (+{now})");
            }
            any = true;
        }
        line
    }
}

/// The live view on stderr. Dropping it without [`LiveConsole::finish`] also clears it.
pub struct LiveConsole {
    state: LiveState,
    _multi: MultiProgress,
    progress: ProgressBar,
    rates: ProgressBar,
    errors: ProgressBar,
    color: bool,
}

/// Red (SGR 31) around `text` when `on`: the failure lines of the view stand out.
fn red(text: String, on: bool) -> String {
    if on {
        format!("\x1b[31m{text}\x1b[0m")
    } else {
        text
    }
}

impl LiveConsole {
    /// A console for a run planned to last `planned`, drawing on stderr, or `None` when
    /// stderr is not a terminal (the caller then prints its plain line per second).
    pub fn for_stderr(planned: Duration) -> Option<LiveConsole> {
        std::io::stderr()
            .is_terminal()
            .then(|| LiveConsole::with_target(planned, ProgressDrawTarget::stderr_with_hz(4)))
    }

    /// A console drawing to `target` (tests use a hidden or in-memory one).
    pub fn with_target(planned: Duration, target: ProgressDrawTarget) -> LiveConsole {
        let planned_s = planned.as_secs_f64().ceil() as u64;
        let multi = MultiProgress::with_draw_target(target);
        let progress = multi.add(ProgressBar::new(planned_s.max(1)));
        progress.set_style(
            ProgressStyle::with_template("schedule [{bar:36}] {pos}/{len}s  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        // Drawn first, so that the view's lines appear in order from the start.
        progress.tick();
        let line = || {
            let bar = multi.add(ProgressBar::new(1));
            bar.set_style(
                ProgressStyle::with_template("{msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        };
        let (rates, errors) = (line(), line());
        let state = LiveState { planned_s, ..LiveState::default() };
        rates.set_message(state.rate_line());
        errors.set_message(state.errors_line());
        LiveConsole { state, _multi: multi, progress, rates, errors, color: false }
    }

    /// Colours the view's failures red (the caller decides, from `--color` and `NO_COLOR`).
    pub fn with_color(mut self, color: bool) -> LiveConsole {
        self.color = color;
        self
    }

    /// Takes one closed second and redraws.
    pub fn second(&mut self, record: impl Into<LiveSecond>) {
        self.state.add(record.into());
        self.progress.set_position((self.state.last.t + 1).min(self.state.planned_s.max(1)));
        let failed = crate::html::percent(self.state.failed, self.state.sent);
        let failing = self.color && self.state.failed > 0;
        self.progress.set_message(red(format!("failed so far {failed}"), failing));
        self.rates.set_message(self.state.rate_line());
        self.errors.set_message(red(self.state.errors_line(), failing));
    }

    /// Prints a line above the view (an event such as an `--exec-at` command starting).
    pub fn println(&self, line: impl AsRef<str>) {
        self.progress.println(line.as_ref());
    }

    /// What the view shows now.
    pub fn state(&self) -> &LiveState {
        &self.state
    }

    /// Removes the view, leaving the terminal for the summary.
    pub fn finish(self) {
        for bar in [&self.progress, &self.rates, &self.errors] {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_records_feed_rates_and_errors_by_kind() {
        let mut console =
            LiveConsole::with_target(Duration::from_secs(10), ProgressDrawTarget::hidden());
        console.second(LiveSecond::from(
            &serde_json::json!({"t": 0, "sent": 100, "ok": 100, "codes": {"200": 100}}),
        ));
        assert_eq!(console.state().errors_line(), "errors 0 of 100 sent");
        console.second(serde_json::json!({
            "t": 1, "sent": 100, "ok": 95, "failed": 5, "dropped": 2,
            "codes": {"200": 95, "502": 3}, "net": {"refused": 2},
            "latency_ms": {"p50": 1.5, "p90": 2.0, "p99": 30.0, "max": 40.0},
            "type": "second"
        }));
        let state = console.state();
        assert_eq!(
            state.errors_line(),
            "errors 5 of 200 sent: 502 3 (+3) · refused 2 (+2) · dropped 2 (+2)"
        );
        assert_eq!(
            state.rate_line(),
            "t=1s  sent 100/s  ok 95/s  failed 5/s  dropped 2/s  p50 1.5ms  p99 30ms"
        );
        console.println("event t=1.000s exec_start true");
        console.finish();
    }

    #[test]
    fn colour_marks_the_failure_lines_only_when_asked() {
        let failing = serde_json::json!({"t": 0, "sent": 10, "failed": 1, "codes": {"502": 1}});
        for color in [false, true] {
            let mut console =
                LiveConsole::with_target(Duration::from_secs(10), ProgressDrawTarget::hidden())
                    .with_color(color);
            console.second(&failing);
            assert_eq!(console.errors.message().contains("\x1b[31m"), color);
            assert_eq!(console.progress.message().contains("\x1b[31m"), color);
            assert!(!console.rates.message().contains('\x1b'));
        }
    }

    #[test]
    fn malformed_records_count_as_nothing() {
        let second = LiveSecond::from(&serde_json::json!({"t": "soon"}));
        assert_eq!(second, LiveSecond::default());
    }
}
