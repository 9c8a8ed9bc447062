//! Latency histograms shared by the load engine and the reports: one configuration, one way
//! to read percentiles from it, and a sparse form for the timeline that merges exactly.
//!
//! Each closed second carries its histogram as `[[value_us, count], ...]`: every bucket that
//! holds a latency, named by the highest value it stands for. Recording those values back into
//! a histogram of the same configuration fills the very same buckets, so histograms of several
//! runs (the shards of `lameduck load --shard`) add up to exactly the histogram one run would
//! have had, at the histogram's precision (3 significant digits).
use hdrhistogram::Histogram;

use crate::model::Latency;

/// Highest latency the histograms resolve, in microseconds (one hour); longer values are
/// recorded as this maximum.
pub const MAX_MICROS: u64 = 3_600_000_000;

/// An empty latency histogram in microseconds.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("static histogram bounds are valid")
}

/// p50, p90, p99 and max in milliseconds (zero when empty).
pub fn percentiles(histogram: &Histogram<u64>) -> Latency {
    if histogram.is_empty() {
        return Latency::default();
    }
    let ms = |micros: u64| micros as f64 / 1000.0;
    Latency {
        p50: ms(histogram.value_at_quantile(0.50)),
        p90: ms(histogram.value_at_quantile(0.90)),
        p99: ms(histogram.value_at_quantile(0.99)),
        max: ms(histogram.max()),
    }
}

/// The sparse form: `[value_us, count]` for every bucket that holds a latency.
pub fn buckets(histogram: &Histogram<u64>) -> Vec<[u64; 2]> {
    histogram.iter_recorded().map(|v| [v.value_iterated_to(), v.count_at_value()]).collect()
}

/// Adds buckets in the sparse form to `histogram`.
pub fn add_buckets(histogram: &mut Histogram<u64>, buckets: &[[u64; 2]]) {
    for [value, count] in buckets {
        histogram.saturating_record_n((*value).clamp(1, MAX_MICROS), *count);
    }
}

/// The histogram of `all` less the buckets of `part` (a subset of the same latencies, such as
/// the OK responses among all of them): what remains, exactly, bucket by bucket.
pub fn difference(all: &[[u64; 2]], part: &[[u64; 2]]) -> Histogram<u64> {
    let mut remaining = histogram();
    add_buckets(&mut remaining, all);
    let mut subtracted = histogram();
    add_buckets(&mut subtracted, part);
    if remaining.subtract(&subtracted).is_err() {
        // `part` was not a subset (a hand-edited file): no honest difference exists.
        remaining.reset();
    }
    remaining
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip_and_merge_exactly() {
        let (mut whole, mut even, mut odd) = (histogram(), histogram(), histogram());
        for n in 1..5000u64 {
            let micros = n * n % 977_777 + 1;
            whole.record(micros).unwrap();
            let half = if n % 2 == 0 { &mut even } else { &mut odd };
            half.record(micros).unwrap();
        }
        let mut merged = histogram();
        add_buckets(&mut merged, &buckets(&even));
        add_buckets(&mut merged, &buckets(&odd));
        assert_eq!(buckets(&merged), buckets(&whole));
        assert_eq!(percentiles(&merged), percentiles(&whole));
        assert_eq!(merged.len(), 4999);
    }

    #[test]
    fn the_difference_is_what_the_part_left_out() {
        let (mut all, mut ok, mut failed) = (histogram(), histogram(), histogram());
        for n in 1..2000u64 {
            let micros = n * 7919 % 500_000 + 1;
            all.record(micros).unwrap();
            let into = if n % 3 == 0 { &mut failed } else { &mut ok };
            into.record(micros).unwrap();
        }
        let rest = difference(&buckets(&all), &buckets(&ok));
        assert_eq!(buckets(&rest), buckets(&failed));
        assert!(difference(&buckets(&ok), &buckets(&all)).is_empty(), "not a subset");
    }
}
