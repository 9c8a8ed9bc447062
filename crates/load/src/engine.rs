//! The worker loop: one task on a single-threaded runtime takes send instants from the
//! schedule, starts each request at its instant, collects completions, and closes seconds as
//! the clock passes. A send that falls due while `max_in_flight` requests are outstanding waits
//! for one to finish and leaves late (or, with [`crate::WhenFull::Drop`], is counted `dropped`).
//!
//! Requests are futures in one `FuturesUnordered`, not spawned tasks, so the loop owns every
//! counter and connection without locks, and a completion is recorded the moment it is polled.
//! With keep-alive, the idle pool starts out holding the connections [`crate::preconnect`]
//! opened before t=0.
//!
//! [`drive`] is the loop: each turn it looks for a stop, starts the sends that are due, aborts
//! what a stop leaves outstanding, closes the seconds the clock has passed, and waits for the
//! next thing to happen. What the loop counts and keeps is a [`Worker`], whose methods are those
//! named steps.
mod batches;
mod exec_commands;
mod worker;
use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use tokio::time::sleep_until;

use crate::client::Conn;
use crate::hooks::RunHooks;
use crate::outcome::{NetError, Outcome};
use crate::prepare::Prepared;
use crate::report::Report;
use crate::{Plan, WhenFull};
use exec_commands::ExecCommands;
use worker::Worker;

/// Most completions recorded in one turn of the loop.
const COMPLETION_BATCH: usize = 32;

/// One finished request, as the loop receives it.
pub(crate) struct Completion {
    /// Which of the prepared requests this was.
    request: Option<usize>,
    intended: Duration,
    done_at: Instant,
    outcome: Outcome,
    bytes_in: u64,
    bytes_out: u64,
    endpoint: usize,
    conn: Option<Conn>,
}

/// Starts one request: on an idle keep-alive connection its bytes are written at once, before
/// the loop polls any future (so a due send is not held up behind the responses collected
/// meanwhile), and the future returned writes what is left, if anything, and reads the response.
fn start_send<'p>(
    prepared: &'p Prepared,
    target: usize,
    mut conn: Option<Conn>,
    intended: Duration,
    timeout: Duration,
) -> impl Future<Output = Completion> + 'p {
    let bytes = &prepared.requests[target].bytes;
    let written = conn.as_mut().map_or(0, |conn| conn.write_now(bytes));
    send_one(prepared, target, conn, written, intended, timeout)
}

/// One request, from connecting (when it has no connection) to its response. `written` bytes of
/// it are on the wire already.
async fn send_one(
    prepared: &Prepared,
    target: usize,
    conn: Option<Conn>,
    written: usize,
    intended: Duration,
    timeout: Duration,
) -> Completion {
    let request = &prepared.requests[target];
    let work = async {
        let mut conn = match conn {
            Some(conn) => conn,
            None => prepared.endpoints[request.endpoint].connect().await?,
        };
        let response = conn.exchange(&request.bytes[written..], request.head).await?;
        Ok::<_, NetError>((response, conn))
    };
    let (outcome, bytes_in, conn) = match tokio::time::timeout(timeout, work).await {
        Ok(Ok((response, conn))) => {
            (Outcome::Status(response.status), response.bytes_in, response.reusable.then_some(conn))
        }
        Ok(Err(error)) => (Outcome::Net(error), 0, None),
        Err(_) => (Outcome::Net(NetError::Timeout), 0, None),
    };
    Completion {
        request: Some(target),
        intended,
        done_at: Instant::now(),
        outcome,
        bytes_in,
        bytes_out: request.bytes.len() as u64,
        endpoint: request.endpoint,
        conn,
    }
}

