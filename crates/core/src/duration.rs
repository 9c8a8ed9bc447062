//! Durations as every lameduck flag, config key and scenario writes them.
//!
//! The grammar, documented once (the README's "Conventions" quotes it):
//! - a bare number is seconds: `30`, `0.5` (as in `terminationGracePeriodSeconds`);
//! - otherwise one or more `<number><unit>` pairs, added up: `1m30s`, `1h2m3s`, `1.5s`;
//! - units: `us` (or `µs`), `ms`, `s`, `m` (or `min`), `h`, `d`.
//!
//! Every use has an upper bound ([`Limit`]): `run` waits at most a day, a lab scenario runs
//! minutes, a load schedule may run for years. The bound is part of the error, so a user sees
//! which limit a value broke. Every limit is far below what `Instant + Duration` can hold.
use std::time::Duration;

/// The upper bound of a duration at one place of use, and how messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: Duration,
    /// `24h`, `1h`, `ten years (315360000s)`.
    pub text: &'static str,
}

/// Ten years: the longest duration anything accepts (a load schedule).
pub const TEN_YEARS: Limit =
    Limit { max: Duration::from_secs(315_360_000), text: "ten years (315360000s)" };

/// The units, for messages.
pub const UNITS: &str = "us, ms, s, m (or min), h, d";

/// Why a text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration; write e.g. 5s, 500ms, 1m30s or 30 (seconds)")]
    Empty,
    #[error("expected a number at `{at}` in duration `{text}` (write e.g. 5s, 500ms, 1m30s)")]
    NotANumber { text: String, at: String },
    #[error("missing unit after `{number}` in duration `{text}` (units: {UNITS})")]
    MissingUnit { text: String, number: String },
    #[error("unknown unit `{unit}` in duration `{text}` (units: {UNITS})")]
    UnknownUnit { text: String, unit: String },
    #[error("duration `{text}` must be a finite, non-negative time")]
    OutOfRange { text: String },
    #[error("duration `{text}` is too long (at most {limit})")]
    TooLong { text: String, limit: &'static str },
}

/// Parses a duration of at most ten years. See the module doc for the grammar.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    parse_within(text, TEN_YEARS)
}

/// Parses a duration of at most `limit.max`.
pub fn parse_within(text: &str, limit: Limit) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return from_seconds(seconds, text, limit);
    }
    let mut total = 0.0_f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len =
            rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number = &rest[..number_len];
        let value: f64 = number.parse().map_err(|_| DurationError::NotANumber {
            text: text.to_string(),
            at: rest.to_string(),
        })?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        total += value * unit_seconds(unit, number, text)?;
        rest = &rest[unit_len..];
    }
    from_seconds(total, text, limit)
}

fn unit_seconds(unit: &str, number: &str, text: &str) -> Result<f64, DurationError> {
    Ok(match unit {
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        "" => {
            return Err(DurationError::MissingUnit {
                text: text.to_string(),
                number: number.to_string(),
            })
        }
        _ => {
            return Err(DurationError::UnknownUnit {
                text: text.to_string(),
                unit: unit.to_string(),
            })
        }
    })
}

/// Checks a number of seconds (a bare number, a TOML or YAML number) against `limit`.
pub fn from_seconds(seconds: f64, text: &str, limit: Limit) -> Result<Duration, DurationError> {
    if seconds.is_nan() || seconds < 0.0 {
        return Err(DurationError::OutOfRange { text: text.to_string() });
    }
    if seconds > limit.max.as_secs_f64() {
        return Err(DurationError::TooLong { text: text.to_string(), limit: limit.text });
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Seconds with millisecond precision, as every log line writes them: `1.500`.
pub fn seconds(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

/// A duration as a person writes it, and as [`parse`] reads it back: `1500ms`, `30s`, `2m5s`.
pub fn compact(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 10_000 && millis % 1000 != 0 {
        return format!("{millis}ms");
    }
    let seconds = duration.as_secs();
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Limit = Limit { max: Duration::from_secs(86_400), text: "24h" };

    #[test]
    fn accepts_every_documented_form() {
        for (text, expected) in [
            ("30", Duration::from_secs(30)),
            ("0.5", Duration::from_millis(500)),
            ("30s", Duration::from_secs(30)),
            ("5m", Duration::from_secs(300)),
            ("1min", Duration::from_secs(60)),
            ("1h2m3s", Duration::from_secs(3723)),
            ("250ms", Duration::from_millis(250)),
            ("1.5s", Duration::from_millis(1500)),
            ("100us", Duration::from_micros(100)),
            ("1d", Duration::from_secs(86_400)),
        ] {
            assert_eq!(parse(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn rejects_garbage_with_the_reason() {
        assert!(matches!(parse(""), Err(DurationError::Empty)));
        assert!(matches!(parse("s"), Err(DurationError::NotANumber { .. })));
        assert!(matches!(parse("1h2"), Err(DurationError::MissingUnit { .. })));
        assert!(matches!(parse("-3"), Err(DurationError::OutOfRange { .. })));
        assert!(parse("5x").unwrap_err().to_string().contains("unknown unit `x`"));
        assert!(parse("5 m").unwrap_err().to_string().contains("unknown unit ` m`"));
        assert!(parse("5 parsecs").is_err());
        assert!(parse("NaN").is_err());
    }

    #[test]
    fn every_limit_is_named_when_broken() {
        for text in ["86400.001", "24h1ms", "1e19", "inf", "99999999999999999999h"] {
            let err = parse_within(text, DAY).unwrap_err().to_string();
            assert!(err.contains("at most 24h"), "{text}: {err}");
        }
        assert_eq!(parse_within("24h", DAY), Ok(DAY.max));
        assert_eq!(parse_within("1d", DAY), Ok(DAY.max));
        assert!(parse("11y").is_err());
        assert!(parse("1e19s1e19s").is_err());
        assert!(parse("99999999999").unwrap_err().to_string().contains("at most ten years"));
    }

    #[test]
    fn compact_round_trips() {
        for text in ["30s", "2m5s", "1h", "1500ms"] {
            assert_eq!(compact(parse(text).unwrap()), text);
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_never_exceeds_the_limit(text in "\\PC{0,24}") {
            if let Ok(duration) = parse_within(&text, DAY) {
                proptest::prop_assert!(duration <= DAY.max);
            }
        }

        #[test]
        fn big_numbers_with_any_unit_are_bounded(value in 0f64..1e30, unit in "(us|ms|s|m|min|h|d|)") {
            if let Ok(duration) = parse_within(&format!("{value}{unit}"), DAY) {
                proptest::prop_assert!(duration <= DAY.max);
            }
        }
    }
}
