//! The live console: on a terminal, a scrolling log above ONE status line. Every second with
//! failures, every event and every line an `--exec-at` command prints is written as its own
//! line and stays in the scrollback; only the bottom status line (elapsed of planned seconds,
//! rate, totals, p99) is erased and redrawn. Off a terminal (CI logs, pipes) callers keep their
//! plain line per second; [`LiveConsole::for_stderr`] tells them which.
//!
//! ```no_run
//! use std::time::Duration;
//! use lameduck_load::live::LiveConsole;
//!
//! let mut console = LiveConsole::for_stderr(Duration::from_secs(60));
//! # let second = lameduck_load::SecondRecord::default();
//! // In the per-second hook:
//! match console.as_mut() {
//!     Some(console) => console.second(&second),
//!     None => eprintln!("t=0s ..."), // the plain line
//! }
//! // When the run ends:
//! if let Some(console) = console {
//!     console.finish();
//! }
//! ```
use std::io::{IsTerminal, Stderr, Write};
use std::sync::Mutex;
use std::time::Duration;

use lameduck_core::display::{ms, percent};

use crate::report::SecondRecord;
use crate::windows::{describe_counts, FailureCounts};

/// Back to the start of the line and erase it: the only erase the console ever sends, and only
/// while the cursor is on the status line (every log line ends with a newline).
const ERASE_LINE: &str = "\r\x1b[2K";
/// Auto-wrap off while the status line is drawn, so a narrow terminal cuts it instead of
/// wrapping it onto a second row that the next erase would miss.
const NO_WRAP: &str = "\x1b[?7l";
const WRAP: &str = "\x1b[?7h";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// What the console needs from one second.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveSecond {
    pub t: u64,
    pub sent: u64,
    pub ok: u64,
    pub failed: u64,
    pub dropped: u64,
    /// Statuses ≥ 500 and network outcomes, by name.
    pub failures: FailureCounts,
    pub p99_ms: f64,
}

impl From<&SecondRecord> for LiveSecond {
    fn from(s: &SecondRecord) -> LiveSecond {
        LiveSecond {
            t: s.t,
            sent: s.sent,
            ok: s.ok,
            failed: s.failed,
            dropped: s.dropped,
            failures: s.failures(),
            p99_ms: s.latency_ms.p99,
        }
    }
}

/// Totals since the start, and the text of the lines (pure, so it is testable without a
/// terminal).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    pub planned_s: u64,
    /// Seconds closed so far.
    pub elapsed_s: u64,
    pub last: LiveSecond,
    pub sent: u64,
    pub ok: u64,
    pub failed: u64,
}

impl LiveState {
    pub fn add(&mut self, second: LiveSecond) {
        self.sent += second.sent;
        self.ok += second.ok;
        self.failed += second.failed;
        self.elapsed_s = self.elapsed_s.max(second.t + 1);
        self.last = second;
    }

    /// The bottom line: `12/60s  100/s  sent 1200  ok 1180  failed 20 (1.67%)  p99 30ms`.
    pub fn status_line(&self) -> String {
        format!(
            "{}/{}s  {}/s  sent {}  ok {}  failed {} ({})  p99 {}",
            self.elapsed_s,
            self.planned_s,
            self.last.sent,
            self.sent,
            self.ok,
            self.failed,
            percent(self.failed, self.sent),
            ms(self.last.p99_ms)
        )
    }

    /// The log line of a second with failures (`t=8s  502 × 56, refused × 1  (of 100
    /// sent)`), or `None` for a second without.
    pub fn failure_line(second: &LiveSecond) -> Option<String> {
        let counts = describe_counts(&second.failures);
        (!counts.is_empty())
            .then(|| format!("t={}s  {counts}  (of {} sent)", second.t, second.sent))
    }
}

/// True when colour is wanted on stderr by default: stderr is a terminal and `NO_COLOR` is
/// unset or empty. A `--color` flag overrides it by passing its own value to
/// [`LiveConsole::new`].
pub fn default_colour() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal()
}

