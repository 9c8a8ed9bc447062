//! Reading `codes` maps (`{"200": 98, "502": 2}`): HTTP statuses as JSON object keys.
//!
//! serde reads a text key into a `u16` only when it deserializes straight from JSON; inside a
//! `type`-tagged `--timeline` line the record is buffered first and the key stays text, so
//! the keys are read as text here and parsed, with an error naming the bad key.
use std::collections::BTreeMap;

use serde::de::Error;
use serde::{Deserialize, Deserializer};

/// Counts per HTTP status, keys written as text.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<u16, u64>, D::Error> {
    let text_keys = BTreeMap::<String, u64>::deserialize(d)?;
    text_keys
        .into_iter()
        .map(|(status, n)| match status.parse::<u16>() {
            Ok(code) => Ok((code, n)),
            Err(_) => Err(D::Error::custom(format!(
                "`{status}` is not an HTTP status (the keys of `codes` are status codes)"
            ))),
        })
        .collect()
}