/// Runs the plan to its end (or a stop) and returns the report.
pub(crate) async fn drive(
    plan: &Plan,
    prepared: &Prepared,
    mut hooks: RunHooks<'_>,
) -> std::io::Result<Report> {
    let stop = hooks.stop.clone().unwrap_or_default();
    let mut timer = crate::timer::SendTimer::new()?;
    // Before the clock starts, so that handshakes are not charged to the first sends.
    let idle = crate::preconnect::preconnect(plan, prepared).await;
    let mut worker = Worker::start(plan, prepared, idle, &mut hooks);
    let start = worker.start;
    let mut commands = ExecCommands::start(plan, start, worker.events(), &mut hooks);
    let mut in_flight = FuturesUnordered::new();
    let tick = sleep_until((start + Duration::from_secs(1)).into());
    tokio::pin!(tick);
    let mut tick_second = 1;
    // Created once: a Notified registered anew on every turn of the loop would cost a lock each.
    let stop_signal = stop.notified();
    tokio::pin!(stop_signal);

    loop {
        let mut now = Instant::now();
        worker.observe_stop(stop.level(), now);
        send_due(&mut worker, &mut in_flight, &mut now, |target, conn, offset| {
            start_send(prepared, target, conn, offset, plan.timeout)
        })
        .await;
        if worker.abort_due(now) && !in_flight.is_empty() {
            worker.abort_outstanding(now);
            in_flight.clear();
        }
        worker.close_seconds(now);
        if worker.load_done(now) && in_flight.is_empty() && commands.done(worker.stopped(), now) {
            break;
        }
        if tick_second != worker.current_second() + 1 {
            tick_second = worker.current_second() + 1;
            tick.as_mut().reset((start + Duration::from_secs(tick_second)).into());
        }
        // A send waiting for the window leaves when a request finishes, not at its instant,
        // unless waiting makes it later than the timeout first.
        let waiting = worker.waiting();
        let next_send = worker.next_release().filter(|_| !waiting);
        let expire_at = worker.next_expiry().filter(|_| waiting);
        let abort_at = worker.abort_at().filter(|_| !in_flight.is_empty());
        let cancel_at = commands.cancel_at().filter(|at| *at > now);
        let commands_waiting = commands.waiting();
        tokio::select! {
            biased;
            Some(first) = in_flight.next(), if !in_flight.is_empty() => {
                collect_ready(&mut worker, &mut in_flight, first);
            }
            // Re-armed after each stop so that a second one (abort now) wakes the loop too.
            _ = &mut stop_signal => stop_signal.set(stop.notified()),
            result = timer.wait_until(next_send.unwrap_or(now)), if next_send.is_some() => {
                result?;
            }
            _ = &mut tick => {}
            _ = commands.next(), if commands_waiting => {}
            _ = sleep_until(abort_at.unwrap_or(now).into()), if abort_at.is_some() => {}
            _ = sleep_until(expire_at.unwrap_or(now).into()), if expire_at.is_some() => {}
            _ = sleep_until(cancel_at.unwrap_or(now).into()), if cancel_at.is_some() => {}
        }
    }
    commands.flush_output();
    Ok(worker.finish(commands.into_results()))
}

/// Sending: starts every send that is due. When `max_in_flight` requests are outstanding, the
/// rest wait for the next turn (and are dropped once they would leave later than the timeout),
/// or with [`crate::WhenFull::Drop`] are counted dropped at once.
async fn send_due<F: Future<Output = Completion>>(
    worker: &mut Worker<'_, '_>,
    in_flight: &mut FuturesUnordered<F>,
    now: &mut Instant,
    send: impl Fn(usize, Option<Conn>, Duration) -> F,
) {
    let max_in_flight = worker.plan.max_in_flight;
    let mut refreshed = false;
    worker.observe_window(in_flight.len() >= max_in_flight, *now);
    while let Some(offset) = worker.due(*now) {
        if in_flight.len() >= max_in_flight && !refreshed {
            // Responses may already sit in socket buffers the runtime has not looked at yet
            // (say this process was descheduled for a while): let it poll for I/O once and
            // collect what has finished before counting a send as dropped.
            refreshed = true;
            tokio::task::yield_now().await;
            while let Some(Some(done)) = in_flight.next().now_or_never() {
                worker.collect(done);
            }
            *now = Instant::now();
            worker.observe_window(in_flight.len() >= max_in_flight, *now);
            continue;
        }
        let full = in_flight.len() >= max_in_flight;
        match worker.plan.when_full {
            WhenFull::Drop if full => worker.count_dropped(offset),
            WhenFull::Wait if worker.expired(offset, *now) => worker.count_dropped(offset),
            WhenFull::Wait if full => break,
            _ => {
                // Each send is counted (and its lag measured) at the instant it is written,
                // after the writes before it in the same batch.
                *now = Instant::now();
                let (target, conn) = worker.count_sent(offset, *now);
                in_flight.push(send(target, conn, offset));
                worker.observe_window(in_flight.len() >= max_in_flight, *now);
            }
        }
    }
}

