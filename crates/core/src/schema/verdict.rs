//! A lab scenario's verdict: did the run show what the scenario expects?
use serde::{Deserialize, Serialize};

/// The verdict of one lab scenario, spelled on the wire as the lab's table prints it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Verdict {
    /// The run showed what the scenario expects.
    #[serde(rename = "reproduced")]
    Reproduced,
    /// The run did not show it; the scenario's `reason` says why.
    #[serde(rename = "NOT reproduced")]
    NotReproduced,
    /// The run was stopped (Ctrl-C) before the scenario finished.
    #[serde(rename = "interrupted")]
    Interrupted,
    /// The scenario has no `expect`: it only measures.
    #[default]
    #[serde(rename = "no expectation")]
    NoExpectation,
    /// The lab itself failed during the run (a panicked task): nothing was shown either way.
    #[serde(rename = "lab error")]
    LabError,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 5] = [
        Verdict::Reproduced,
        Verdict::NotReproduced,
        Verdict::Interrupted,
        Verdict::NoExpectation,
        Verdict::LabError,
    ];

    /// The verdict spelled `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|verdict| verdict.name() == name)
    }

    /// The verdict as the table, the HTML report and `result.json` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::NotReproduced => "NOT reproduced",
            Verdict::Interrupted => "interrupted",
            Verdict::NoExpectation => "no expectation",
            Verdict::LabError => "lab error",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_wire_spelling() {
        for verdict in Verdict::ALL {
            assert_eq!(serde_json::to_value(verdict).unwrap(), verdict.name());
            assert_eq!(Verdict::from_name(verdict.name()), Some(verdict));
        }
    }
}
