//! The values of `lameduck.toml` that take more than one shape (a duration, a command), read
//! with their own serde visitors: serde's untagged enums answer a wrong shape with "data did not
//! match any variant of untagged enum …", which names an internal type and not what to write.
use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::duration;

/// What a duration must look like, as said in error messages.
const DURATION_HINT: &str = "a duration: a whole number of seconds from 0 to 86400 (30), or text \
                             such as \"30s\", \"500ms\" or \"1m30s\"";

/// A duration as written in the file, checked (and its key named) by [`DurationValue::resolve`].
#[derive(Debug, Clone, PartialEq)]
pub enum DurationValue {
    Seconds(i64),
    Fraction(f64),
    Text(String),
}

impl DurationValue {
    /// The duration, or an error naming `key` and what it accepts. Bounded like the flags (see
    /// [`duration::LIMIT`]).
    pub fn resolve(&self, key: &str) -> Result<Duration, String> {
        let result = match self {
            DurationValue::Seconds(seconds) if *seconds < 0 => {
                Err(format!("{seconds} is negative; write {DURATION_HINT}"))
            }
            DurationValue::Seconds(seconds) => {
                duration::from_whole_seconds(seconds.unsigned_abs()).map_err(|e| e.to_string())
            }
            DurationValue::Fraction(seconds) if *seconds < 0.0 => {
                Err(format!("{seconds} is negative; write {DURATION_HINT}"))
            }
            DurationValue::Fraction(seconds) => {
                duration::parse(&seconds.to_string()).map_err(|e| e.to_string())
            }
            DurationValue::Text(text) => duration::parse(text).map_err(|e| e.to_string()),
        };
        result.map_err(|e| format!("{key}: {e}"))
    }
}

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = DurationValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DURATION_HINT)
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<DurationValue, E> {
                Ok(DurationValue::Seconds(value))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<DurationValue, E> {
                Ok(DurationValue::Seconds(i64::try_from(value).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<DurationValue, E> {
                Ok(DurationValue::Fraction(value))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<DurationValue, E> {
                Ok(DurationValue::Text(value.to_string()))
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

/// A command: one string split like a shell would, or a list of words.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandValue {
    Words(Vec<String>),
    Line(String),
}

impl<'de> Deserialize<'de> for CommandValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CommandVisitor;
        impl<'de> Visitor<'de> for CommandVisitor {
            type Value = CommandValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a command: one string such as \"php-fpm -F\", or a list of words such as \
                     [\"php-fpm\", \"-F\"]",
                )
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<CommandValue, E> {
                Ok(CommandValue::Line(value.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CommandValue, A::Error> {
                let mut words = Vec::new();
                while let Some(word) = seq.next_element::<String>()? {
                    words.push(word);
                }
                Ok(CommandValue::Words(words))
            }
        }
        deserializer.deserialize_any(CommandVisitor)
    }
}