/// Collecting: takes every completion that is already ready before going round the loop again.
/// It stops at [`COMPLETION_BATCH`], and as soon as a send has come due: a send waits for no
/// more than the completion it found being recorded, not for every response that is ready.
fn collect_ready<F: Future<Output = Completion>>(
    worker: &mut Worker<'_, '_>,
    in_flight: &mut FuturesUnordered<F>,
    first: Completion,
) {
    let mut next_done = Some(first);
    let mut batch = 0;
    while let Some(done) = next_done.take() {
        // The instant the request finished is as good as a clock reading, and costs none.
        let done_at = done.done_at;
        worker.collect(done);
        batch += 1;
        if batch < COMPLETION_BATCH && !worker.send_due_by(done_at) {
            next_done = in_flight.next().now_or_never().flatten();
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::future::{ready, Ready};

    use super::*;
    use crate::schedule::Schedule;

    fn finished(worker: &Worker<'_, '_>, done_at: Instant) -> Completion {
        Completion {
            request: Some(0),
            intended: Duration::ZERO,
            done_at: done_at.max(worker.start),
            outcome: Outcome::Status(200),
            bytes_in: 0,
            bytes_out: 0,
            endpoint: 0,
            conn: None,
        }
    }

    /// Collects from `ready` finished requests, each finishing at `done_at`; returns how many
    /// are left uncollected.
    fn left_after_collecting(done_at: impl Fn(Instant) -> Instant, ready_count: usize) -> usize {
        let plan = Plan::new(&["http://127.0.0.1:9/"], Schedule::parse("const(1,10s)").unwrap());
        let plan = plan.unwrap();
        let prepared = crate::prepare::prepare(&plan).unwrap();
        let mut hooks = RunHooks::default();
        let mut worker = Worker::start(&plan, &prepared, vec![Vec::new()], &mut hooks);
        let at = done_at(worker.start);
        let mut in_flight: FuturesUnordered<Ready<Completion>> =
            (0..ready_count).map(|_| ready(finished(&worker, at))).collect();
        let first = finished(&worker, at);
        collect_ready(&mut worker, &mut in_flight, first);
        in_flight.len()
    }

    #[test]
    fn a_request_on_an_idle_connection_is_written_before_its_future_is_polled() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let plan = Plan::new(&[url], Schedule::parse("const(1,1s)").unwrap()).unwrap();
        let prepared = crate::prepare::prepare(&plan).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let conn = runtime.block_on(prepared.endpoints[0].connect()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        // Only so that a failure does not hang: the bytes are there before the read starts.
        server.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _send = start_send(&prepared, 0, Some(conn), Duration::ZERO, plan.timeout);
        let expected = &prepared.requests[0].bytes;
        let mut received = vec![0; expected.len()];
        server.read_exact(&mut received).expect("the request was written");
        assert_eq!(&received, expected);
    }

    #[test]
    fn collecting_stops_for_a_send_that_has_come_due() {
        // The first send (offset 0) leaves 250 µs in; requests finishing a second in find it
        // due, and the loop goes to send it after the first of them.
        assert_eq!(left_after_collecting(|start| start + Duration::from_secs(1), 10), 10);
        // Before it is due, every ready completion is collected (up to the batch bound).
        assert_eq!(left_after_collecting(|start| start, 10), 0);
        assert_eq!(left_after_collecting(|start| start, 40), 40 + 1 - COMPLETION_BATCH);
    }
}
