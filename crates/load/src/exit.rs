//! Exit codes of `lameduck load`, in one place so scripts and CI can rely on them.
use std::process::ExitCode;

/// Every threshold passed (or none was given) and every `--exec-at` command succeeded.
pub const PASS: u8 = 0;
/// At least one `--fail-on` threshold was crossed, or an `--exec-at` command failed (unless
/// `--exec-may-fail`).
pub const FAILED: u8 = 1;
/// Bad flags, schedule, URL, header, threshold or YAML; or the run could not start.
pub const USAGE: u8 = 2;
/// Stopped by Ctrl-C or SIGTERM, after printing the summary of the run so far (128 + SIGINT, as
/// shells report it).
pub const INTERRUPTED: u8 = 130;

pub fn code(value: u8) -> ExitCode {
    ExitCode::from(value)
}
