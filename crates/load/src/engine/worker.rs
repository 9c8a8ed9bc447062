//! What the worker loop counts and keeps, and the steps that change it: scheduling (which send
//! is due), the window (whether `max_in_flight` requests are outstanding, and since when not),
//! sending (counting a send, a late send or a drop, handing out a connection), collecting (a
//! finished request), and stopping (a stop request, then aborting what it leaves outstanding).
use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;

use super::batches::SendBatches;
use super::Completion;
use crate::client::Conn;
use crate::hooks::{EventLog, OnEvent, OnRequest, OnSecond, RequestRecord, RunHooks};
use crate::outcome::{NetError, Outcome};
use crate::prepare::Prepared;
use crate::report::{EventKind, ExecResult, Report, SecondRecord, TIMELINE_SCHEMA_VERSION};
use crate::target::Target;
use crate::timeline::{micros_histogram, percentiles, record, Tally, Timeline};
use crate::{Plan, WhenFull};

/// How long outstanding requests get to finish after the first stop request.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Seconds as they close: kept for the report, and passed to the caller's hooks together with
/// the events recorded meanwhile.
struct ClosedSeconds<'h> {
    seconds: Vec<SecondRecord>,
    events: EventLog,
    events_seen: usize,
    on_second: Option<OnSecond<'h>>,
    on_event: Option<OnEvent<'h>>,
}

impl ClosedSeconds<'_> {
    fn push(&mut self, second: SecondRecord) {
        self.pass_on_events();
        if let Some(on_second) = self.on_second.as_mut() {
            on_second(&second);
        }
        self.seconds.push(second);
    }

    fn pass_on_events(&mut self) {
        if let Some(on_event) = self.on_event.as_mut() {
            let (new, seen) = self.events.since(self.events_seen);
            self.events_seen = seen;
            new.iter().for_each(on_event);
        }
    }
}

/// The loop's state.
pub(super) struct Worker<'a, 'h> {
    pub plan: &'a Plan,
    prepared: &'a Prepared,
    /// t = 0 of every offset.
    pub start: Instant,
    started_unix_ms: u64,
    schedule_end: Instant,
    sends: SendBatches<'a>,
    round_robin: usize,
    /// `max_in_flight` requests were outstanding when the loop last looked.
    window_full: bool,
    /// When the loop last saw the full window free up: a send due before then waited for it.
    window_freed_at: Option<Instant>,
    /// When the last send was written, if it had waited for the window: a send that fell due
    /// before then queued behind it, so it waited for the window too.
    held_send_written_at: Option<Instant>,
    /// Idle keep-alive connections, per endpoint.
    idle: Vec<Vec<Conn>>,
    /// Scheduled offsets of the requests in flight, so that requests abandoned by a stop still
    /// get their line in `--raw` (a multiset: several sends may share an offset).
    outstanding: BTreeMap<Duration, u32>,
    timeline: Timeline,
    closed: ClosedSeconds<'h>,
    totals: Tally,
    send_lag: Histogram<u64>,
    on_request: Option<OnRequest<'h>>,
    stop_level: u8,
    stopped_at: Option<Instant>,
    abort_at: Option<Instant>,
}

impl<'a, 'h> Worker<'a, 'h> {
    /// Starts the clock: t = 0 is now.
    pub fn start(
        plan: &'a Plan,
        prepared: &'a Prepared,
        idle: Vec<Vec<Conn>>,
        hooks: &mut RunHooks<'h>,
    ) -> Worker<'a, 'h> {
        let events = hooks.events.clone().unwrap_or_default();
        let started_unix_ms =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        let start = Instant::now();
        events.set_start(start);
        if let Some(on_start) = hooks.on_start.take() {
            on_start(start);
        }
        Worker {
            plan,
            prepared,
            start,
            started_unix_ms: started_unix_ms.as_millis() as u64,
            schedule_end: start + plan.schedule.duration(),
            sends: SendBatches::new(plan.send_offsets()),
            round_robin: 0,
            window_full: false,
            window_freed_at: None,
            held_send_written_at: None,
            idle,
            outstanding: BTreeMap::new(),
            timeline: Timeline::new(),
            closed: ClosedSeconds {
                seconds: Vec::new(),
                events,
                events_seen: 0,
                on_second: hooks.on_second.take(),
                on_event: hooks.on_event.take(),
            },
            totals: Tally::new(),
            send_lag: micros_histogram(),
            on_request: hooks.on_request.take(),
            stop_level: 0,
            stopped_at: None,
            abort_at: None,
        }
    }

    /// The run's event log.
    pub fn events(&self) -> &EventLog {
        &self.closed.events
    }

    // Scheduling.

