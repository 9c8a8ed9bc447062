//! How a share and a latency read to a person, the same on the terminal and in the HTML
//! report.

/// `0.35%` of `part` in `whole` (`0%` of nothing).
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".into();
    }
    let p = part as f64 * 100.0 / whole as f64;
    if p == 0.0 || p >= 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

/// A latency in ms, short: `4.2ms`, `30ms`, `1.25s`.
pub fn ms(value: f64) -> String {
    if value >= 1000.0 {
        format!("{:.2}s", value / 1000.0)
    } else if value >= 10.0 {
        format!("{value:.0}ms")
    } else {
        format!("{value:.1}ms")
    }
}
