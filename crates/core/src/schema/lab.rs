//! The lab's results: `result.json` in the run directory (every scenario with its timeline,
//! events and pod phases) and the `--format json` summary on stdout (one row per scenario).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::events::PodEvent;
use super::load::SecondRecord;
use super::verdict::Verdict;

/// The version of `result.json` and of the `--format json` summary: it changes only when a
/// field changes meaning or goes away (a new field keeps it). Files without `schema_version`
/// are older than 1.
pub const LAB_SCHEMA_VERSION: u32 = 1;

/// A lab run's `result.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LabResult {
    /// [`LAB_SCHEMA_VERSION`] when written; absent (0) from files older than version 1.
    #[serde(default)]
    pub schema_version: u32,
    /// Where the run's logs are.
    pub run_dir: String,
    pub scenarios: Vec<ScenarioResult>,
}

/// Everything about one scenario run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScenarioResult {
    pub name: String,
    pub description: String,
    /// The article section the scenario illustrates.
    pub article: String,
    /// What the scenario expects, in words (empty without `expect`).
    pub expected: String,
    pub requests: u64,
    pub failed: u64,
    /// Count per exact HTTP status the load got.
    #[serde(deserialize_with = "super::status_codes::deserialize")]
    pub codes: BTreeMap<u16, u64>,
    /// Count per network outcome name.
    pub net: BTreeMap<String, u64>,
    pub termination_seconds: Termination,
    pub verdict: Verdict,
    /// Why the verdict is not `reproduced` (empty otherwise).
    pub reason: String,
    /// Where this scenario's logs are.
    pub dir: String,
    /// When the load started, ms on the event log's axis (timeline second 0).
    pub load_started_ms: u64,
    pub timeline: Vec<SecondRecord>,
    pub events: Vec<PodEvent>,
    pub pods: Vec<PodPhases>,
    /// Each failed attempt of the ingress to a pod.
    pub upstream_failures: Vec<UpstreamFailure>,
    /// Requests and failures per kind of request, when the load is a mix (`load.requests`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<KindResult>,
}

/// The requests of one kind in a request mix: its method and client keep-alive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KindResult {
    pub method: String,
    pub keepalive: bool,
    pub requests: u64,
    pub failed: u64,
}

/// Median and maximum termination time of a scenario's pods, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Termination {
    pub median: f64,
    pub max: f64,
}

impl Termination {
    /// The median and maximum of `times`; zeros for none.
    pub fn of(times: &[f64]) -> Self {
        if times.is_empty() {
            return Self::default();
        }
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median =
            if sorted.len() % 2 == 0 { (sorted[mid - 1] + sorted[mid]) / 2.0 } else { sorted[mid] };
        Self { median, max: *sorted.last().unwrap_or(&0.0) }
    }
}

/// One pod's termination, in ms on the scenario's time axis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PodPhases {
    pub pod: String,
    pub deleted_ms: u64,
    /// When the pod left the endpoints (`None` when it never did).
    pub endpoint_removed_ms: Option<u64>,
    pub gone_ms: u64,
    pub termination_seconds: f64,
    pub containers: Vec<ContainerPhases>,
}

/// One container's termination phases, in ms on the scenario's time axis (`None`: did not
/// happen).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContainerPhases {
    pub container: String,
    pub prestop_start_ms: Option<u64>,
    pub prestop_end_ms: Option<u64>,
    /// The stop signal's name, e.g. `SIGQUIT`.
    pub signal: Option<String>,
    pub signal_ms: Option<u64>,
    pub sigkill_ms: Option<u64>,
    pub exit_ms: Option<u64>,
    /// How it exited, e.g. `exit code 0`.
    pub exit: Option<String>,
}

/// One failed attempt of the ingress to a pod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UpstreamFailure {
    pub ms: u64,
    pub pod: String,
    pub cause: Cause,
    /// Whether the request had been written when it failed.
    pub sent: bool,
    /// The status the client got (absent when another try followed).
    pub status: Option<u16>,
    pub attempt: u32,
}

