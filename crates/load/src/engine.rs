//! The worker loop: one task on a single-threaded runtime takes send instants from the
//! schedule, starts each request at its instant (or counts it `dropped` when `max_in_flight`
//! requests are outstanding), collects completions, and closes seconds as the clock passes.
//!
//! Requests are futures in one `FuturesUnordered`, not spawned tasks, so the loop owns every
//! counter and connection without locks, and a completion is recorded the moment it is polled.
//! With keep-alive, the idle pool starts out holding the connections [`crate::preconnect`]
//! opened before t=0.
use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use tokio::time::sleep_until;

use crate::client::Conn;
use crate::exec::run_exec_at;
use crate::hooks::{RequestRecord, RunHooks};
use crate::outcome::{NetError, Outcome};
use crate::prepare::Prepared;
use crate::report::{EventKind, Report, SecondRecord, TIMELINE_SCHEMA_VERSION};
use crate::target::Target;
use crate::timeline::{micros_histogram, percentiles, record, Tally, Timeline};
use crate::Plan;

/// How long outstanding requests get to finish after the first stop request.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Most completions recorded in one turn of the loop.
const COMPLETION_BATCH: usize = 32;

/// One finished request, as the loop receives it.
struct Completion {
    intended: Duration,
    done_at: Instant,
    outcome: Outcome,
    bytes_in: u64,
    bytes_out: u64,
    endpoint: usize,
    conn: Option<Conn>,
}

async fn send_one(
    prepared: &Prepared,
    target: usize,
    conn: Option<Conn>,
    intended: Duration,
    timeout: Duration,
) -> Completion {
    let request = &prepared.requests[target];
    let work = async {
        let mut conn = match conn {
            Some(conn) => conn,
            None => prepared.endpoints[request.endpoint].connect().await?,
        };
        let response = conn.exchange(&request.bytes, request.head).await?;
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
        intended,
        done_at: Instant::now(),
        outcome,
        bytes_in,
        bytes_out: request.bytes.len() as u64,
        endpoint: request.endpoint,
        conn,
    }
}