/// The live view, drawing on `W` (stderr unless a test renders into a buffer). Dropping it
/// without [`LiveConsole::finish`] also erases the status line.
pub struct LiveConsole<W: Write = Stderr> {
    state: LiveState,
    screen: Mutex<Screen<W>>,
}

/// The output, the status line and whether it is on the output now.
struct Screen<W> {
    out: Option<W>,
    colour: bool,
    status: String,
    drawn: bool,
}

impl<W: Write> Screen<W> {
    /// Erases the status line if drawn, writes `lines` for good (in red if `red` and colour
    /// is on), and draws the status line below them.
    fn update<'a>(&mut self, lines: impl IntoIterator<Item = &'a str>, red: bool) {
        let (on, off) = if red && self.colour { (RED, RESET) } else { ("", "") };
        let mut text = String::from(if self.drawn { ERASE_LINE } else { "" });
        for line in lines {
            text.push_str(&format!("{on}{}{off}\n", printable(line)));
        }
        text.push_str(&format!("{NO_WRAP}{}{WRAP}", self.status));
        if let Some(out) = self.out.as_mut() {
            // One write per update, so that a line is never torn by a concurrent writer; a
            // write error only loses the display (a console must never stop a run).
            let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
            self.drawn = true;
        }
    }

    /// Erases the status line, leaving the terminal for the summary.
    fn clear(&mut self) -> Option<W> {
        if std::mem::take(&mut self.drawn) {
            if let Some(out) = self.out.as_mut() {
                let _ = out.write_all(ERASE_LINE.as_bytes()).and_then(|()| out.flush());
            }
        }
        self.out.take()
    }
}

/// `line` without escape sequences and control characters (tabs aside): a command's own
/// cursor movements or carriage returns must not move the console's cursor off the status line
/// or overwrite the log.
fn printable(line: &str) -> String {
    let mut text = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // A CSI sequence ends with a byte in @..~ (colours end in `m`, moves in `A`...);
            // other escapes (`ESC M`, reverse line feed) are two characters.
            if chars.next() == Some('[') {
                while chars.next().is_some_and(|c| !('\x40'..='\x7e').contains(&c)) {}
            }
        } else if c == '\t' || !c.is_control() {
            text.push(c);
        }
    }
    text
}

impl LiveConsole {
    /// A console for a run planned to last `planned`, drawing on stderr, or `None` when
    /// stderr is not a terminal (the caller then prints its plain line per second).
    pub fn for_stderr(planned: Duration) -> Option<LiveConsole> {
        std::io::stderr()
            .is_terminal()
            .then(|| LiveConsole::new(planned, std::io::stderr(), default_colour()))
    }
}

impl<W: Write> LiveConsole<W> {
    /// A console drawing on `out`, colouring the lines of failing seconds if `colour`.
    pub fn new(planned: Duration, out: W, colour: bool) -> LiveConsole<W> {
        let planned_s = planned.as_secs_f64().ceil() as u64;
        let state = LiveState { planned_s, ..LiveState::default() };
        let status = state.status_line();
        let mut screen = Screen { out: Some(out), colour, status, drawn: false };
        screen.update([], false);
        LiveConsole { state, screen: Mutex::new(screen) }
    }

    /// The same console with colour as the caller's `--color` decided (replaces the default).
    pub fn with_color(self, colour: bool) -> LiveConsole<W> {
        self.screen().colour = colour;
        self
    }

    fn screen(&self) -> std::sync::MutexGuard<'_, Screen<W>> {
        self.screen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes one closed second: a second with failures gets its own log line; the status
    /// line is redrawn.
    pub fn second(&mut self, record: &SecondRecord) {
        let second = LiveSecond::from(record);
        let failure = LiveState::failure_line(&second);
        self.state.add(second);
        let mut screen = self.screen();
        screen.status = self.state.status_line();
        screen.update(failure.as_deref(), true);
    }

    /// Logs a line above the status line (an event, a line an `--exec-at` command printed);
    /// it stays in the scrollback.
    pub fn println(&self, line: impl AsRef<str>) {
        // Split, so that a line with its own newlines cannot leave the status line's row.
        self.screen().update(line.as_ref().lines(), false);
    }

