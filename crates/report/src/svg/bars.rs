//! Per-second records turned into chart bars: gaps filled, long runs downsampled by merging
//! adjacent seconds, and each bar's outcome counts stacked.
use crate::outcome::{add_counts, Kind, KindCounts};
use lameduck_core::schema::{LatencyMs, SecondRecord};

/// The most bars a chart draws: one per second up to an hour, merged seconds beyond.
pub const MAX_BARS: usize = 3600;

/// One bar: the seconds `[t0, t1)` of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub t0: u64,
    pub t1: u64,
    /// Total per outcome kind over the bar's seconds.
    pub counts: KindCounts,
    pub completed: u64,
    /// p50 and p90 are the completion-weighted means of the merged seconds'; p99 and max the
    /// largest, so merging never hides a spike.
    pub latency: LatencyMs,
    /// The OK responses' latency, merged the same way (weighted by OK responses); `None` when
    /// the bar has none, or when a file older than timeline schema 2 mixes them with failed
    /// responses (see `ok_unknown`).
    pub ok_latency: Option<LatencyMs>,
    /// LatencyMs of the failed responses that have one (error statuses, network errors), when
    /// the file records it.
    pub failed_latency: Option<LatencyMs>,
    /// A second of the bar had OK and failed responses but no separate OK latency (an older
    /// file): only the mixed `latency` is known there.
    pub ok_unknown: bool,
}

/// Percentiles of several seconds merged into one bar: p50 and p90 weighted means, p99 and
/// max the largest.
#[derive(Default)]
struct Blend {
    p50: f64,
    p90: f64,
    weight: u64,
    latency: LatencyMs,
}

impl Blend {
    fn add(&mut self, latency: LatencyMs, weight: u64) {
        if weight == 0 {
            return;
        }
        self.p50 += latency.p50 * weight as f64;
        self.p90 += latency.p90 * weight as f64;
        self.weight += weight;
        self.latency.p99 = self.latency.p99.max(latency.p99);
        self.latency.max = self.latency.max.max(latency.max);
    }

    fn finish(self) -> Option<LatencyMs> {
        (self.weight > 0).then(|| LatencyMs {
            p50: self.p50 / self.weight as f64,
            p90: self.p90 / self.weight as f64,
            ..self.latency
        })
    }
}

impl Bar {
    /// Seconds the bar covers.
    pub fn width(&self) -> u64 {
        self.t1 - self.t0
    }

    /// Average per second of `kind` over the bar: what the y axis (requests/s) shows.
    pub fn rate(&self, kind: Kind) -> f64 {
        self.counts[kind.index()] as f64 / self.width() as f64
    }

    pub fn failures(&self) -> u64 {
        Kind::ALL.iter().filter(|k| k.is_failure()).map(|k| self.counts[k.index()]).sum()
    }

    /// Requests/s of all kinds together: the height of the stack.
    pub fn total_rate(&self) -> f64 {
        self.counts.iter().sum::<u64>() as f64 / self.width() as f64
    }
}

