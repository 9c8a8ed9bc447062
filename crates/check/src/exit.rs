//! Exit codes of `lameduck check`, in one place.
use std::process::ExitCode;

/// No findings at or above `--fail-level`, and every file parsed.
pub const CLEAN: u8 = 0;
/// At least one finding at or above `--fail-level`.
pub const FINDINGS: u8 = 1;
/// Bad usage (unknown rule, unreadable path, bad config) or a file that could not be parsed.
pub const USAGE_OR_PARSE: u8 = 2;

pub fn code(value: u8) -> ExitCode {
    ExitCode::from(value)
}
