//! Latency percentiles and the sparse histograms they come from.
//!
//! A histogram travels as `[[value_us, count], ...]`: each non-empty bucket of an HDR histogram
//! (1 µs to one hour, three significant figures), named by the highest value it stands for.
//! Histograms of the same layout merge exactly by adding counts per bucket, and the
//! percentiles read from the buckets are exactly what the HDR histogram itself answers, so a
//! merged or re-read run shows the numbers of the live one. The recording side (the HDR
//! histogram) lives in `load`; this module needs no histogram library.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The highest latency a histogram records, in microseconds (one hour); longer ones count as
/// this.
pub const MAX_MICROS: u64 = 3_600_000_000;
/// The HDR histograms' precision: three significant figures.
pub const SIGNIFICANT_FIGURES: u8 = 3;

/// A sparse histogram: `[value_us, count]` per non-empty bucket, in increasing value.
pub type Buckets = Vec<[u64; 2]>;

/// Latency percentiles in milliseconds (microsecond precision), measured from the *intended*
/// send time so a slow server cannot hide its delay by slowing the sender.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LatencyMs {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// p50, p90, p99 and max of a sparse histogram; zeros when it is empty. The same answer as
/// the HDR histogram's `value_at_quantile`: the first bucket whose running count reaches
/// `ceil(q × total)` (at least 1).
pub fn percentiles(buckets: &[[u64; 2]]) -> LatencyMs {
    let total: u64 = buckets.iter().map(|[_, n]| n).sum();
    if total == 0 {
        return LatencyMs::default();
    }
    let at = |quantile: f64| {
        let wanted = ((quantile * total as f64).ceil() as u64).max(1);
        let mut running = 0;
        for [value, count] in buckets {
            running += count;
            if running >= wanted {
                return *value as f64 / 1000.0;
            }
        }
        0.0
    };
    let max = buckets.iter().rev().find(|[_, n]| *n > 0).map_or(0, |[v, _]| *v);
    LatencyMs { p50: at(0.50), p90: at(0.90), p99: at(0.99), max: max as f64 / 1000.0 }
}

/// Adds `more` into `into`, bucket by bucket.
pub fn add(into: &mut BTreeMap<u64, u64>, more: &[[u64; 2]]) {
    for [value, count] in more {
        *into.entry((*value).clamp(1, MAX_MICROS)).or_default() += count;
    }
}

/// The buckets of a map built with [`add`], empty ones left out.
pub fn to_buckets(counts: &BTreeMap<u64, u64>) -> Buckets {
    counts.iter().filter(|(_, n)| **n > 0).map(|(v, n)| [*v, *n]).collect()
}

/// The buckets of `all` less those of `part` (e.g. every response less the OK ones: the failed
/// ones). Empty when `part` is not contained in `all`, as from files that do not belong
/// together.
pub fn difference(all: &[[u64; 2]], part: &[[u64; 2]]) -> Buckets {
    let mut remaining = BTreeMap::new();
    add(&mut remaining, all);
    for [value, count] in part {
        match remaining.get_mut(&(*value).clamp(1, MAX_MICROS)) {
            Some(n) if *n >= *count => *n -= count,
            _ if *count == 0 => {}
            _ => return Buckets::new(),
        }
    }
    to_buckets(&remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_walk_the_running_count() {
        let buckets = [[1000, 50], [2000, 40], [9000, 9], [50_000, 1]];
        let l = percentiles(&buckets);
        assert_eq!((l.p50, l.p90, l.p99, l.max), (1.0, 2.0, 9.0, 50.0));
        assert_eq!(percentiles(&[]), LatencyMs::default());
        assert_eq!(percentiles(&[[7, 1]]).p50, 0.007);
    }

    #[test]
    fn the_difference_is_what_the_part_left_out() {
        let all = [[10, 3], [20, 2], [30, 1]];
        assert_eq!(difference(&all, &[[10, 1], [30, 1]]), vec![[10, 2], [20, 2]]);
        assert!(difference(&all, &[[40, 1]]).is_empty(), "not a subset");
        assert!(difference(&all, &[[10, 4]]).is_empty(), "more than there is");
    }
}
