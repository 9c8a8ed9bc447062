//! Per-second and whole-run accumulators behind [`SecondRecord`] and [`Report`].
//!
//! Latencies go into HDR histograms (one reused for the open second, one for the whole run), so
//! memory stays flat however long the run: no per-request samples are kept. Each keeps two: every
//! response, and OK responses alone (2xx and 3xx, the same test as `ok`), because during an
//! outage fast error responses pull the percentiles of all responses down and an outage would
//! read as an improvement.
use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::outcome::{NetError, Outcome};
use crate::report::{LatencyMs, SecondRecord};

use lameduck_core::schema::latency::{self as buckets, Buckets, MAX_MICROS, SIGNIFICANT_FIGURES};

/// Counters shared by a second and the whole run.
#[derive(Debug)]
pub(crate) struct Tally {
    pub sent: u64,
    pub completed: u64,
    pub ok: u64,
    pub failed: u64,
    pub codes: BTreeMap<u16, u64>,
    pub net: BTreeMap<String, u64>,
    pub dropped: u64,
    /// Of `sent`, the sends that waited for a free slot in the window.
    pub late: u64,
    pub latency: Histogram<u64>,
    /// Latency of the OK responses only.
    pub latency_ok: Histogram<u64>,
}

impl Tally {
    pub fn new() -> Tally {
        Tally {
            sent: 0,
            completed: 0,
            ok: 0,
            failed: 0,
            codes: BTreeMap::new(),
            net: BTreeMap::new(),
            dropped: 0,
            late: 0,
            latency: micros_histogram(),
            latency_ok: micros_histogram(),
        }
    }

    pub fn complete(&mut self, outcome: &Outcome, latency: Duration) {
        self.completed += 1;
        if outcome.is_ok() {
            self.ok += 1;
        } else {
            self.failed += 1;
        }
        match outcome {
            Outcome::Status(code) => *self.codes.entry(*code).or_default() += 1,
            Outcome::Net(error) => match self.net.get_mut(error.name().as_ref()) {
                Some(n) => *n += 1,
                None => {
                    self.net.insert(error.name().into_owned(), 1);
                }
            },
        }
        record(&mut self.latency, latency);
        if outcome.is_ok() {
            record(&mut self.latency_ok, latency);
        }
    }

    /// A request abandoned because the run was stopped: counted, but not in the latencies.
    pub fn abort(&mut self) {
        self.completed += 1;
        self.failed += 1;
        *self.net.entry(NetError::Aborted.name().into_owned()).or_default() += 1;
    }

    fn reset(&mut self) {
        self.sent = 0;
        self.completed = 0;
        self.ok = 0;
        self.failed = 0;
        self.codes.clear();
        self.net.clear();
        self.dropped = 0;
        self.late = 0;
        self.latency.reset();
        self.latency_ok.reset();
    }
}

/// An empty histogram of the layout every `*_hist_us` field has (see
/// `lameduck_core::schema::latency`).
pub(crate) fn micros_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, SIGNIFICANT_FIGURES)
        .expect("static histogram bounds are valid")
}

/// The histogram as sparse `[value_us, count]` buckets, each named by the highest value it
/// stands for.
pub(crate) fn sparse(histogram: &Histogram<u64>) -> Buckets {
    histogram.iter_recorded().map(|v| [v.value_iterated_to(), v.count_at_value()]).collect()
}

pub(crate) fn record(histogram: &mut Histogram<u64>, value: Duration) {
    let micros = (value.as_micros() as u64).clamp(1, MAX_MICROS);
    histogram.saturating_record(micros);
}

/// Read from the sparse buckets, so a merged or re-read run shows exactly these numbers.
pub(crate) fn percentiles(histogram: &Histogram<u64>) -> LatencyMs {
    buckets::percentiles(&sparse(histogram))
}

/// The second currently open; it closes when the clock passes its end.
pub(crate) struct Timeline {
    current: u64,
    open: Tally,
}

impl Timeline {
    pub fn new() -> Timeline {
        Timeline { current: 0, open: Tally::new() }
    }

