//! Load schedules in Yandex.Tank's grammar and the send instants they produce.
//!
//! `const(RPS,DUR)`, `line(FROM,TO,DUR)` and `step(FROM,TO,STEP,DUR)`, separated by spaces to run
//! one after another. Rates may be fractional (`const(0.5,1m)` sends every two seconds).
//! A [`Schedule`] is an iterator of send offsets measured from the start of the run: the engine
//! asks it for the next instant and sends then, whatever the server is doing (open loop).
use std::time::Duration;

use crate::durations::{format_duration, parse_duration, MAX_DURATION, MAX_DURATION_TEXT};

/// A parsed load schedule: consecutive segments, each a constant or linearly changing rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    segments: Vec<Segment>,
}

/// One part of a schedule. `step(...)` expands into several `Const` segments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Segment {
    /// `rps` requests per second, evenly spaced, for `duration`.
    Const { rps: f64, duration: Duration },
    /// Rate changing linearly from `from` to `to` requests per second over `duration`.
    Line { from: f64, to: f64, duration: Duration },
}

/// A schedule that could not be parsed: the message, the schedule text and where in it.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[error("invalid schedule: {message}")]
#[diagnostic(help(
    "write e.g. `const(100,30s)`, `line(1,100,1m)`, `step(10,50,10,30s)`; chain with spaces"
))]
pub struct ScheduleError {
    /// What is wrong and what was expected.
    pub message: String,
    #[source_code]
    source_text: String,
    #[label("here")]
    span: (usize, usize),
}

impl ScheduleError {
    fn new(text: &str, start: usize, end: usize, message: impl Into<String>) -> Self {
        let end = end.max(start).min(text.len());
        let start = start.min(end);
        Self { message: message.into(), source_text: text.to_string(), span: (start, end - start) }
    }

    /// Byte range of the offending text within the schedule string.
    pub fn span(&self) -> std::ops::Range<usize> {
        self.span.0..self.span.0 + self.span.1
    }
}

/// Highest rate accepted, far above what one core can send; it catches typos like `const(1e9,1)`.
const MAX_RPS: f64 = 10_000_000.0;
/// Most segments in a schedule, `step(...)` levels included: segments are kept in a list.
pub const MAX_SEGMENTS: usize = 10_000;
/// Most sends a schedule may plan (a day at the highest rate is below 10^12). Send instants
/// are computed in f64, which stays exact far beyond this.
pub const MAX_REQUESTS: u64 = 1_000_000_000_000;

