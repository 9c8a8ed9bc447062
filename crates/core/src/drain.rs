//! The `--drain` grammar and the defaults it depends on, as `lameduck run` and `lameduck prestop`
//! read them and `lameduck check` validates them.
//!
//! `none`, `fixed:5s`, `auto`, `auto:quiet=1s,min=0s,max=deadline,adapt=2`. Every duration is a
//! [`crate::duration`] of at most [`LIMIT`]. `max=deadline` (the default) lets an auto drain last
//! until the grace period's budget: the grace period less the safety margin less the time the
//! stops need ([`budget`]).
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::duration::{self, DurationError, Limit};

/// The longest duration `run` and `prestop` accept anywhere: nothing they wait for takes a day.
pub const LIMIT: Limit = Limit { max: Duration::from_secs(24 * 3600), text: "24h" };
/// `--grace-period`'s default: Kubernetes' `terminationGracePeriodSeconds` default.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(30);
/// `--safety-margin`'s default: how long before the grace period ends lameduck kills what is left.
pub const DEFAULT_SAFETY_MARGIN: Duration = Duration::from_secs(2);
/// Time a drain always leaves before the deadline for the stops (requests in flight finishing,
/// php-fpm's FastCGI connections), unless the configured stop timeouts add up to more.
pub const STOP_RESERVE: Duration = Duration::from_secs(5);
/// `max=deadline`: the auto drain's default, no limit of its own.
const MAX_DEADLINE: &str = "deadline";
const HINT: &str = "write none, fixed:5s, auto or auto:quiet=1s,min=0s,max=deadline,adapt=2";

/// How to drain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrainSpec {
    /// Wait this long (`none` is `fixed:0s`).
    Fixed(Duration),
    /// Watch traffic. `max: None` = until the deadline the drain is given.
    Auto { quiet: Duration, min: Duration, max: Option<Duration>, adapt: u32 },
}

/// Why a `--drain` value is rejected; each message starts with `--drain TEXT:`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrainError {
    #[error("--drain {text}: {source}")]
    Duration { text: String, source: DurationError },
    #[error("--drain {text}: `{option}` is not key=value")]
    NotKeyValue { text: String, option: String },
    #[error(
        "--drain {text}: adapt={value} is not a whole number from 0 to 100 (0 turns adapting off)"
    )]
    Adapt { text: String, value: String },
    #[error("--drain {text}: unknown option `{key}`; {HINT}")]
    UnknownOption { text: String, key: String },
    #[error("--drain {text}: min is larger than max")]
    MinAboveMax { text: String },
    #[error("--drain {text}: {HINT}")]
    Unknown { text: String },
}

impl Default for DrainSpec {
    fn default() -> Self {
        DrainSpec::Auto { quiet: Duration::from_secs(1), min: Duration::ZERO, max: None, adapt: 2 }
    }
}

/// How long `max=deadline` lets a drain last: the grace period less the safety margin less the
/// stops' reserve.
pub fn budget(grace_period: Duration, safety_margin: Duration) -> Duration {
    grace_period.saturating_sub(safety_margin).saturating_sub(STOP_RESERVE)
}

impl DrainSpec {
    /// The longest the drain can take by itself; `None` = until its deadline.
    pub fn max(&self) -> Option<Duration> {
        match self {
            DrainSpec::Fixed(duration) => Some(*duration),
            DrainSpec::Auto { max, .. } => *max,
        }
    }

    /// The shortest time the drain keeps serving before the stop begins. `adapt` only lengthens
    /// a drain, so it does not count.
    pub fn least(&self) -> Duration {
        match self {
            DrainSpec::Fixed(duration) => *duration,
            DrainSpec::Auto { quiet, min, max, .. } => {
                (*min).max(*quiet).min(max.unwrap_or(Duration::MAX))
            }
        }
    }

    /// The drain with `max=deadline` replaced by the `budget` it gets from the grace period.
    pub fn within(self, budget: Duration) -> DrainSpec {
        match self {
            DrainSpec::Auto { quiet, min, max: None, adapt } => {
                DrainSpec::Auto { quiet, min: min.min(budget), max: Some(budget), adapt }
            }
            other => other,
        }
    }
}

