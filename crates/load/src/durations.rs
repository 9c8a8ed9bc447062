//! Durations as the schedule, `--timeout`, `--exec-at` and thresholds write them: the grammar
//! every lameduck command shares ([`lameduck_core::duration`]: `30`, `30s`, `250ms`, `5m`,
//! `1h2m3s`, `1.5s`, `100us`), bounded by ten years.
use std::time::Duration;

use lameduck_core::duration::{self, TEN_YEARS};

/// Longest duration accepted anywhere (and longest schedule): ten years is far beyond any load
/// run, and keeps every later sum of durations and instants far from overflowing.
pub const MAX_DURATION: Duration = TEN_YEARS.max;
/// [`MAX_DURATION`] in words, for messages.
pub const MAX_DURATION_TEXT: &str = TEN_YEARS.text;

/// Parses a duration of at most [`MAX_DURATION`]; the error says what was expected.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    duration::parse_within(text, TEN_YEARS).map_err(|e| e.to_string())
}

/// Formats a duration compactly for messages: `1500ms`, `30s`, `2m5s`.
pub fn format_duration(duration: Duration) -> String {
    duration::compact(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_documented_form() {
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h2m3s").unwrap(), Duration::from_secs(3723));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("0.5").unwrap(), Duration::from_millis(500));
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        for bad in ["", "s", "5x", "-3", "1h2", "abc", "5 m"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(parse_duration("5x").unwrap_err().contains("unknown unit `x`"));
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,20}") {
            let _ = parse_duration(&text);
        }
    }

    #[test]
    fn formats_round_trip() {
        for text in ["30s", "2m5s", "1h", "1500ms"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }
}
