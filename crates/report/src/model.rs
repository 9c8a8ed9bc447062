//! Read-only views of the JSON that `lameduck load` and `lameduck lab` write.
//!
//! These mirror the load `Report`/`SecondRecord`/`Event` and the lab `result.json` field by
//! field, without depending on those crates (they depend on this one). Every field has a
//! default so that fields added later, or missing from older files, never stop a report from
//! rendering.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// One second of a load timeline (the load `SecondRecord`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Second {
    pub t: u64,
    pub sent: u64,
    pub completed: u64,
    pub ok: u64,
    pub failed: u64,
    /// Keys are HTTP statuses; kept as text because JSON object keys are text.
    pub codes: BTreeMap<String, u64>,
    pub net: BTreeMap<String, u64>,
    pub dropped: u64,
    pub latency_ms: Latency,
    /// The second's latencies as `[value_us, count]` buckets (see [`crate::latency`]).
    pub latency_hist_us: Vec<[u64; 2]>,
    /// Latency of the OK responses (2xx, 3xx) alone; absent from files older than timeline
    /// schema 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ok_ms: Option<Latency>,
    /// The OK latencies as `[value_us, count]` buckets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub latency_ok_hist_us: Vec<[u64; 2]>,
}

impl Second {
    /// Latency of the second's failed responses (error statuses and network errors): every
    /// response's histogram less the OK responses'. `None` without failures, or in a file that
    /// lacks either histogram.
    pub fn failed_latency(&self) -> Option<Latency> {
        if self.latency_ok_ms.is_none() || self.latency_hist_us.is_empty() {
            return None;
        }
        let failed = crate::latency::difference(&self.latency_hist_us, &self.latency_ok_hist_us);
        (!failed.is_empty()).then(|| crate::latency::percentiles(&failed))
    }
}

/// A load event (`exec_start`, `exec_exit`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadEvent {
    pub t_ms: u64,
    pub kind: String,
    pub label: String,
    pub exit_code: Option<i32>,
}

/// One `--fail-on` verdict, as `--format json` adds them under `thresholds`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Verdict {
    pub threshold: String,
    pub crossed: bool,
    pub actual: String,
}

/// What became of one `--exec-at` command (the load `ExecResult`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecResult {
    pub at_ms: u64,
    pub command: String,
    pub status: String,
    pub succeeded: bool,
}

/// The first record of a `--timeline` file: what was run and when, written as the run starts
/// (so even a timeline cut short by a crash says it). `lameduck load` writes this very type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimelineHeader {
    /// [`TIMELINE_SCHEMA_VERSION`] when written.
    pub schema_version: u32,
    /// The version of lameduck that wrote it.
    pub version: String,
    pub schedule: String,
    pub targets: Vec<String>,
    /// The `--fail-on` expressions; their verdicts are in the summary record at the end.
    pub thresholds: Vec<String>,
    /// Wall-clock start, RFC 3339 in UTC.
    pub started: String,
    pub started_unix_ms: u64,
    /// How long the schedule lasts, in seconds.
    pub planned_duration_s: f64,
    /// `I/N` when the run sent one shard of the schedule (`lameduck load --shard`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// The version of the `--timeline` records: 1 adds the header and summary records; 2 adds the
/// OK responses' latency (`latency_ok_ms`, `latency_ok_hist_us`) to seconds and summary.
pub const TIMELINE_SCHEMA_VERSION: u32 = 2;

/// The load `Report` (plus the `thresholds`, `failures` and `exec_may_fail` that
/// `--format json` adds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadReport {
    pub schedule: String,
    pub targets: Vec<String>,
    /// `I/N` for one shard's run; `merged N shards` for a merge.
    pub shard: Option<String>,
    pub started_unix_ms: u64,
    pub duration_s: f64,
    pub stopped_early: bool,
    pub requests: u64,
    pub ok: u64,
    pub failed: u64,
    pub codes: BTreeMap<String, u64>,
    pub net: BTreeMap<String, u64>,
    pub dropped: u64,
    pub rps: f64,
    pub latency_ms: Latency,
    /// OK responses' latency over the run; absent from older files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ok_ms: Option<Latency>,
    pub send_lag_ms: Latency,
    pub seconds: Vec<Second>,
    pub events: Vec<LoadEvent>,
    pub exec: Vec<ExecResult>,
    pub thresholds: Vec<Verdict>,
    /// Every reason the run failed (exit status 1): crossed thresholds and failed `--exec-at`
    /// commands.
    pub failures: Vec<String>,
    /// Failed `--exec-at` commands were allowed (`--exec-may-fail`).
    pub exec_may_fail: bool,
    /// Rebuilt from a `--timeline` file without its summary record (an older file, or a run
    /// that did not end cleanly): totals are sums of the seconds, and whole-run percentiles
    /// are unknown.
    #[serde(skip)]
    pub from_timeline: bool,
}

