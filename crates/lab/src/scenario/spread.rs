//! Durations drawn from a distribution, seeded: an endpoint lag (`ingress.lag`) or how long a
//! request works (`load.duration`). The same seed draws the same values, run after run.
//!
//! `{uniform: [10s, 60s]}` draws evenly between the two bounds (to the millisecond);
//! `{choose: [{value: 200ms, weight: 3}, {value: 2s, weight: 1}]}` picks one value by weight.
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Dur;
use crate::rng::Rng;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Spread {
    /// Evenly between the two bounds, both included.
    Uniform([Dur; 2]),
    /// One of the values, each as likely as its weight says.
    Choose(Vec<Choice>),
}

/// The mapping a [`Spread`] is written as; serde_yaml would read an enum only from a YAML
/// tag (`!uniform`), so the two forms are fields of which exactly one is given.
#[derive(Deserialize)]
#[serde(
    expecting = "a distribution: {uniform: [MIN, MAX]} or {choose: [{value: 1s, weight: 1}, ...]}",
    deny_unknown_fields
)]
struct SpreadFields {
    #[serde(default)]
    uniform: Option<[Dur; 2]>,
    #[serde(default)]
    choose: Option<Vec<Choice>>,
}

impl<'de> Deserialize<'de> for Spread {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match SpreadFields::deserialize(d)? {
            SpreadFields { uniform: Some(bounds), choose: None } => Ok(Spread::Uniform(bounds)),
            SpreadFields { uniform: None, choose: Some(choices) } => Ok(Spread::Choose(choices)),
            _ => Err(serde::de::Error::custom(
                "a distribution needs exactly one of `uniform: [MIN, MAX]` or `choose: [...]`",
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(expecting = "a choice such as {value: 1s, weight: 1}", deny_unknown_fields)]
pub struct Choice {
    pub value: Dur,
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

impl Spread {
    /// A distribution that always gives `value`.
    pub fn fixed(value: Dur) -> Spread {
        Spread::Uniform([value, value])
    }

    /// Draws one value.
    pub fn sample(&self, rng: &mut Rng) -> Duration {
        match self {
            Spread::Uniform([low, high]) => {
                let span = high.0.saturating_sub(low.0).as_millis() as u64;
                low.0 + Duration::from_millis(rng.below(span + 1))
            }
            Spread::Choose(choices) => {
                let weights: Vec<u64> = choices.iter().map(|c| u64::from(c.weight)).collect();
                choices.get(pick_weighted(&weights, rng)).map_or(Duration::ZERO, |c| c.value.0)
            }
        }
    }

    /// The largest value it can give.
    pub fn max(&self) -> Duration {
        match self {
            Spread::Uniform([_, high]) => high.0,
            Spread::Choose(choices) => {
                choices.iter().filter(|c| c.weight > 0).map(|c| c.value.0).max().unwrap_or_default()
            }
        }
    }

    /// What is wrong with it, if anything: bounds in the wrong order, no weight to draw by.
    pub fn problem(&self) -> Option<String> {
        match self {
            Spread::Uniform([low, high]) if low > high => {
                Some(format!("uniform: [{low}, {high}] has its bounds the wrong way round"))
            }
            Spread::Choose(choices) if choices.iter().all(|c| c.weight == 0) => {
                Some("choose: needs at least one value with a weight above 0".into())
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Spread::Uniform([low, high]) if low == high => write!(f, "{low}"),
            Spread::Uniform([low, high]) => write!(f, "{low}–{high}"),
            Spread::Choose(choices) => {
                let items: Vec<String> =
                    choices.iter().map(|c| format!("{}×{}", c.value, c.weight)).collect();
                write!(f, "one of {}", items.join(", "))
            }
        }
    }
}

/// An index into `weights`, each as likely as its weight (0 when they are all 0).
pub fn pick_weighted(weights: &[u64], rng: &mut Rng) -> usize {
    let mut left = rng.below(weights.iter().sum());
    for (index, weight) in weights.iter().enumerate() {
        if left < *weight {
            return index;
        }
        left -= weight;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Spread {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn the_same_seed_draws_the_same_values() {
        let spread = parse("{uniform: [10s, 60s]}");
        let draw = |seed| {
            let mut rng = Rng::new(seed);
            (0..50).map(|_| spread.sample(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let values = draw(7);
        assert!(values.iter().all(|v| (10..=60).contains(&v.as_secs())), "{values:?}");
        // Spread over the range, not stuck at one end.
        assert!(values.iter().any(|v| v.as_secs() < 25) && values.iter().any(|v| v.as_secs() > 45));
    }

    #[test]
    fn choose_follows_the_weights_and_never_picks_weight_zero() {
        let spread = parse(
            "{choose: [{value: 1s, weight: 3}, {value: 2s, weight: 1}, {value: 9s, weight: 0}]}",
        );
        let mut rng = Rng::new(1);
        let draws: Vec<_> = (0..4000).map(|_| spread.sample(&mut rng).as_secs()).collect();
        let ones = draws.iter().filter(|v| **v == 1).count();
        assert!((2800..3200).contains(&ones), "{ones} of 4000 at weight 3/4");
        assert!(!draws.contains(&9));
        assert_eq!(spread.max(), Duration::from_secs(2));
    }

    #[test]
    fn reversed_bounds_and_zero_weights_are_problems() {
        assert!(parse("{uniform: [2s, 1s]}").problem().unwrap().contains("wrong way round"));
        assert!(parse("{choose: [{value: 1s, weight: 0}]}").problem().is_some());
        assert_eq!(parse("{uniform: [1s, 2s]}").problem(), None);
        assert_eq!(Spread::fixed(Dur::from_millis(1500)).to_string(), "1500ms");
    }
}