    /// The tally for second `t`. Seconds already closed map to the open one: a send or
    /// completion is never lost, at worst counted a second late.
    pub fn at(&mut self, t: u64, closed: &mut impl FnMut(SecondRecord)) -> &mut Tally {
        while t > self.current {
            closed(self.close_current());
        }
        &mut self.open
    }

    /// Closes every second that ended before `elapsed`.
    pub fn close_until(&mut self, elapsed: Duration, closed: &mut impl FnMut(SecondRecord)) {
        while elapsed.as_secs() > self.current {
            closed(self.close_current());
        }
    }

    /// Closes the open second even though it has not ended (end of run).
    pub fn finish(mut self, closed: &mut impl FnMut(SecondRecord)) {
        closed(self.close_current());
    }

    /// Whether the open second has anything to report.
    pub fn has_activity(&self) -> bool {
        self.open.sent + self.open.completed + self.open.dropped > 0
    }

    /// The open second's index.
    pub fn current(&self) -> u64 {
        self.current
    }

    fn close_current(&mut self) -> SecondRecord {
        let tally = &mut self.open;
        let record = SecondRecord {
            t: self.current,
            sent: tally.sent,
            completed: tally.completed,
            ok: tally.ok,
            failed: tally.failed,
            codes: std::mem::take(&mut tally.codes),
            net: std::mem::take(&mut tally.net),
            dropped: tally.dropped,
            late: tally.late,
            latency_ms: percentiles(&tally.latency),
            latency_hist_us: sparse(&tally.latency),
            latency_ok_ms: Some(percentiles(&tally.latency_ok)),
            latency_ok_hist_us: sparse(&tally.latency_ok),
        };
        tally.reset();
        self.current += 1;
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_close_in_order_and_keep_every_count() {
        let mut closed = Vec::new();
        let mut sink = |r: SecondRecord| closed.push(r);
        let mut timeline = Timeline::new();
        timeline.at(0, &mut sink).sent += 2;
        timeline.at(0, &mut sink).complete(&Outcome::Status(200), Duration::from_millis(5));
        timeline.at(2, &mut sink).complete(&Outcome::Net(NetError::Refused), Duration::ZERO);
        // A completion for a second already closed lands in the open one.
        timeline.at(1, &mut sink).complete(&Outcome::Status(502), Duration::from_millis(7));
        timeline.close_until(Duration::from_millis(3500), &mut sink);
        timeline.finish(&mut sink);
        let ts: Vec<u64> = closed.iter().map(|r| r.t).collect();
        assert_eq!(ts, vec![0, 1, 2, 3]);
        assert_eq!(closed[0].sent, 2);
        assert_eq!(closed[0].codes.get(&200), Some(&1));
        assert!((closed[0].latency_ms.p50 - 5.0).abs() < 0.01);
        assert_eq!(closed[1].completed, 0);
        assert_eq!(closed[2].net.get("refused"), Some(&1));
        assert_eq!(closed[2].codes.get(&502), Some(&1));
        assert_eq!((closed[2].ok, closed[2].failed), (0, 2));
        assert!((closed[0].latency_ok_ms.unwrap().p50 - 5.0).abs() < 0.01);
        assert_eq!(closed[2].latency_ok_ms, Some(LatencyMs::default()), "no OK in second 2");
        assert!(closed[2].latency_ok_hist_us.is_empty());
    }

    #[test]
    fn ok_latency_leaves_out_the_fast_errors_of_an_outage() {
        let mut closed = Vec::new();
        let mut timeline = Timeline::new();
        let tally = timeline.at(0, &mut |r| closed.push(r));
        for _ in 0..9 {
            tally.complete(&Outcome::Status(502), Duration::from_micros(300));
        }
        tally.complete(&Outcome::Status(200), Duration::from_millis(80));
        tally.complete(&Outcome::Status(301), Duration::from_millis(90));
        timeline.finish(&mut |r| closed.push(r));
        let second = &closed[0];
        assert!(second.latency_ms.p50 < 1.0, "all responses: {:?}", second.latency_ms);
        let ok = second.latency_ok_ms.unwrap();
        assert!(ok.p50 >= 79.0, "OK only: {ok:?}");
        let ok_count: u64 = second.latency_ok_hist_us.iter().map(|[_, n]| n).sum();
        assert_eq!(ok_count, 2);
    }
}