/// Bars for `seconds` (in any order, possibly with gaps, which become empty seconds), at
/// most `max_bars` of them: `k` adjacent seconds are merged when there are more, with `k` the
/// smallest factor that fits.
pub fn bars(seconds: &[SecondRecord], max_bars: usize) -> Vec<Bar> {
    let Some(end) = seconds.iter().map(|s| s.t.saturating_add(1)).max() else {
        return Vec::new();
    };
    let span = end as usize;
    let per_bar = span.div_ceil(max_bars.max(1)).max(1) as u64;
    let count = span.div_ceil(per_bar as usize);
    let mut out: Vec<Bar> = (0..count as u64)
        .map(|i| Bar {
            t0: i.saturating_mul(per_bar),
            t1: (i + 1).saturating_mul(per_bar).min(end),
            counts: [0; Kind::COUNT],
            completed: 0,
            latency: LatencyMs::default(),
            ok_latency: None,
            failed_latency: None,
            ok_unknown: false,
        })
        .collect();
    // (every response, OK responses, failed responses) per bar, finished at the end.
    let mut blends: Vec<[Blend; 3]> = (0..count).map(|_| Default::default()).collect();
    for s in seconds {
        let i = ((s.t / per_bar) as usize).min(count - 1);
        let bar = &mut out[i];
        let mut counts = [0; Kind::COUNT];
        add_counts(&mut counts, &s.codes, &s.net, s.dropped);
        let failed: u64 =
            Kind::ALL.iter().filter(|k| k.is_failure()).map(|k| counts[k.index()]).sum();
        let ok = counts[Kind::Http2xx.index()] + counts[Kind::Http3xx.index()];
        for (total, n) in bar.counts.iter_mut().zip(counts) {
            *total += n;
        }
        let done = s.completed.max(s.codes.values().sum::<u64>() + s.net.values().sum::<u64>());
        let [all, ok_blend, failed_blend] = &mut blends[i];
        all.add(s.latency_ms, done);
        match (s.latency_ok_ms, failed) {
            (Some(latency), _) => ok_blend.add(latency, ok),
            // Before timeline schema 2: every response's latency is the OK responses' only
            // when none failed.
            (None, 0) => ok_blend.add(s.latency_ms, done),
            (None, _) => bar.ok_unknown |= ok > 0,
        }
        if let Some(latency) = s.failed_latency() {
            failed_blend.add(latency, failed);
        }
        bar.completed += done;
    }
    for (bar, [all, ok, failed]) in out.iter_mut().zip(blends) {
        bar.latency = all.finish().unwrap_or_default();
        bar.ok_latency = if bar.ok_unknown { None } else { ok.finish() };
        bar.failed_latency = failed.finish();
    }
    out
}

/// One stacked segment of a bar, in requests/s: `kind` spans `[low, high)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub kind: Kind,
    pub low: f64,
    pub high: f64,
}

/// The bar's nonzero kinds stacked bottom-up in [`Kind::ALL`] order.
pub fn stack(bar: &Bar) -> Vec<Segment> {
    let mut low = 0.0;
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let rate = bar.rate(kind);
        if rate > 0.0 {
            out.push(Segment { kind, low, high: low + rate });
            low += rate;
        }
    }
    out
}

/// Total per kind over all bars; the legend lists exactly the kinds with a nonzero total.
pub fn totals(bars: &[Bar]) -> KindCounts {
    let mut out = [0; Kind::COUNT];
    for bar in bars {
        for (total, n) in out.iter_mut().zip(bar.counts) {
            *total += n;
        }
    }
    out
}