impl fmt::Display for DrainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = duration::seconds;
        match self {
            DrainSpec::Fixed(d) => write!(f, "fixed:{}s", seconds(*d)),
            DrainSpec::Auto { quiet, min, max, adapt } => write!(
                f,
                "auto:quiet={}s,min={}s,max={},adapt={adapt}",
                seconds(*quiet),
                seconds(*min),
                max.map_or(MAX_DEADLINE.to_string(), |max| format!("{}s", seconds(max)))
            ),
        }
    }
}

impl FromStr for DrainSpec {
    type Err = DrainError;

    fn from_str(text: &str) -> Result<Self, DrainError> {
        let (kind, options) = text.split_once(':').unwrap_or((text, ""));
        let parse_duration = |value: &str| {
            duration::parse_within(value, LIMIT)
                .map_err(|source| DrainError::Duration { text: text.to_string(), source })
        };
        match kind {
            "none" if options.is_empty() => Ok(DrainSpec::Fixed(Duration::ZERO)),
            "fixed" => Ok(DrainSpec::Fixed(parse_duration(options)?)),
            "auto" => parse_auto(text, options, parse_duration),
            _ => Err(DrainError::Unknown { text: text.to_string() }),
        }
    }
}

fn parse_auto(
    text: &str,
    options: &str,
    parse_duration: impl Fn(&str) -> Result<Duration, DrainError>,
) -> Result<DrainSpec, DrainError> {
    let DrainSpec::Auto { mut quiet, mut min, mut max, mut adapt } = DrainSpec::default() else {
        unreachable!("the default drain is auto")
    };
    for option in options.split(',').filter(|option| !option.is_empty()) {
        let (key, value) = option.split_once('=').ok_or_else(|| DrainError::NotKeyValue {
            text: text.to_string(),
            option: option.to_string(),
        })?;
        match key {
            "adapt" => {
                adapt = value.parse().ok().filter(|factor| *factor <= 100).ok_or_else(|| {
                    DrainError::Adapt { text: text.to_string(), value: value.to_string() }
                })?
            }
            "max" if value == MAX_DEADLINE => max = None,
            "quiet" => quiet = parse_duration(value)?,
            "min" => min = parse_duration(value)?,
            "max" => max = Some(parse_duration(value)?),
            _ => {
                return Err(DrainError::UnknownOption {
                    text: text.to_string(),
                    key: key.to_string(),
                })
            }
        }
    }
    if max.is_some_and(|max| min > max) {
        return Err(DrainError::MinAboveMax { text: text.to_string() });
    }
    Ok(DrainSpec::Auto { quiet, min, max, adapt })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn parses_every_form() {
        assert_eq!("none".parse(), Ok(DrainSpec::Fixed(Duration::ZERO)));
        assert_eq!("fixed:1min".parse(), Ok(DrainSpec::Fixed(secs(60))));
        assert_eq!("auto".parse(), Ok(DrainSpec::default()));
        assert_eq!(
            "auto:quiet=2s,min=5s,max=48s,adapt=0".parse(),
            Ok(DrainSpec::Auto { quiet: secs(2), min: secs(5), max: Some(secs(48)), adapt: 0 })
        );
        assert_eq!("auto:max=deadline".parse::<DrainSpec>().unwrap().max(), None);
    }

    #[test]
    fn rejects_what_run_rejects() {
        for text in [
            "5s",
            "none:5s",
            "fixed:1d1s",
            "fixed:",
            "auto:min=5s,max=2s",
            "auto:adapt=101",
            "auto:adapt=-1",
            "auto:quiet",
            "auto:bogus=1s",
            "auto:max=forever",
        ] {
            assert!(text.parse::<DrainSpec>().is_err(), "{text}");
        }
        assert!("fixed:1d".parse::<DrainSpec>().is_ok());
    }

    #[test]
    fn display_reads_back() {
        for text in ["fixed:5s", "auto", "auto:quiet=1.5s,min=2s,max=48s,adapt=3"] {
            let spec: DrainSpec = text.parse().unwrap();
            assert_eq!(spec.to_string().parse::<DrainSpec>(), Ok(spec));
        }
    }

    #[test]
    fn the_default_lasts_until_the_grace_periods_budget() {
        let budget = budget(DEFAULT_GRACE_PERIOD, DEFAULT_SAFETY_MARGIN);
        assert_eq!(budget, secs(23));
        let spec = DrainSpec::default().within(budget);
        assert_eq!(spec.max(), Some(secs(23)));
        assert_eq!(spec.least(), secs(1));
        assert_eq!(super::budget(secs(5), secs(2)), Duration::ZERO);
    }
}