pub(crate) async fn drive(
    plan: &Plan,
    prepared: &Prepared,
    mut hooks: RunHooks<'_>,
) -> std::io::Result<Report> {
    let events = hooks.events.clone().unwrap_or_default();
    let stop = hooks.stop.clone().unwrap_or_default();
    let mut timer = crate::timer::SendTimer::new()?;
    let (cancel_exec, exec_cancelled) = tokio::sync::watch::channel(false);
    // Before the clock starts, so that handshakes are not charged to the first sends.
    let mut idle = crate::preconnect::preconnect(plan, prepared).await;

    let started_unix_ms =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_millis();
    let start = Instant::now();
    events.set_start(start);
    if let Some(on_start) = hooks.on_start.take() {
        on_start(start);
    }

    let mut on_exec_output = hooks.on_exec_output.take();
    // Bounded: a command printing faster than the loop passes its lines on waits for it.
    let (output_sender, mut exec_output) = tokio::sync::mpsc::channel(64);
    let mut exec: FuturesUnordered<_> = plan
        .exec_at
        .iter()
        .enumerate()
        .map(|(index, e)| {
            let output = on_exec_output.is_some().then(|| output_sender.clone());
            run_exec_at(start, e, &events, exec_cancelled.clone(), output)
                .map(move |result| (index, result))
        })
        .collect();
    drop(output_sender);
    let mut exec_results = vec![None; plan.exec_at.len()];
    let mut in_flight = FuturesUnordered::new();
    // Scheduled offsets of the requests in flight, so that requests abandoned by a stop still
    // get their line in `--raw` (a multiset: several sends may share an offset).
    let mut outstanding: BTreeMap<Duration, u32> = BTreeMap::new();
    let mut offsets = plan.send_offsets();
    let mut next_send = offsets.next();
    let schedule_end = start + plan.schedule.duration();

    let mut seconds: Vec<SecondRecord> = Vec::new();
    let mut events_seen = 0;
    let mut on_second = hooks.on_second.take();
    let mut on_event = hooks.on_event.take();
    let mut emit = |second: SecondRecord| {
        if let Some(on_event) = on_event.as_mut() {
            let (new, seen) = events.since(events_seen);
            events_seen = seen;
            new.iter().for_each(on_event);
        }
        if let Some(on_second) = on_second.as_mut() {
            on_second(&second);
        }
        seconds.push(second);
    };
    let mut timeline = Timeline::new();
    let mut totals = Tally::new();
    let mut send_lag = micros_histogram();
    let mut round_robin = 0;

    let mut stop_level = 0;
    let mut stopped_at: Option<Instant> = None;
    let mut abort_at: Option<Instant> = None;
    let mut exec_cancel_at: Option<Instant> = None;
    let tick = sleep_until((start + Duration::from_secs(1)).into());
    tokio::pin!(tick);
    let mut tick_second = 1;
    // Created once: a Notified registered anew on every turn of the loop would cost a lock each.
    let stop_signal = stop.notified();
    tokio::pin!(stop_signal);

    // Records one finished request: counts, latency, hooks, and its connection back to the
    // idle pool. A macro rather than a closure because it touches most of the loop's state.
    macro_rules! record_completion {
        ($done:expr) => {{
            let done: Completion = $done;
            if let Some(count) = outstanding.get_mut(&done.intended) {
                *count -= 1;
                if *count == 0 {
                    outstanding.remove(&done.intended);
                }
            }
            let latency = done.done_at.saturating_duration_since(start + done.intended);
            let second = (done.done_at - start).as_secs();
            timeline.at(second, &mut emit).complete(&done.outcome, latency);
            totals.complete(&done.outcome, latency);
            if let Some(on_request) = hooks.on_request.as_mut() {
                on_request(&RequestRecord {
                    intended: done.intended,
                    latency,
                    outcome: &done.outcome,
                    bytes_out: done.bytes_out,
                    bytes_in: done.bytes_in,
                });
            }
            if let (Some(conn), true, 0) = (done.conn, plan.keepalive, stop_level) {
                idle[done.endpoint].push(conn);
            }
        }};
    }

    loop {
        let mut now = Instant::now();
        let level = stop.level();
        if level > stop_level {
            if stop_level == 0 {
                events.record(EventKind::Stop, "stop requested");
                stopped_at = Some(now);
                abort_at = Some(now + DRAIN_GRACE);
            }
            if level > 1 {
                abort_at = Some(now);
            }
            stop_level = level;
            next_send = None;
        }

        let mut refreshed = false;
        while let Some(offset) = next_send {
            let due = start + offset;
            if due > now {
                break;
            }
            if in_flight.len() >= plan.max_in_flight && !refreshed {
                // Responses may already sit in socket buffers the runtime has not looked at yet
                // (say this process was descheduled for a while): let it poll for I/O once and
                // collect what has finished before counting a send as dropped.
                refreshed = true;
                tokio::task::yield_now().await;
                while let Some(Some(done)) = in_flight.next().now_or_never() {
                    record_completion!(done);
                }
                now = Instant::now();
                continue;
            }
            let tally = timeline.at(offset.as_secs(), &mut emit);
            if in_flight.len() >= plan.max_in_flight {
                tally.dropped += 1;
                totals.dropped += 1;
            } else {
                tally.sent += 1;
                totals.sent += 1;
                record(&mut send_lag, now - due);
                let target = round_robin;
                round_robin = (round_robin + 1) % prepared.requests.len();
                let conn = idle[prepared.requests[target].endpoint].pop();
                in_flight.push(send_one(prepared, target, conn, offset, plan.timeout));
                *outstanding.entry(offset).or_default() += 1;
            }
            next_send = offsets.next();
        }

        if abort_at.is_some_and(|at| now >= at) && !in_flight.is_empty() {
            let tally = timeline.at((now - start).as_secs(), &mut emit);
            let aborted = Outcome::Net(NetError::Aborted);
            for (intended, count) in std::mem::take(&mut outstanding) {
                for _ in 0..count {
                    tally.abort();
                    totals.abort();
                    if let Some(on_request) = hooks.on_request.as_mut() {
                        on_request(&RequestRecord {
                            intended,
                            latency: now.saturating_duration_since(start + intended),
                            outcome: &aborted,
                            bytes_out: 0,
                            bytes_in: 0,
                        });
                    }
                }
            }
            in_flight.clear();
        }
        timeline.close_until(now - start, &mut emit);

        let load_done =
            next_send.is_none() && (stop_level > 0 || now >= schedule_end) && in_flight.is_empty();
        if load_done {
            if exec.is_empty() {
                break;
            }
            let cancel_at = *exec_cancel_at.get_or_insert(if stop_level > 0 {
                now
            } else {
                now + plan.timeout
            });
            if now >= cancel_at {
                let _ = cancel_exec.send(true);
            }
        }
        if tick_second != timeline.current() + 1 {
            tick_second = timeline.current() + 1;
            tick.as_mut().reset((start + Duration::from_secs(tick_second)).into());
        }

        tokio::select! {
            biased;
            Some(first) = in_flight.next(), if !in_flight.is_empty() => {
                // Take every completion that is already ready before going round the loop
                // again (bounded, so due sends are not held up behind a long batch).
                let mut next_done = Some(first);
                let mut batch = 0;
                while let Some(done) = next_done.take() {
                    record_completion!(done);
                    batch += 1;
                    if batch < COMPLETION_BATCH {
                        next_done = in_flight.next().now_or_never().flatten();
                    }
                }
            }
            // Re-armed after each stop so that a second one (abort now) wakes the loop too.
            _ = &mut stop_signal => stop_signal.set(stop.notified()),
            result = timer.wait_until(start + next_send.unwrap_or_default()), if next_send.is_some() => {
                result?;
            }
            _ = &mut tick => {}
            Some((index, result)) = exec.next(), if !exec.is_empty() => exec_results[index] = Some(result),
            Some(line) = exec_output.recv(), if on_exec_output.is_some() => {
                if let Some(on_exec_output) = on_exec_output.as_mut() {
                    on_exec_output(&line);
                }
            }
            _ = sleep_until(abort_at.unwrap_or(now).into()), if abort_at.is_some() && !in_flight.is_empty() => {}
            _ = sleep_until(exec_cancel_at.unwrap_or(now).into()), if exec_cancel_at.is_some_and(|at| at > now) => {}
        }
    }

    let end = Instant::now();
    if let Some(on_exec_output) = on_exec_output.as_mut() {
        while let Ok(line) = exec_output.try_recv() {
            on_exec_output(&line);
        }
    }
    timeline.close_until(end - start, &mut emit);
    if timeline.has_activity() || timeline.current() == 0 {
        timeline.finish(&mut emit);
    }
    // Events after the last second closed still reach the streaming callback.
    if let Some(on_event) = on_event.as_mut() {
        events.since(events_seen).0.iter().for_each(on_event);
    }

    let sending_time = match stopped_at {
        Some(at) => at.min(schedule_end) - start,
        None => plan.schedule.duration(),
    };
    Ok(Report {
        schema_version: TIMELINE_SCHEMA_VERSION,
        schedule: plan.schedule.to_string(),
        targets: plan.targets.iter().map(Target::url).collect(),
        shard: plan.shard.map(|s| s.to_string()),
        started_unix_ms: started_unix_ms as u64,
        duration_s: (end - start).as_secs_f64(),
        stopped_early: stop_level > 0,
        requests: totals.completed,
        ok: totals.ok,
        failed: totals.failed,
        codes: totals.codes.clone(),
        net: totals.net.clone(),
        dropped: totals.dropped,
        rps: lameduck_core::schema::achieved_rate(totals.sent, sending_time.as_secs_f64()),
        latency_ms: percentiles(&totals.latency),
        latency_ok_ms: Some(percentiles(&totals.latency_ok)),
        send_lag_ms: percentiles(&send_lag),
        seconds,
        events: events.snapshot(),
        exec: exec_results.into_iter().flatten().collect(),
        ..Report::default()
    })
}
