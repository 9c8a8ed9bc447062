//! `--fail-on` expressions for CI: `failed>0`, `http(5xx)>0.1%`, `http(502)>0`,
//! `net(any)>0`, `net(refused)>=5`, `dropped>0`, `late>1%`, `p99>500ms`.
//!
//! Grammar: `METRIC OP VALUE`. METRIC is `requests`, `ok`, `failed`, `dropped`, `late`,
//! `http(CODE|Nxx|any)`, `net(NAME|any)`, `p50`, `p90`, `p99` or `max`. OP is `>`, `>=`, `<`
//! or `<=`. VALUE is a count, a percentage of requests (`0.1%`), or for latencies a duration
//! (`500ms`, `1s`; a bare number is milliseconds). A latency verdict gives the measured value in
//! the unit the threshold was written in (`p99>2s` → `2.74s`).
use crate::durations::{parse_duration, MAX_DURATION, MAX_DURATION_TEXT};
use crate::outcome::NetError;
use crate::report::Report;

/// A parsed threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as written, for messages.
    pub text: String,
    metric: Metric,
    op: Op,
    value: Value,
}

#[derive(Debug, Clone, PartialEq)]
enum Metric {
    Requests,
    Ok,
    Failed,
    Dropped,
    Late,
    Http(HttpSelector),
    Net(Option<String>),
    Latency(Percentile),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum HttpSelector {
    Code(u16),
    Class(u16),
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Percentile {
    P50,
    P90,
    P99,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Count(f64),
    Percent(f64),
    Millis(f64, TimeUnit),
}

/// The unit a latency threshold was written in, so its verdict reads in the same one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeUnit {
    Micros,
    Millis,
    Seconds,
}

impl TimeUnit {
    /// The last unit of the text: `500ms` → ms, `2s` → s, `1m30s` → s; minutes and hours read
    /// as seconds (`0.05m` would be hard to read), and a bare number is milliseconds.
    fn of(text: &str) -> TimeUnit {
        let unit = text.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == 'µ');
        match &text[unit.len()..] {
            "us" | "µs" => TimeUnit::Micros,
            "s" | "m" | "h" => TimeUnit::Seconds,
            _ => TimeUnit::Millis,
        }
    }

    /// `2739.123` ms in seconds → `2.74s`: three significant digits (whole numbers are not
    /// cut), enough to compare with the limit without reading noise.
    fn format(self, millis: f64) -> String {
        let (value, suffix) = match self {
            TimeUnit::Micros => (millis * 1000.0, "us"),
            TimeUnit::Millis => (millis, "ms"),
            TimeUnit::Seconds => (millis / 1000.0, "s"),
        };
        let decimals = if value > 0.0 { (2 - value.log10().floor() as i32).clamp(0, 6) } else { 0 };
        let decimals = decimals as usize;
        format!("{value:.decimals$}{suffix}")
    }
}

/// A threshold that could not be parsed, pointing at the offending part.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[error("invalid --fail-on `{text}`: {message}")]
#[diagnostic(help(
    "examples: failed>0  http(5xx)>0.1%  http(502)>0  net(any)>0  dropped>0  p99>500ms"
))]
pub struct ThresholdError {
    pub message: String,
    #[source_code]
    text: String,
    #[label("here")]
    span: (usize, usize),
}

impl ThresholdError {
    fn new(text: &str, range: std::ops::Range<usize>, message: impl Into<String>) -> Self {
        let end = range.end.min(text.len());
        let start = range.start.min(end);
        Self { message: message.into(), text: text.to_string(), span: (start, end - start) }
    }

    /// Byte range of the offending part.
    pub fn span(&self) -> std::ops::Range<usize> {
        self.span.0..self.span.0 + self.span.1
    }
}

/// The result of checking one threshold against a report, as `--format json` lists it under
/// `thresholds`.
pub use lameduck_core::schema::ThresholdVerdict as Verdict;

impl Threshold {
    pub fn parse(text: &str) -> Result<Threshold, ThresholdError> {
        let op_at = text.find(['<', '>']).ok_or_else(|| {
            ThresholdError::new(text, 0..text.len(), "expected a comparison: >, >=, < or <=")
        })?;
        let (op, op_len) = match (&text[op_at..op_at + 1], text[op_at + 1..].starts_with('=')) {
            (">", true) => (Op::Ge, 2),
            (">", false) => (Op::Gt, 1),
            ("<", true) => (Op::Le, 2),
            _ => (Op::Lt, 1),
        };
        let metric = parse_metric(text, op_at)?;
        let value_start = op_at + op_len;
        let value = parse_value(text, value_start, &metric)?;
        Ok(Threshold { text: text.to_string(), metric, op, value })
    }

    /// Checks the threshold against a finished run.
    pub fn evaluate(&self, report: &Report) -> Verdict {
        let (measured, actual) = match (&self.metric, self.value) {
            (Metric::Latency(p), value) => {
                let l = report.latency_ms;
                let ms = match p {
                    Percentile::P50 => l.p50,
                    Percentile::P90 => l.p90,
                    Percentile::P99 => l.p99,
                    Percentile::Max => l.max,
                };
                let unit = match value {
                    Value::Millis(_, unit) => unit,
                    _ => TimeUnit::Millis,
                };
                (ms, unit.format(ms))
            }
            (metric, Value::Percent(_)) => {
                let count = count_of(metric, report);
                let base = if *metric == Metric::Dropped {
                    report.requests + report.dropped
                } else {
                    report.requests
                };
                let percent = if base == 0 { 0.0 } else { count as f64 * 100.0 / base as f64 };
                (percent, format!("{percent:.3}% ({count} of {base})"))
            }
            (metric, _) => {
                let count = count_of(metric, report);
                (count as f64, count.to_string())
            }
        };
        let limit = match self.value {
            Value::Count(v) | Value::Percent(v) | Value::Millis(v, _) => v,
        };
        let crossed = match self.op {
            Op::Gt => measured > limit,
            Op::Ge => measured >= limit,
            Op::Lt => measured < limit,
            Op::Le => measured <= limit,
        };
        Verdict { threshold: self.text.clone(), crossed, actual }
    }
}

