//! Durations as other programs write them in their own configs, in seconds: php-fpm, nginx,
//! supervisord, Kubernetes and `sleep`. lameduck's own flags are read with `run`'s parser,
//! [`lameduck_core::duration`], instead (see [`crate::lameduck_flags`]).

/// Parses `10`, `10s`, `1m`, `500ms`, `1h`, `1d` (nginx also allows `1m30s`). A bare number is
/// seconds, as in php-fpm and nginx.
pub fn parse_seconds(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "" | "s" => 1.0,
            "ms" => 0.001,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return None,
        };
        total += number * factor;
        rest = &rest[unit_len..];
    }
    total.is_finite().then_some(total)
}

/// Formats seconds the way people write them in manifests: `5s`, `0.5s`, `90s`.
pub fn show(seconds: f64) -> String {
    if seconds.fract() == 0.0 {
        format!("{}s", seconds as i64)
    } else {
        format!("{seconds:.1}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_seconds("20"), Some(20.0));
        assert_eq!(parse_seconds("20s"), Some(20.0));
        assert_eq!(parse_seconds("1m30s"), Some(90.0));
        assert_eq!(parse_seconds("500ms"), Some(0.5));
        assert_eq!(parse_seconds("x"), None);
        assert_eq!(parse_seconds("5y"), None);
        assert_eq!(show(5.0), "5s");
    }
}
