//! How a caller watches and steers a run: per-second callbacks, a stop handle, and an event log
//! that shares the run's time axis.
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::outcome::Outcome;
use crate::report::{Event, EventKind, SecondRecord};

/// One line a command printed.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecLine {
    /// The command's offset into the run, as given.
    pub at: Duration,
    pub command: String,
    /// `stdout` or `stderr`.
    pub stream: &'static str,
    pub line: String,
}

/// Callback for each closed second.
pub type OnSecond<'a> = Box<dyn FnMut(&SecondRecord) + 'a>;
/// Callback for each event.
pub type OnEvent<'a> = Box<dyn FnMut(&Event) + 'a>;
/// Callback for each finished request.
pub type OnRequest<'a> = Box<dyn FnMut(&RequestRecord<'_>) + 'a>;
/// Callback for each line an `--exec-at` command prints.
pub type OnExecOutput<'a> = Box<dyn FnMut(&ExecLine) + 'a>;

/// Callbacks and handles for [`crate::run`]. Every field is optional; `RunHooks::default()`
/// runs silently to completion.
#[derive(Default)]
pub struct RunHooks<'a> {
    /// Called once, just before the first send, with the instant that is `t = 0` for every
    /// offset in the report. Use it to stamp your own events on the same axis.
    pub on_start: Option<Box<dyn FnOnce(Instant) + 'a>>,
    /// Called with each second as it closes, in order, while the run goes on.
    pub on_second: Option<OnSecond<'a>>,
    /// Called with each event (exec-at start/exit, events the caller logged) when the second
    /// it happened in closes.
    pub on_event: Option<OnEvent<'a>>,
    /// Called for every finished request (this is what `--raw` writes).
    pub on_request: Option<OnRequest<'a>>,
    /// Called with each line an `--exec-at` command prints on stdout or stderr. Without it,
    /// the commands' output goes straight to this process's stderr.
    pub on_exec_output: Option<OnExecOutput<'a>>,
    /// Stops the run early when triggered; the report is still complete.
    pub stop: Option<StopHandle>,
    /// Events the caller records during the run; they are merged into the report.
    pub events: Option<EventLog>,
}

/// One finished request, as passed to [`RunHooks::on_request`].
#[derive(Debug)]
pub struct RequestRecord<'a> {
    /// Which request of the plan this was: the index into its targets, or into its ammo when
    /// it has one (`None` for a request a stop abandoned, whose index is no longer known).
    pub request: Option<usize>,
    /// Scheduled send time, from the start of the run.
    pub intended: Duration,
    /// From the scheduled send time to the end of the response (or the failure).
    pub latency: Duration,
    pub outcome: &'a Outcome,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

/// A cloneable, thread-safe handle that stops a run.
///
/// The first [`StopHandle::stop`] ends scheduling at once and gives outstanding requests up to
/// two seconds to finish; any still running then count as `aborted`. A second call aborts them
/// immediately.
#[derive(Clone, Default)]
pub struct StopHandle {
    inner: Arc<StopInner>,
}

#[derive(Default)]
struct StopInner {
    level: AtomicU8,
    notify: tokio::sync::Notify,
}

impl StopHandle {
    pub fn new() -> StopHandle {
        StopHandle::default()
    }

    /// Asks the run to stop (see the type's docs for the two levels).
    pub fn stop(&self) {
        self.inner.level.fetch_add(1, Ordering::SeqCst);
        self.inner.notify.notify_one();
    }

    /// How many times [`StopHandle::stop`] was called.
    pub fn level(&self) -> u8 {
        self.inner.level.load(Ordering::SeqCst)
    }

    pub(crate) async fn notified(&self) {
        self.inner.notify.notified().await
    }
}

/// A cloneable, thread-safe log of events on the run's time axis. Events recorded before the
/// run starts are stamped at `t_ms = 0`.
#[derive(Clone, Default)]
pub struct EventLog {
    inner: Arc<EventLogInner>,
}

#[derive(Default)]
struct EventLogInner {
    start: OnceLock<Instant>,
    events: Mutex<Vec<Event>>,
}

impl EventLog {
    pub fn new() -> EventLog {
        EventLog::default()
    }

    /// Records an event now.
    pub fn record(&self, kind: EventKind, label: &str) {
        self.record_with_exit(kind, label, None)
    }

    /// Records an event now, with an exit code.
    pub fn record_with_exit(&self, kind: EventKind, label: &str, exit_code: Option<i32>) {
        let t_ms = self.inner.start.get().map_or(0, |start| start.elapsed().as_millis() as u64);
        let event = Event { t_ms, kind, label: label.to_string(), exit_code };
        self.inner.events.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }

    /// A copy of the events so far, ordered by time.
    pub fn snapshot(&self) -> Vec<Event> {
        let mut events = self.inner.events.lock().unwrap_or_else(|e| e.into_inner()).clone();
        events.sort_by_key(|e| e.t_ms);
        events
    }

    pub(crate) fn set_start(&self, start: Instant) {
        let _ = self.inner.start.set(start);
    }

    /// Events recorded since index `seen`, for streaming; returns the new index.
    pub(crate) fn since(&self, seen: usize) -> (Vec<Event>, usize) {
        let events = self.inner.events.lock().unwrap_or_else(|e| e.into_inner());
        (events.get(seen..).map(<[Event]>::to_vec).unwrap_or_default(), events.len())
    }
}