/// Why an attempt of the ingress to a pod failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// Connection refused: nothing listens on the port (any more).
    Refused,
    /// Connection reset by the target.
    Reset,
    /// The target closed the connection before a complete response.
    Closed,
    /// No response head within the ingress timeout (or connect timed out).
    Timeout,
    /// No endpoint to send to.
    NoEndpoints,
    /// The target sent something that is not HTTP.
    Malformed,
    /// The load balancer closed a request still in flight when the target's deregistration
    /// delay ended.
    Deregistered,
}

impl Cause {
    /// The status the client gets when this is the final failure.
    pub fn status(self) -> u16 {
        match self {
            Cause::Timeout => 504,
            Cause::NoEndpoints => 503,
            _ => 502,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Cause::Refused => "connection refused",
            Cause::Reset => "connection reset by the pod",
            Cause::Closed => "pod closed the connection before responding",
            Cause::Timeout => "no response before the timeout",
            Cause::NoEndpoints => "no endpoints",
            Cause::Malformed => "malformed response",
            Cause::Deregistered => "deregistration delay over with the request in flight",
        }
    }
}

/// What `lameduck lab --format json` prints: one row per scenario, without timelines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LabSummary {
    /// [`LAB_SCHEMA_VERSION`] when written; absent (0) from output older than version 1.
    #[serde(default)]
    pub schema_version: u32,
    pub run_dir: String,
    pub scenarios: Vec<ScenarioSummary>,
}

/// One scenario's row of the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScenarioSummary {
    pub name: String,
    pub article: String,
    pub requests: u64,
    pub failed: u64,
    #[serde(deserialize_with = "super::status_codes::deserialize")]
    pub codes: BTreeMap<u16, u64>,
    pub net: BTreeMap<String, u64>,
    pub termination_seconds: Termination,
    pub verdict: Verdict,
    pub reason: String,
}

impl LabSummary {
    /// The summary of a run's results.
    pub fn of(run_dir: &str, results: &[ScenarioResult]) -> Self {
        let scenarios = results.iter().map(ScenarioSummary::of).collect();
        Self { schema_version: LAB_SCHEMA_VERSION, run_dir: run_dir.into(), scenarios }
    }
}

impl ScenarioSummary {
    fn of(r: &ScenarioResult) -> Self {
        Self {
            name: r.name.clone(),
            article: r.article.clone(),
            requests: r.requests,
            failed: r.failed,
            codes: r.codes.clone(),
            net: r.net.clone(),
            termination_seconds: r.termination_seconds,
            verdict: r.verdict,
            reason: r.reason.clone(),
        }
    }
}

impl From<ScenarioSummary> for ScenarioResult {
    /// A result with what the summary has; no timeline, events or pods.
    fn from(s: ScenarioSummary) -> Self {
        ScenarioResult {
            name: s.name,
            article: s.article,
            requests: s.requests,
            failed: s.failed,
            codes: s.codes,
            net: s.net,
            termination_seconds: s.termination_seconds,
            verdict: s.verdict,
            reason: s.reason,
            ..ScenarioResult::default()
        }
    }
}

impl From<LabSummary> for LabResult {
    fn from(s: LabSummary) -> Self {
        let scenarios = s.scenarios.into_iter().map(ScenarioResult::from).collect();
        LabResult { schema_version: s.schema_version, run_dir: s.run_dir, scenarios }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_max() {
        let t = Termination::of(&[3.0, 1.0, 2.0, 10.0]);
        assert_eq!((t.median, t.max), (2.5, 10.0));
        assert_eq!(Termination::of(&[]).max, 0.0);
    }

    #[test]
    fn the_summary_carries_its_schema_version_and_reads_as_a_result() {
        let json = serde_json::to_value(LabSummary::of("/tmp/run", &[])).unwrap();
        assert_eq!(json["schema_version"], LAB_SCHEMA_VERSION);
        assert_eq!(json["run_dir"], "/tmp/run");
        let summary: LabSummary = serde_json::from_value(json).unwrap();
        assert_eq!(LabResult::from(summary).run_dir, "/tmp/run");
    }
}