    /// What the view shows now.
    pub fn state(&self) -> &LiveState {
        &self.state
    }

    /// Erases the status line (the log stays) and hands back the output.
    pub fn finish(self) -> W {
        self.screen().clear().expect("the output is only taken here or on drop")
    }
}

impl<W: Write> Drop for LiveConsole<W> {
    fn drop(&mut self) {
        self.screen().clear();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use lameduck_testkit::terminal::Screen;

    use super::*;

    fn record(t: u64, codes: &[(u16, u64)], net: &[(&str, u64)]) -> SecondRecord {
        let failed = codes.iter().filter(|(c, _)| *c >= 400).map(|(_, n)| n).sum::<u64>()
            + net.iter().map(|(_, n)| n).sum::<u64>();
        SecondRecord {
            t,
            sent: 100,
            ok: 100 - failed,
            failed,
            codes: codes.iter().copied().collect(),
            net: net.iter().map(|(k, n)| (k.to_string(), *n)).collect::<BTreeMap<_, _>>(),
            ..SecondRecord::default()
        }
    }

    #[test]
    fn failing_seconds_and_printed_lines_stay_and_only_the_status_line_is_redrawn() {
        let mut console = LiveConsole::new(Duration::from_secs(4), Vec::new(), false);
        console.second(&record(0, &[(200, 100)], &[]));
        console.println("event t=1.000s exec_start kubectl scale");
        console.println("[exec 1s stderr] error: no context\nsecond line");
        console.second(&record(1, &[(200, 90), (502, 8)], &[("refused", 2)]));
        console.second(&record(2, &[(200, 100)], &[]));
        let before_finish = {
            let screen = console.screen();
            Screen::render(screen.out.as_deref().unwrap_or_default())
        };
        assert_eq!(
            before_finish.lines,
            [
                "event t=1.000s exec_start kubectl scale",
                "[exec 1s stderr] error: no context",
                "second line",
                "t=1s  502 × 8, refused × 2  (of 100 sent)",
            ]
        );
        assert_eq!(
            before_finish.current,
            "3/4s  100/s  sent 300  ok 290  failed 10 (3.33%)  p99 0.0ms"
        );
        let out = console.finish();
        let screen = Screen::render(&out);
        assert!(screen.erased_finished_lines.is_empty(), "{:?}", screen.erased_finished_lines);
        assert_eq!(screen.lines.len(), 4, "{:?}", screen.lines);
        assert_eq!(screen.current, "", "finish erases the status line");
        // One erase per update: three seconds and two `println`s after the first drawing, and
        // the last one by `finish`.
        let erases = String::from_utf8_lossy(&out).matches(ERASE_LINE).count();
        assert_eq!(erases, 6);
    }

    #[test]
    fn a_printed_line_cannot_move_the_cursor_off_the_status_line() {
        let console = LiveConsole::new(Duration::from_secs(1), Vec::new(), false);
        console.println("kept");
        console.println("\x1b[1A\x1b[2K\x1b[31mred\x1b[0m\rover\tTAB\x1bM");
        let screen = Screen::render(&console.finish());
        assert!(screen.erased_finished_lines.is_empty(), "{:?}", screen.erased_finished_lines);
        assert_eq!(screen.lines, ["kept", "redover\tTAB"]);
    }

    #[test]
    fn colour_only_when_asked() {
        let failing = record(0, &[(503, 1)], &[]);
        let mut plain = LiveConsole::new(Duration::from_secs(1), Vec::new(), false);
        plain.second(&failing);
        assert!(!String::from_utf8_lossy(&plain.finish()).contains(RED));
        let mut coloured = LiveConsole::new(Duration::from_secs(1), Vec::new(), true);
        coloured.second(&failing);
        let out = coloured.finish();
        assert!(String::from_utf8_lossy(&out).contains(&format!("{RED}t=0s  503 × 1")));
        assert_eq!(Screen::render(&out).lines, ["t=0s  503 × 1  (of 100 sent)"]);
    }
}