    /// The next send's offset, if it is due at `now` (its batch has left, see
    /// [`super::batches`]). It stays due until the caller counts it with [`Worker::count_sent`]
    /// or [`Worker::count_dropped`].
    pub fn due(&self, now: Instant) -> Option<Duration> {
        let release = self.sends.release()?;
        self.sends.next().filter(|_| self.start + release <= now)
    }

    /// When the next send falls due, if there is one.
    pub fn next_release(&self) -> Option<Instant> {
        self.sends.release().map(|release| self.start + release)
    }

    /// Whether a send that can leave (it does not wait for the window) is due at `now`.
    pub fn send_due_by(&self, now: Instant) -> bool {
        !self.waiting() && self.next_release().is_some_and(|release| release <= now)
    }

    /// Whether the send at `offset` would leave later than the request timeout at `now`: with
    /// [`WhenFull::Wait`] it is dropped instead, which bounds how far behind its schedule a
    /// run can fall while the server is stalled.
    pub fn expired(&self, offset: Duration, now: Instant) -> bool {
        now.saturating_duration_since(self.start + offset) >= self.plan.timeout
    }

    /// When the next send, waiting for the window, expires (see [`Worker::expired`]).
    pub fn next_expiry(&self) -> Option<Instant> {
        self.sends.next().map(|offset| self.start + offset + self.plan.timeout)
    }

    // The window.

    /// Takes in whether `max_in_flight` requests are outstanding at `now`.
    pub fn observe_window(&mut self, full: bool, now: Instant) {
        if self.window_full && !full {
            self.window_freed_at = Some(now);
        }
        self.window_full = full;
    }

    /// Whether the next send has to wait for the window: it is full, and a full window makes
    /// sends wait rather than drop.
    pub fn waiting(&self) -> bool {
        self.window_full && self.plan.when_full == WhenFull::Wait
    }

    // Sending.

    /// Counts a send at `now` and picks its request (round robin) and an idle connection. A
    /// send that fell due before the full window last freed up waited for it: it is `late`.
    /// So is one that fell due while the sends that had waited were still being written: sends
    /// leave in schedule order, so it queued behind them, held by the same stall.
    pub fn count_sent(&mut self, offset: Duration, now: Instant) -> (usize, Option<Conn>) {
        let release = self.start + self.sends.take().map_or(offset, |(_, release)| release);
        let waited_for_window = self.window_freed_at.is_some_and(|freed| release < freed);
        let queued_behind_held = self.held_send_written_at.is_some_and(|at| release < at);
        let held =
            self.plan.when_full == WhenFull::Wait && (waited_for_window || queued_behind_held);
        self.held_send_written_at = held.then_some(now);
        let tally = self.timeline.at(offset.as_secs(), &mut |s| self.closed.push(s));
        tally.sent += 1;
        tally.late += u64::from(held);
        self.totals.sent += 1;
        self.totals.late += u64::from(held);
        // Send lag is the generator's own lateness: a send that waited for the server is
        // counted `late`, and its wait is in its latency.
        if !held {
            record(&mut self.send_lag, now - (self.start + offset));
        }
        *self.outstanding.entry(offset).or_default() += 1;
        let target = self.round_robin;
        self.round_robin = (target + 1) % self.prepared.requests.len();
        let request = &self.prepared.requests[target];
        let conn = if request.fresh_connection { None } else { self.idle_conn(request.endpoint) };
        (target, conn)
    }

    /// An idle connection to `endpoint` the server has not closed meanwhile; closed ones are
    /// dropped (the request opens a new connection if none is left).
    fn idle_conn(&mut self, endpoint: usize) -> Option<Conn> {
        while let Some(conn) = self.idle[endpoint].pop() {
            if !conn.peer_closed() {
                return Some(conn);
            }
        }
        None
    }

    /// Counts a send that could not start: `max_in_flight` requests were outstanding (with
    /// [`WhenFull::Drop`]), or waiting for one to finish made it [`Worker::expired`].
    pub fn count_dropped(&mut self, offset: Duration) {
        self.sends.take();
        self.timeline.at(offset.as_secs(), &mut |s| self.closed.push(s)).dropped += 1;
        self.totals.dropped += 1;
    }

    // Collecting.

    /// Records one finished request: counts, latency, the `--raw` hook, and its connection back
    /// to the idle pool.
    pub fn collect(&mut self, done: Completion) {
        if let Some(count) = self.outstanding.get_mut(&done.intended) {
            *count -= 1;
            if *count == 0 {
                self.outstanding.remove(&done.intended);
            }
        }
        let latency = done.done_at.saturating_duration_since(self.start + done.intended);
        let second = (done.done_at - self.start).as_secs();
        self.timeline.at(second, &mut |s| self.closed.push(s)).complete(&done.outcome, latency);
        self.totals.complete(&done.outcome, latency);
        if let Some(on_request) = self.on_request.as_mut() {
            on_request(&RequestRecord {
                request: done.request,
                intended: done.intended,
                latency,
                outcome: &done.outcome,
                bytes_out: done.bytes_out,
                bytes_in: done.bytes_in,
            });
        }
        if let (Some(conn), true, 0) = (done.conn, self.plan.keepalive, self.stop_level) {
            self.idle[done.endpoint].push(conn);
        }
    }

