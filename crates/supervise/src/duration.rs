//! Human durations on the command line and in `lameduck.toml`: `500ms`, `5s`, `1m`, `1m30s`, or a
//! bare number of seconds (`30`, as in `terminationGracePeriodSeconds`).
//!
//! Every duration is at most [`MAX`]: nothing lameduck waits for takes a day, and the bound keeps
//! every later sum and `Instant + duration` far from overflowing.
use std::time::Duration;

/// The longest duration any flag or config key accepts.
pub const MAX: Duration = Duration::from_secs(24 * 3600);
/// [`MAX`] as written in error messages.
pub const MAX_TEXT: &str = "24h";

/// Parses a duration such as `500ms`, `1.5s`, `2m` or `30` (seconds).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration; write e.g. 5s, 500ms or 1m".into());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return seconds_to_duration(seconds, text);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len =
            rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let unit_len = rest[number_len..]
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len() - number_len);
        let (number, unit) = (&rest[..number_len], &rest[number_len..number_len + unit_len]);
        let value: f64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a duration; write e.g. 5s, 500ms or 1m"))?;
        let scale = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            _ => return Err(format!("`{text}`: unknown unit `{unit}`; use ms, s, m or h")),
        };
        total = total.saturating_add(seconds_to_duration(value * scale, text)?);
        rest = &rest[number_len + unit_len..];
    }
    bounded(total, text)
}

/// Checks a duration given as whole seconds (a TOML integer) against [`MAX`].
pub fn from_whole_seconds(seconds: u64) -> Result<Duration, String> {
    bounded(Duration::from_secs(seconds.min(u64::MAX / 2)), &seconds.to_string())
}

fn seconds_to_duration(seconds: f64, text: &str) -> Result<Duration, String> {
    if seconds.is_finite() && seconds > MAX.as_secs_f64() {
        return Err(too_long(text));
    }
    let duration = Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("`{text}` is not a valid duration (negative or not a number)"))?;
    bounded(duration, text)
}

fn bounded(duration: Duration, text: &str) -> Result<Duration, String> {
    if duration > MAX {
        return Err(too_long(text));
    }
    Ok(duration)
}

fn too_long(text: &str) -> String {
    format!("`{text}` is longer than the maximum of {MAX_TEXT}")
}

/// Formats a duration as seconds with millisecond precision, as used in every log line.
pub fn seconds(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_bare_seconds() {
        assert_eq!(parse("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("1.5s").unwrap(), Duration::from_millis(1500));
    }

    #[test]
    fn rejects_garbage_with_a_hint() {
        assert!(parse("5 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse("-1").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn rejects_what_does_not_fit_in_a_day() {
        for text in [
            "10000000000000000000",
            "1e19",
            "1e300",
            "inf",
            "NaN",
            "86400.001",
            "24h1ms",
            "1e19s1e19s",
            "99999999999999999999h",
            "fixed",
        ] {
            assert!(parse(text).is_err(), "{text} was accepted");
        }
        assert!(parse("1e19").unwrap_err().contains("maximum of 24h"));
        assert_eq!(parse("24h").unwrap(), MAX);
        assert_eq!(parse("86400").unwrap(), MAX);
        assert!(from_whole_seconds(u64::MAX).unwrap_err().contains("maximum of 24h"));
        assert_eq!(from_whole_seconds(30).unwrap(), Duration::from_secs(30));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_never_exceeds_the_maximum(text in "[0-9.e]{0,24}(ms|s|m|h|min)?([0-9.]{0,22}(s|h))?") {
            if let Ok(duration) = parse(&text) {
                proptest::prop_assert!(duration <= MAX);
            }
        }

        #[test]
        fn big_numbers_with_any_unit_are_bounded(value in 0f64..1e30, unit in "(ms|s|m|min|h|)") {
            let text = format!("{value}{unit}");
            if let Ok(duration) = parse(&text) {
                proptest::prop_assert!(duration <= MAX);
            }
        }
    }
}