/// Runs of consecutive bars with failures, as `[t0, t1)` second ranges.
pub fn failure_spans(bars: &[Bar]) -> Vec<(u64, u64)> {
    let mut spans: Vec<(u64, u64)> = Vec::new();
    for bar in bars.iter().filter(|b| b.failures() > 0) {
        match spans.last_mut() {
            Some(last) if last.1 == bar.t0 => last.1 = bar.t1,
            _ => spans.push((bar.t0, bar.t1)),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(
        t: u64,
        codes: &[(&str, u64)],
        net: &[(&str, u64)],
        p50: f64,
        max: f64,
    ) -> SecondRecord {
        let codes = codes.iter().map(|(k, v)| (k.parse().expect("a status"), *v)).collect();
        let net: std::collections::BTreeMap<String, u64> =
            net.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let mut s = SecondRecord { t, codes, net, ..SecondRecord::default() };
        s.completed = s.codes.values().sum::<u64>() + s.net.values().sum::<u64>();
        s.latency_ms = LatencyMs { p50, p90: p50 * 2.0, p99: max, max };
        s
    }

    #[test]
    fn an_empty_run_has_no_bars() {
        let bars = bars(&[], MAX_BARS);
        assert!(bars.is_empty());
        assert_eq!(totals(&bars), [0; Kind::COUNT]);
        assert!(failure_spans(&bars).is_empty());
    }

    #[test]
    fn stacking_puts_kinds_in_order_without_gaps() {
        let s = second(0, &[("200", 90), ("502", 6)], &[("refused", 4)], 2.0, 9.0);
        let bars = bars(&[s], MAX_BARS);
        let segments = stack(&bars[0]);
        let kinds: Vec<Kind> = segments.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, vec![Kind::Http2xx, Kind::Http502, Kind::Refused]);
        assert_eq!(segments[0].low, 0.0);
        for pair in segments.windows(2) {
            assert_eq!(pair[0].high, pair[1].low);
        }
        assert_eq!(segments.last().unwrap().high, 100.0);
        assert_eq!(bars[0].total_rate(), 100.0);
    }

    #[test]
    fn gaps_become_empty_seconds() {
        let bars =
            bars(&[second(0, &[("200", 1)], &[], 1.0, 1.0), second(3, &[], &[], 0.0, 0.0)], 10);
        assert_eq!(bars.len(), 4);
        assert_eq!(bars[1].counts, [0; Kind::COUNT]);
        assert_eq!((bars[3].t0, bars[3].t1), (3, 4));
    }

    #[test]
    fn an_hour_is_at_most_max_bars_and_longer_runs_merge_seconds() {
        let hour: Vec<SecondRecord> =
            (0..3600).map(|t| second(t, &[("200", 10)], &[], 1.0, 2.0)).collect();
        let one_per_second = bars(&hour, MAX_BARS);
        assert_eq!(one_per_second.len(), 3600);
        assert!(one_per_second.iter().all(|b| b.width() == 1));

        let longer: Vec<SecondRecord> =
            (0..3601).map(|t| second(t, &[("200", 10)], &[], t as f64, 2.0 * t as f64)).collect();
        let merged = bars(&longer, MAX_BARS);
        assert!(merged.len() <= MAX_BARS, "{} bars", merged.len());
        assert_eq!(merged.len(), 1801);
        assert_eq!((merged[0].t0, merged[0].t1), (0, 2));
        // The rate stays per second, so the y axis means the same at every zoom.
        assert_eq!(merged[0].rate(Kind::Http2xx), 10.0);
        // The last bar covers only the one second left.
        assert_eq!((merged[1800].t0, merged[1800].t1), (3600, 3601));
        assert_eq!(merged[1800].rate(Kind::Http2xx), 10.0);
        // Means for p50, maxima for max.
        assert_eq!(merged[1].latency.p50, 2.5);
        assert_eq!(merged[1].latency.max, 6.0);
        let all: u64 = totals(&merged).iter().sum();
        assert_eq!(all, 36_010);
    }

    #[test]
    fn a_single_failure_in_a_long_run_survives_merging() {
        let mut seconds: Vec<SecondRecord> =
            (0..10_000).map(|t| second(t, &[("200", 100)], &[], 1.0, 1.0)).collect();
        seconds[7777].codes.insert(504, 1);
        let bars = bars(&seconds, MAX_BARS);
        assert!(bars.len() <= MAX_BARS);
        assert_eq!(totals(&bars)[Kind::Http504.index()], 1);
        let spans = failure_spans(&bars);
        assert_eq!(spans.len(), 1);
        assert!(spans[0].0 <= 7777 && 7777 < spans[0].1);
    }

    #[test]
    fn absurd_second_numbers_do_not_overflow() {
        let bars = bars(
            &[
                second(0, &[("200", 1)], &[], 1.0, 1.0),
                second(u64::MAX, &[("502", 1)], &[], 1.0, 1.0),
            ],
            MAX_BARS,
        );
        assert!(bars.len() <= MAX_BARS);
        assert_eq!(totals(&bars).iter().sum::<u64>(), 2);
    }

    #[test]
    fn failure_spans_join_adjacent_bars() {
        let seconds = vec![
            second(0, &[("200", 5)], &[], 1.0, 1.0),
            second(1, &[("502", 1)], &[], 1.0, 1.0),
            second(2, &[], &[("reset", 1)], 1.0, 1.0),
            second(3, &[("200", 5)], &[], 1.0, 1.0),
            second(4, &[("404", 1)], &[], 1.0, 1.0),
        ];
        assert_eq!(failure_spans(&bars(&seconds, MAX_BARS)), vec![(1, 3), (4, 5)]);
    }
}