impl Schedule {
    /// Parses Tank's schedule grammar, e.g. `line(1,100,30s) const(100,5m)`.
    // Long because one arm per schedule function of Tank's grammar (const, line, step), each with
    // its own arguments.
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        let mut segments = Vec::new();
        let mut totals = Totals::default();
        let bytes = text.as_bytes();
        let mut i = 0;
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i == bytes.len() {
                break;
            }
            let name_start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let name = &text[name_start..i];
            if name.is_empty() {
                let end = text[i..].find(char::is_whitespace).map_or(text.len(), |n| i + n);
                return Err(ScheduleError::new(
                    text,
                    i,
                    end,
                    format!(
                        "expected const(...), line(...) or step(...), found `{}`",
                        &text[i..end]
                    ),
                ));
            }
            if bytes.get(i) != Some(&b'(') {
                return Err(ScheduleError::new(
                    text,
                    name_start,
                    i + 1,
                    format!("expected `(` after `{name}`"),
                ));
            }
            let args_start = i + 1;
            let Some(close) = text[args_start..].find(')').map(|n| args_start + n) else {
                return Err(ScheduleError::new(
                    text,
                    name_start,
                    text.len(),
                    format!("`{name}(` is never closed with `)`"),
                ));
            };
            let args = split_args(text, args_start, close);
            let whole = (name_start, close + 1);
            let segments_before = segments.len();
            match name {
                "const" => {
                    expect_arity(text, whole, name, &args, 2, "const(RPS,DURATION)")?;
                    let rps = rate(text, args[0])?;
                    let duration = duration(text, args[1])?;
                    segments.push(Segment::Const { rps, duration });
                }
                "line" => {
                    expect_arity(text, whole, name, &args, 3, "line(FROM,TO,DURATION)")?;
                    let from = rate(text, args[0])?;
                    let to = rate(text, args[1])?;
                    let duration = duration(text, args[2])?;
                    segments.push(Segment::Line { from, to, duration });
                }
                "step" => {
                    expect_arity(text, whole, name, &args, 4, "step(FROM,TO,STEP,DURATION)")?;
                    let from = rate(text, args[0])?;
                    let to = rate(text, args[1])?;
                    let step = rate(text, args[2])?;
                    let duration = duration(text, args[3])?;
                    if step <= 0.0 {
                        let (s, e) = args[2];
                        return Err(ScheduleError::new(text, s, e, "step must be greater than 0"));
                    }
                    let levels = (to - from).abs() / step + 1.0;
                    if levels > (MAX_SEGMENTS - segments.len()) as f64 {
                        return Err(ScheduleError::new(
                            text,
                            whole.0,
                            whole.1,
                            format!(
                                "`{}` has {levels:.0} levels; a schedule has at most \
                                 {MAX_SEGMENTS} segments (use a larger step, or line(...))",
                                &text[whole.0..whole.1]
                            ),
                        ));
                    }
                    push_steps(&mut segments, from, to, step, duration);
                }
                other => {
                    return Err(ScheduleError::new(
                        text,
                        name_start,
                        i,
                        format!("unknown schedule `{other}`: expected const, line or step"),
                    ))
                }
            }
            totals.add(text, whole, &segments[segments_before..])?;
            i = close + 1;
            if i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                return Err(ScheduleError::new(
                    text,
                    i,
                    i + 1,
                    "expected a space between schedule parts",
                ));
            }
        }
        if segments.is_empty() {
            return Err(ScheduleError::new(text, 0, text.len(), "the schedule is empty"));
        }
        let schedule = Schedule { segments };
        if schedule.total_requests() == 0 {
            return Err(ScheduleError::new(
                text,
                0,
                text.len(),
                "the schedule sends no requests (every rate is 0, or too low to send once)",
            ));
        }
        Ok(schedule)
    }

    /// A single constant-rate segment, for callers that build schedules in code.
    pub fn constant(rps: f64, duration: Duration) -> Schedule {
        Schedule { segments: vec![Segment::Const { rps, duration }] }
    }

    /// The segments in order (steps already expanded).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Total length of the schedule.
    pub fn duration(&self) -> Duration {
        self.segments.iter().map(|s| s.duration()).sum()
    }

    /// Number of sends the schedule produces.
    pub fn total_requests(&self) -> u64 {
        self.segments.iter().map(|s| s.count()).sum()
    }

    /// Iterator of send offsets from the start of the run, in order.
    pub fn offsets(&self) -> SendOffsets<'_> {
        SendOffsets { segments: &self.segments, index: 0, k: 0, segment_start: 0.0 }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, segment) in self.segments.iter().enumerate() {
            if n > 0 {
                f.write_str(" ")?;
            }
            match segment {
                Segment::Const { rps, duration } => {
                    write!(f, "const({rps},{})", format_duration(*duration))?
                }
                Segment::Line { from, to, duration } => {
                    write!(f, "line({from},{to},{})", format_duration(*duration))?
                }
            }
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Schedule {
    type Item = Duration;
    type IntoIter = SendOffsets<'a>;
    fn into_iter(self) -> SendOffsets<'a> {
        self.offsets()
    }
}

impl Segment {
    /// How long the segment lasts.
    pub fn duration(&self) -> Duration {
        match *self {
            Segment::Const { duration, .. } | Segment::Line { duration, .. } => duration,
        }
    }

    /// Number of sends: every k whose instant falls inside `[0, duration)`.
    pub fn count(&self) -> u64 {
        let expected = match *self {
            Segment::Const { rps, duration } => rps * duration.as_secs_f64(),
            Segment::Line { from, to, duration } => (from + to) / 2.0 * duration.as_secs_f64(),
        };
        // The epsilon keeps `const(3,1s)` at 3 sends despite floating-point noise.
        (expected - 1e-9).ceil().max(0.0) as u64
    }

    /// Offset in seconds of the k-th send within the segment.
    fn instant(&self, k: u64) -> f64 {
        let k = k as f64;
        match *self {
            Segment::Const { rps, .. } => k / rps,
            Segment::Line { from, to, duration } => {
                if k == 0.0 {
                    return 0.0;
                }
                // Sends so far N(t) = from*t + (to-from)*t²/(2d); solving N(t)=k in this form
                // stays exact when from == to and when from == 0.
                let d = duration.as_secs_f64();
                let root = (from * from + 2.0 * (to - from) * k / d).max(0.0).sqrt();
                2.0 * k / (from + root)
            }
        }
    }
}

