//! `--color auto|always|never` and `NO_COLOR`: whether the lab colours what it prints.
//!
//! `NO_COLOR` set to a non-empty value means never unless `--color always`; `auto` colours only
//! a terminal. Only the verdicts are coloured, and always next to their words, so nothing is
//! said by colour alone.
use std::io::IsTerminal;

use crate::result::Verdict;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is (or is not) a terminal, given `NO_COLOR`'s value.
    pub fn decide(self, terminal: bool, no_color: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && no_color.is_none_or(str::is_empty),
        }
    }

    /// [`ColorChoice::decide`] for standard output and standard error.
    pub fn for_stdout(self) -> bool {
        self.decide(std::io::stdout().is_terminal(), no_color().as_deref())
    }

    pub fn for_stderr(self) -> bool {
        self.decide(std::io::stderr().is_terminal(), no_color().as_deref())
    }
}

fn no_color() -> Option<String> {
    std::env::var_os("NO_COLOR").map(|v| v.to_string_lossy().into_owned())
}

/// The colour of a verdict: green when the run came out as expected, red when it did not or
/// could not be judged, yellow when it was cut short; `None` when it states nothing.
fn verdict_code(verdict: &str) -> Option<&'static str> {
    match Verdict::from_name(verdict)? {
        Verdict::Reproduced => Some("32"),
        Verdict::NotReproduced | Verdict::LabError => Some("31;1"),
        Verdict::Interrupted => Some("33"),
        Verdict::NoExpectation => None,
    }
}

/// `text` (a verdict, or a line ending in one) in the verdict's colour when `on`.
pub fn verdict(text: &str, verdict: &str, on: bool) -> String {
    match verdict_code(verdict) {
        Some(code) if on => format!("\x1b[{code}m{text}\x1b[0m"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins_over_auto_but_not_over_always() {
        assert!(ColorChoice::Auto.decide(true, None));
        assert!(ColorChoice::Auto.decide(true, Some("")), "an empty NO_COLOR is unset");
        assert!(!ColorChoice::Auto.decide(true, Some("1")));
        assert!(!ColorChoice::Auto.decide(false, None), "auto colours only a terminal");
        assert!(ColorChoice::Always.decide(false, Some("1")));
        assert!(!ColorChoice::Never.decide(true, None));
        assert_eq!(verdict("reproduced", "reproduced", false), "reproduced");
        assert_eq!(verdict("reproduced", "reproduced", true), "\x1b[32mreproduced\x1b[0m");
    }
}
