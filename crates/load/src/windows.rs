//! Failure windows: the seconds of a run that had failures (a status ≥ 500 or a network error),
//! consecutive ones merged, so that after a run one line per window says when failures started
//! and stopped and what they were: `8.0–11.9 s: 502 × 224, refused × 3`.
use std::collections::BTreeMap;
use std::fmt::Write;

use crate::report::Report;

/// Failures by outcome name: an HTTP status (`502`) or a network outcome (`refused`).
pub type FailureCounts = BTreeMap<String, u64>;

/// Consecutive seconds with failures, `first_s` to `last_s` inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureWindow {
    pub first_s: u64,
    pub last_s: u64,
    pub counts: FailureCounts,
}

/// Merges seconds (`t`, failures) given in order into windows: a second without failures, or
/// a missing second, ends a window.
pub fn failure_windows<'a>(
    seconds: impl IntoIterator<Item = (u64, &'a FailureCounts)>,
) -> Vec<FailureWindow> {
    let mut windows: Vec<FailureWindow> = Vec::new();
    for (t, counts) in seconds {
        if counts.values().all(|n| *n == 0) {
            continue;
        }
        let window = match windows.last_mut() {
            Some(last) if last.last_s + 1 == t => last,
            _ => {
                windows.push(FailureWindow { first_s: t, last_s: t, counts: BTreeMap::new() });
                windows.last_mut().expect("just pushed")
            }
        };
        window.last_s = t;
        for (name, n) in counts {
            *window.counts.entry(name.clone()).or_default() += n;
        }
    }
    windows
}

/// `502 × 224, refused × 3`
pub fn describe_counts(counts: &FailureCounts) -> String {
    let mut text = String::new();
    for (name, n) in counts.iter().filter(|(_, n)| **n > 0) {
        let separator = if text.is_empty() { "" } else { ", " };
        let _ = write!(text, "{separator}{name} × {n}");
    }
    text
}

/// `8.0–11.9 s: 502 × 224, refused × 3` (second 11 lasts until 11.9… s).
pub fn describe_window(window: &FailureWindow) -> String {
    format!("{}.0–{}.9 s: {}", window.first_s, window.last_s, describe_counts(&window.counts))
}

/// The summary printed at the end of a run: a heading and one line per window, or
/// `failure windows: no failures`.
pub fn summary(windows: &[FailureWindow]) -> String {
    if windows.is_empty() {
        return "failure windows: no failures".into();
    }
    let mut text = String::from("failure windows:");
    for window in windows {
        let _ = write!(text, "\n  {}", describe_window(window));
    }
    text
}

/// The failure windows of a run's report; a report without seconds has no failures.
pub fn summary_of_report(report: &Report) -> String {
    let failures: Vec<(u64, FailureCounts)> =
        report.seconds.iter().map(|s| (s.t, s.failures())).collect();
    summary(&failure_windows(failures.iter().map(|(t, counts)| (*t, counts))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> FailureCounts {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    fn windows(seconds: &[(u64, FailureCounts)]) -> Vec<FailureWindow> {
        failure_windows(seconds.iter().map(|(t, c)| (*t, c)))
    }

    #[test]
    fn consecutive_failing_seconds_merge_and_a_clean_second_splits() {
        let seconds = vec![
            (7, counts(&[])),
            (8, counts(&[("502", 50)])),
            (9, counts(&[("502", 100), ("refused", 2)])),
            (10, counts(&[("502", 74), ("refused", 1)])),
            (11, counts(&[])),
            (12, counts(&[("reset", 1)])),
        ];
        let found = windows(&seconds);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(describe_window(&found[0]), "8.0–10.9 s: 502 × 224, refused × 3");
        assert_eq!(describe_window(&found[1]), "12.0–12.9 s: reset × 1");
        assert_eq!(
            summary(&found),
            "failure windows:\n  8.0–10.9 s: 502 × 224, refused × 3\n  12.0–12.9 s: reset × 1"
        );
    }

    #[test]
    fn a_missing_second_splits_and_zero_counts_are_no_failure() {
        let seconds = vec![
            (3, counts(&[("503", 1)])),
            (5, counts(&[("503", 2)])),
            (6, counts(&[("503", 0)])),
        ];
        let found = windows(&seconds);
        assert_eq!(
            found.iter().map(|w| (w.first_s, w.last_s)).collect::<Vec<_>>(),
            [(3, 3), (5, 5)]
        );
        assert_eq!(summary(&windows(&[(0, counts(&[]))])), "failure windows: no failures");
    }

    #[test]
    fn summary_of_a_report() {
        let second = |t, codes: &[(u16, u64)]| crate::SecondRecord {
            t,
            codes: codes.iter().copied().collect(),
            ..crate::SecondRecord::default()
        };
        let report = Report {
            seconds: vec![
                second(0, &[(200, 10)]),
                second(1, &[(200, 5), (502, 5)]),
                second(2, &[]),
            ],
            ..Report::default()
        };
        assert_eq!(summary_of_report(&report), "failure windows:\n  1.0–1.9 s: 502 × 5");
        assert_eq!(summary_of_report(&Report::default()), "failure windows: no failures");
    }
}
