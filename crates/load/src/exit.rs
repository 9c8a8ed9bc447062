//! Exit codes of `lameduck load`, in one place so scripts and CI can rely on them.
use std::process::ExitCode;

/// Every threshold passed (or none was given).
pub const PASS: u8 = 0;
/// At least one `--fail-on` threshold was crossed.
pub const THRESHOLD_CROSSED: u8 = 1;
/// Bad flags, schedule, URL, header, threshold or YAML; or the run could not start.
pub const USAGE: u8 = 2;

pub fn code(value: u8) -> ExitCode {
    ExitCode::from(value)
}
