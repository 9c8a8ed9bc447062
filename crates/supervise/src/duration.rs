//! Durations on `run`'s and `prestop`'s command line and in `lameduck.toml`: the shared grammar of
//! [`lameduck_core::duration`] (`500ms`, `5s`, `1m30s`, a bare number of seconds), bounded by
//! [`LIMIT`]: nothing lameduck waits for takes a day, and the bound keeps every later sum and
//! `Instant + duration` far from overflowing.
use std::time::Duration;

pub use lameduck_core::drain::LIMIT;
pub use lameduck_core::duration::seconds;
use lameduck_core::duration::{self, DurationError};

/// Parses a duration such as `500ms`, `1.5s`, `2m` or `30` (seconds), of at most [`LIMIT`].
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    duration::parse_within(text, LIMIT)
}

/// Checks a duration given as whole seconds (a TOML integer) against [`LIMIT`].
pub fn from_whole_seconds(seconds: u64) -> Result<Duration, DurationError> {
    duration::from_seconds(seconds as f64, &seconds.to_string(), LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_takes_at_most_a_day() {
        assert_eq!(parse("24h").unwrap(), LIMIT.max);
        assert_eq!(parse("1min").unwrap(), Duration::from_secs(60));
        assert!(parse("24h1ms").unwrap_err().to_string().contains("at most 24h"));
        assert!(from_whole_seconds(u64::MAX).unwrap_err().to_string().contains("at most 24h"));
        assert_eq!(from_whole_seconds(30).unwrap(), Duration::from_secs(30));
    }
}
