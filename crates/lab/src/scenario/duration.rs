//! Durations in scenario files: `1s`, `250ms`, `1m30s`, `1.5s`, or a bare number of seconds, at
//! most an hour.
use std::fmt;
use std::time::Duration;

use lameduck_core::duration::{self, Limit};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration that reads and writes as text like `1.5s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Dur(pub Duration);

impl Dur {
    pub const fn from_millis(ms: u64) -> Self {
        Self(Duration::from_millis(ms))
    }
}

/// The lab's bound on every duration in a scenario: a delay, timeout or point in a run of
/// minutes. It keeps `Instant` arithmetic far from overflow.
const LIMIT: Limit = Limit { max: super::limits::MAX_DURATION, text: "the lab's limit of 1h" };

/// Parses `1h2m3s`, `250ms`, `1.5s` or bare seconds: the grammar every lameduck command shares
/// ([`lameduck_core::duration`]).
pub fn parse(text: &str) -> Result<Duration, String> {
    duration::parse_within(text, LIMIT).map_err(|e| e.to_string())
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms % 1000 == 0 {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        let parsed = match Raw::deserialize(d)? {
            Raw::Number(n) => {
                duration::from_seconds(n, &n.to_string(), LIMIT).map_err(|e| e.to_string())
            }
            Raw::Text(t) => parse(&t),
        };
        parsed.map(Dur).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_bare_seconds() {
        assert_eq!(parse("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse("2").unwrap(), Duration::from_secs(2));
        assert!(parse("5x").unwrap_err().contains("unknown unit"));
        assert!(parse("s").is_err());
        assert!(parse("1h").is_ok());
        assert!(parse("1h1s").unwrap_err().contains("limit of 1h"));
        assert!(parse("18446744073709551615").is_err());
    }
}
