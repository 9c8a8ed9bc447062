//! Wall-clock times as text, without a date library: the reports only need UTC.

/// `(YYYY-MM-DD, (hour, minute, second, millisecond))` in UTC from milliseconds since the Unix
/// epoch.
pub fn civil(unix_ms: u64) -> (String, (u64, u64, u64, u64)) {
    let secs = unix_ms / 1000;
    let days = (secs / 86_400) as i64;
    let time = (secs / 3600 % 24, secs / 60 % 60, secs % 60, unix_ms % 1000);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (format!("{year:04}-{month:02}-{day:02}"), time)
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-19T12:05:09.250Z`.
pub fn rfc3339(unix_ms: u64) -> String {
    let (date, (h, m, s, ms)) = civil(unix_ms);
    format!("{date}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_089_909_250), "2026-11-19T12:05:09.250Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