impl LoadReport {
    /// The report a `--timeline` file holds. With its summary record (written when the run
    /// ends) it is exactly the `--format json` report; without, the totals are summed from
    /// the seconds and the header, if any, gives the schedule, targets and start.
    pub fn from_timeline_records(
        header: Option<TimelineHeader>,
        summary: Option<LoadReport>,
        seconds: Vec<Second>,
        events: Vec<LoadEvent>,
    ) -> LoadReport {
        if let Some(mut report) = summary {
            report.seconds = seconds;
            report.events = events;
            return report;
        }
        let mut report = LoadReport::from_timeline(seconds, events);
        if let Some(header) = header {
            let sent = report.seconds.iter().map(|s| s.sent).sum();
            let sending_s = match header.planned_duration_s {
                planned if planned > 0.0 => planned.min(report.duration_s),
                _ => report.duration_s,
            };
            report.rps = crate::achieved_rate(sent, sending_s);
            report.schedule = header.schedule;
            report.targets = header.targets;
            report.shard = header.shard;
            report.started_unix_ms = header.started_unix_ms;
        }
        report
    }

    /// A report rebuilt from the seconds and events of a `--timeline` file alone: the totals
    /// are summed from the seconds.
    pub fn from_timeline(seconds: Vec<Second>, events: Vec<LoadEvent>) -> LoadReport {
        let mut report = LoadReport::default();
        let mut sent = 0;
        for s in &seconds {
            sent += s.sent;
            report.requests += s.completed;
            report.ok += s.ok;
            report.failed += s.failed;
            report.dropped += s.dropped;
            for (code, n) in &s.codes {
                *report.codes.entry(code.clone()).or_default() += n;
            }
            for (name, n) in &s.net {
                *report.net.entry(name.clone()).or_default() += n;
            }
            report.latency_ms.max = report.latency_ms.max.max(s.latency_ms.max);
        }
        report.duration_s = seconds.last().map_or(0.0, |s| (s.t + 1) as f64);
        report.rps = crate::achieved_rate(sent, report.duration_s);
        report.from_timeline = true;
        report.seconds = seconds;
        report.events = events;
        report
    }
}

/// A lab event: something the lab did to a pod or saw it do.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LabEvent {
    pub ms: u64,
    pub pod: String,
    pub container: String,
    pub kind: String,
    pub detail: String,
}

/// One container's termination phases, in ms on the scenario's axis.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ContainerPhases {
    pub container: String,
    pub prestop_start_ms: Option<u64>,
    pub prestop_end_ms: Option<u64>,
    pub signal: Option<String>,
    pub signal_ms: Option<u64>,
    pub sigkill_ms: Option<u64>,
    pub exit_ms: Option<u64>,
    pub exit: Option<String>,
}

/// One pod's termination.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PodPhases {
    pub pod: String,
    pub deleted_ms: u64,
    pub endpoint_removed_ms: Option<u64>,
    pub gone_ms: u64,
    pub termination_seconds: f64,
    pub containers: Vec<ContainerPhases>,
}

/// Median and maximum termination time of a scenario's pods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Termination {
    pub median: f64,
    pub max: f64,
}

/// One scenario of a lab run.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub article: String,
    pub expected: String,
    pub requests: u64,
    pub failed: u64,
    pub codes: BTreeMap<String, u64>,
    pub net: BTreeMap<String, u64>,
    pub termination_seconds: Termination,
    pub verdict: String,
    pub reason: String,
    pub dir: String,
    /// When the load started on the event log's axis: timeline second 0 is this ms.
    pub load_started_ms: u64,
    pub timeline: Vec<Second>,
    pub events: Vec<LabEvent>,
    pub pods: Vec<PodPhases>,
}

/// A lab `result.json` (or the `--format json` summary, which has no timelines).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LabResult {
    pub run_dir: String,
    pub scenarios: Vec<Scenario>,
}