fn count_of(metric: &Metric, report: &Report) -> u64 {
    match metric {
        Metric::Requests => report.requests,
        Metric::Ok => report.ok,
        Metric::Failed => report.failed,
        Metric::Dropped => report.dropped,
        Metric::Late => report.late,
        Metric::Http(HttpSelector::Any) => report.codes.values().sum(),
        Metric::Http(HttpSelector::Class(c)) => report.status_class(*c),
        Metric::Http(HttpSelector::Code(c)) => report.codes.get(c).copied().unwrap_or(0),
        Metric::Net(None) => report.net_total(),
        Metric::Net(Some(name)) => report.net.get(name).copied().unwrap_or(0),
        Metric::Latency(_) => 0,
    }
}

fn parse_metric(text: &str, end: usize) -> Result<Metric, ThresholdError> {
    let raw = &text[..end];
    let start = raw.len() - raw.trim_start().len();
    let name = raw.trim();
    let at = start..start + name.len();
    let simple = match name {
        "requests" => Some(Metric::Requests),
        "ok" => Some(Metric::Ok),
        "failed" => Some(Metric::Failed),
        "dropped" => Some(Metric::Dropped),
        "late" => Some(Metric::Late),
        "p50" => Some(Metric::Latency(Percentile::P50)),
        "p90" => Some(Metric::Latency(Percentile::P90)),
        "p99" => Some(Metric::Latency(Percentile::P99)),
        "max" => Some(Metric::Latency(Percentile::Max)),
        _ => None,
    };
    if let Some(metric) = simple {
        return Ok(metric);
    }
    let inner = |prefix: &str| {
        name.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(')')).map(str::trim)
    };
    let inner_at =
        start + name.find('(').map_or(0, |i| i + 1)..start + name.len().saturating_sub(1);
    if let Some(selector) = inner("http(") {
        let selector = match selector {
            "any" => HttpSelector::Any,
            s if s.len() == 3 && s.ends_with("xx") => match s.as_bytes()[0] {
                c @ b'1'..=b'5' => HttpSelector::Class((c - b'0') as u16),
                _ => return Err(ThresholdError::new(text, inner_at, "class must be 1xx to 5xx")),
            },
            s => match s.parse::<u16>() {
                Ok(code) if (100..=599).contains(&code) => HttpSelector::Code(code),
                _ => {
                    return Err(ThresholdError::new(
                        text,
                        inner_at,
                        "expected a status code (502), a class (5xx) or any",
                    ))
                }
            },
        };
        return Ok(Metric::Http(selector));
    }
    if let Some(selector) = inner("net(") {
        return match selector {
            "any" => Ok(Metric::Net(None)),
            s => match NetError::from_name(s) {
                Some(outcome) => Ok(Metric::Net(Some(outcome.name().into_owned()))),
                None => Err(ThresholdError::new(
                    text,
                    inner_at,
                    format!("expected one of {}, any", NetError::names_help()),
                )),
            },
        };
    }
    Err(ThresholdError::new(
        text,
        at,
        "unknown metric: expected requests, ok, failed, dropped, late, http(...), net(...), p50, \
         p90, p99 or max",
    ))
}

fn parse_value(text: &str, start: usize, metric: &Metric) -> Result<Value, ThresholdError> {
    let raw = &text[start..];
    let value = raw.trim();
    let at = start + (raw.len() - raw.trim_start().len())..text.len();
    if value.is_empty() {
        return Err(ThresholdError::new(
            text,
            start..text.len(),
            "expected a value after the comparison",
        ));
    }
    if matches!(metric, Metric::Latency(_)) {
        let millis = match value.parse::<f64>() {
            Ok(ms) => ms,
            Err(_) => {
                parse_duration(value)
                    .map_err(|m| ThresholdError::new(text, at.clone(), m))?
                    .as_secs_f64()
                    * 1000.0
            }
        };
        if !millis.is_finite() || millis < 0.0 {
            return Err(ThresholdError::new(
                text,
                at,
                "expected a non-negative latency such as 500ms",
            ));
        }
        if millis > MAX_DURATION.as_secs_f64() * 1000.0 {
            return Err(ThresholdError::new(
                text,
                at,
                format!("latency `{value}` is too long (at most {MAX_DURATION_TEXT})"),
            ));
        }
        return Ok(Value::Millis(millis, TimeUnit::of(value)));
    }
    let (number, percent) = match value.strip_suffix('%') {
        Some(number) => (number.trim(), true),
        None => (value, false),
    };
    match number.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 && (!percent || n <= 100.0) => {
            Ok(if percent { Value::Percent(n) } else { Value::Count(n) })
        }
        _ => Err(ThresholdError::new(
            text,
            at,
            "expected a count (0, 10) or a percentage of requests (0.1%)",
        )),
    }
}

#[cfg(test)]
#[path = "thresholds_tests.rs"]
mod tests;
