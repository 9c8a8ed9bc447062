//! Human durations as the schedule, `--timeout`, `--exec-at` and thresholds write them:
//! `30` (seconds), `30s`, `250ms`, `5m`, `1h2m3s`, `1.5s`.
//!
//! One parser for all of them so the same text means the same time everywhere.
use std::time::Duration;

/// Longest duration accepted anywhere (and longest schedule): ten years is far beyond any load
/// run, and keeps every later sum of durations and instants far from overflowing.
pub const MAX_DURATION: Duration = Duration::from_secs(315_360_000);
/// [`MAX_DURATION`] in words, for messages.
pub const MAX_DURATION_TEXT: &str = "ten years (315360000s)";

/// Parses a duration. A bare number is seconds; otherwise a run of `<number><unit>` pairs with
/// units `h`, `m`, `s`, `ms`, `us`. Returns a message saying what was expected on failure.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("expected a duration such as 30s, 5m, 1h2m3s or 250ms, found nothing".into());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return seconds_to_duration(seconds, text);
    }
    let bytes = text.as_bytes();
    let mut total = 0.0_f64;
    let mut i = 0;
    while i < bytes.len() {
        let number_start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        if number_start == i {
            return Err(format!(
                "expected a number at `{}` in duration `{text}` (use e.g. 30s, 5m, 1h2m3s, 250ms)",
                &text[i..]
            ));
        }
        let number: f64 = text[number_start..i].parse().map_err(|_| {
            format!("`{}` is not a number in duration `{text}`", &text[number_start..i])
        })?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let factor = match &text[unit_start..i] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "" => {
                return Err(format!(
                    "missing unit after `{number}` in duration `{text}` (units: h, m, s, ms, us)"
                ))
            }
            other => {
                return Err(format!(
                    "unknown unit `{other}` in duration `{text}` (units: h, m, s, ms, us)"
                ))
            }
        };
        total += number * factor;
    }
    seconds_to_duration(total, text)
}

fn seconds_to_duration(seconds: f64, text: &str) -> Result<Duration, String> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("duration `{text}` must be a finite, non-negative time"));
    }
    if seconds > MAX_DURATION.as_secs_f64() {
        return Err(format!("duration `{text}` is too long (at most {MAX_DURATION_TEXT})"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Formats a duration compactly for messages: `1500ms`, `30s`, `2m5s`.
pub fn format_duration(duration: Duration) -> String {
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