/// Iterator over a schedule's send offsets; see [`Schedule::offsets`].
#[derive(Debug, Clone)]
pub struct SendOffsets<'a> {
    segments: &'a [Segment],
    index: usize,
    k: u64,
    segment_start: f64,
}

impl Iterator for SendOffsets<'_> {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        loop {
            let segment = self.segments.get(self.index)?;
            if self.k < segment.count() {
                let at = self.segment_start + segment.instant(self.k);
                self.k += 1;
                return Some(Duration::from_secs_f64(at));
            }
            self.segment_start += segment.duration().as_secs_f64();
            self.index += 1;
            self.k = 0;
        }
    }
}

fn push_steps(segments: &mut Vec<Segment>, from: f64, to: f64, step: f64, duration: Duration) {
    let direction = if to >= from { 1.0 } else { -1.0 };
    let levels = ((to - from).abs() / step + 1e-9).floor() as u64;
    for n in 0..=levels {
        let rps = from + direction * step * n as f64;
        segments.push(Segment::Const { rps, duration });
    }
}

/// Running totals of a schedule being parsed, kept within [`MAX_SEGMENTS`], [`MAX_DURATION`]
/// and [`MAX_REQUESTS`] so that nothing later overflows or grows huge.
#[derive(Default)]
struct Totals {
    segments: usize,
    duration: Duration,
    requests: u64,
}

impl Totals {
    /// Adds the segments one part produced; an error points at that part.
    fn add(
        &mut self,
        text: &str,
        (start, end): (usize, usize),
        new: &[Segment],
    ) -> Result<(), ScheduleError> {
        self.segments += new.len();
        self.duration += new.iter().map(Segment::duration).sum::<Duration>();
        // Saturating: one step(...) may hold thousands of segments at the highest rate.
        self.requests = new.iter().map(Segment::count).fold(self.requests, u64::saturating_add);
        let part = &text[start..end];
        let crossed = if self.segments > MAX_SEGMENTS {
            format!("at `{part}` the schedule has more than {MAX_SEGMENTS} segments")
        } else if self.duration > MAX_DURATION {
            format!("at `{part}` the schedule lasts longer than {MAX_DURATION_TEXT} in total")
        } else if self.requests > MAX_REQUESTS {
            format!("at `{part}` the schedule plans more than {MAX_REQUESTS} requests")
        } else {
            return Ok(());
        };
        Err(ScheduleError::new(text, start, end, crossed))
    }
}

fn split_args(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut args = Vec::new();
    let mut arg_start = start;
    for (offset, c) in text[start..end].char_indices() {
        if c == ',' {
            args.push(trimmed(text, arg_start, start + offset));
            arg_start = start + offset + 1;
        }
    }
    args.push(trimmed(text, arg_start, end));
    args
}

fn trimmed(text: &str, mut start: usize, mut end: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    while start < end && bytes[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && bytes[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    (start, end)
}

fn expect_arity(
    text: &str,
    whole: (usize, usize),
    name: &str,
    args: &[(usize, usize)],
    wanted: usize,
    form: &str,
) -> Result<(), ScheduleError> {
    if args.len() == wanted && args.iter().all(|(s, e)| s < e) {
        return Ok(());
    }
    Err(ScheduleError::new(
        text,
        whole.0,
        whole.1,
        format!("`{name}` takes {wanted} arguments: {form}"),
    ))
}

fn rate(text: &str, (start, end): (usize, usize)) -> Result<f64, ScheduleError> {
    let raw = &text[start..end];
    match raw.parse::<f64>() {
        Ok(rps) if rps.is_finite() && (0.0..=MAX_RPS).contains(&rps) => Ok(rps),
        Ok(_) => Err(ScheduleError::new(
            text,
            start,
            end,
            format!("rate `{raw}` must be between 0 and {MAX_RPS} requests per second"),
        )),
        Err(_) => Err(ScheduleError::new(
            text,
            start,
            end,
            format!("expected a rate in requests per second (e.g. 100 or 0.5), found `{raw}`"),
        )),
    }
}

fn duration(text: &str, (start, end): (usize, usize)) -> Result<Duration, ScheduleError> {
    parse_duration(&text[start..end])
        .map_err(|message| ScheduleError::new(text, start, end, message))
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