    // Stopping.

    /// Takes in the stop handle's level: the first stop ends the sending and gives what is in
    /// flight [`DRAIN_GRACE`]; a second one aborts it at once.
    pub fn observe_stop(&mut self, level: u8, now: Instant) {
        if level <= self.stop_level {
            return;
        }
        if self.stop_level == 0 {
            // Sends already waiting for the window will never leave: they are dropped, not
            // forgotten.
            while let Some(offset) = self.due(now).filter(|_| self.waiting()) {
                self.count_dropped(offset);
            }
            self.closed.events.record(EventKind::Stop, "stop requested");
            self.stopped_at = Some(now);
            self.abort_at = Some(now + DRAIN_GRACE);
        }
        if level > 1 {
            self.abort_at = Some(now);
        }
        self.stop_level = level;
        self.sends.clear();
    }

    /// Whether a stop asked for the abort of what is in flight.
    pub fn stopped(&self) -> bool {
        self.stop_level > 0
    }

    /// When what is in flight is abandoned, after a stop.
    pub fn abort_at(&self) -> Option<Instant> {
        self.abort_at
    }

    pub fn abort_due(&self, now: Instant) -> bool {
        self.abort_at.is_some_and(|at| now >= at)
    }

    /// Counts every outstanding request as aborted (the caller drops their futures).
    pub fn abort_outstanding(&mut self, now: Instant) {
        let tally = self.timeline.at((now - self.start).as_secs(), &mut |s| self.closed.push(s));
        let aborted = Outcome::Net(NetError::Aborted);
        for (intended, count) in std::mem::take(&mut self.outstanding) {
            for _ in 0..count {
                tally.abort();
                self.totals.abort();
                if let Some(on_request) = self.on_request.as_mut() {
                    on_request(&RequestRecord {
                        request: None,
                        intended,
                        latency: now.saturating_duration_since(self.start + intended),
                        outcome: &aborted,
                        bytes_out: 0,
                        bytes_in: 0,
                    });
                }
            }
        }
    }

    /// Whether every send is made (or a stop ended the sending) and the schedule is over.
    pub fn load_done(&self, now: Instant) -> bool {
        self.sends.is_empty() && (self.stop_level > 0 || now >= self.schedule_end)
    }

    // Seconds and the report.

    /// Closes every second the clock has passed.
    pub fn close_seconds(&mut self, now: Instant) {
        self.timeline.close_until(now - self.start, &mut |s| self.closed.push(s));
    }

    /// The open second's index.
    pub fn current_second(&self) -> u64 {
        self.timeline.current()
    }

    /// Closes the last second and writes the report.
    pub fn finish(mut self, exec: Vec<ExecResult>) -> Report {
        let end = Instant::now();
        self.close_seconds(end);
        if self.timeline.has_activity() || self.timeline.current() == 0 {
            let closed = &mut self.closed;
            self.timeline.finish(&mut |s| closed.push(s));
        }
        // Events after the last second closed still reach the streaming callback.
        self.closed.pass_on_events();
        let sending_time = match self.stopped_at {
            Some(at) => at.min(self.schedule_end) - self.start,
            None => self.plan.schedule.duration(),
        };
        let (plan, totals) = (self.plan, &self.totals);
        Report {
            schema_version: TIMELINE_SCHEMA_VERSION,
            schedule: plan.schedule.to_string(),
            targets: plan.targets.iter().map(Target::url).collect(),
            shard: plan.shard.map(|s| s.to_string()),
            started_unix_ms: self.started_unix_ms,
            duration_s: (end - self.start).as_secs_f64(),
            stopped_early: self.stop_level > 0,
            requests: totals.completed,
            ok: totals.ok,
            failed: totals.failed,
            codes: totals.codes.clone(),
            net: totals.net.clone(),
            dropped: totals.dropped,
            late: totals.late,
            rps: lameduck_core::schema::achieved_rate(totals.sent, sending_time.as_secs_f64()),
            latency_ms: percentiles(&totals.latency),
            latency_ok_ms: Some(percentiles(&totals.latency_ok)),
            send_lag_ms: percentiles(&self.send_lag),
            events: self.closed.events.snapshot(),
            seconds: self.closed.seconds,
            exec,
            ..Report::default()
        }
    }
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
