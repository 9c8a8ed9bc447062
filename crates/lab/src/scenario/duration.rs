//! Durations in scenario files: `1s`, `250ms`, `1m30s`, `1.5s`, or a bare number of seconds.
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration that reads and writes as text like `1.5s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Dur(pub Duration);

impl Dur {
    pub const fn from_millis(ms: u64) -> Self {
        Self(Duration::from_millis(ms))
    }
}

/// Parses `1h2m3s`, `250ms`, `1.5s` or bare seconds.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let hint = "use e.g. 1s, 250ms, 1m30s or 1.5s";
    if text.is_empty() {
        return Err(format!("empty duration ({hint})"));
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return to_duration(seconds, text, hint);
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("bad duration `{text}`: expected a number at `{rest}` ({hint})"));
        }
        let number: f64 =
            rest[..digits].parse().map_err(|_| format!("bad duration `{text}` ({hint})"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "" => {
                return Err(format!("bad duration `{text}`: missing unit after {number} ({hint})"))
            }
            unit => return Err(format!("bad duration `{text}`: unknown unit `{unit}` ({hint})")),
        };
        total += number * factor;
        rest = &rest[unit_len..];
    }
    to_duration(total, text, hint)
}

fn to_duration(seconds: f64, text: &str, hint: &str) -> Result<Duration, String> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("bad duration `{text}`: out of range ({hint})"));
    }
    // Every duration in a scenario is a delay, timeout or point in a run of minutes; the bound
    // keeps `Instant` arithmetic far from overflow.
    let max = super::limits::MAX_DURATION.as_secs_f64();
    if seconds > max {
        return Err(format!(
            "bad duration `{text}`: more than the lab's limit of 1h ({max:.0}s) for any duration"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
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
            Raw::Number(n) => to_duration(n, &n.to_string(), "use e.g. 1s, 250ms"),
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
