//! The load report (`lameduck load --format json`), its per-second record and the lines of a
//! `--timeline` file.
//!
//! The report's records are the timeline's, so one version, [`TIMELINE_SCHEMA_VERSION`],
//! covers both.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::events::Event;
use super::latency::{self, Buckets, LatencyMs};

/// The version of the load report and of the `--timeline` records: 1 adds the header and
/// summary records; 2 adds the OK responses' latency (`latency_ok_ms`, `latency_ok_hist_us`)
/// to seconds and summary. Files without `schema_version` are older than 1.
pub const TIMELINE_SCHEMA_VERSION: u32 = 2;

/// One second of the run. Completions (and their codes, network outcomes and latencies) are
/// counted in the second they *finished*, as Yandex.Tank does; `sent`, `late` and `dropped`
/// in the second they were *scheduled*.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SecondRecord {
    /// Seconds since the start of the run: this record covers `[t, t+1)`.
    pub t: u64,
    /// Requests scheduled and sent in this second.
    pub sent: u64,
    /// Requests that finished in this second, whatever the outcome.
    pub completed: u64,
    /// Finished with a 2xx or 3xx status.
    pub ok: u64,
    /// Finished with any other status or a network outcome.
    pub failed: u64,
    /// Count per exact HTTP status, e.g. `{"200": 98, "502": 2}`.
    #[serde(deserialize_with = "super::status_codes::deserialize")]
    pub codes: BTreeMap<u16, u64>,
    /// Count per network outcome (see [`super::NetOutcome`]), e.g. `{"refused": 3}`.
    pub net: BTreeMap<String, u64>,
    /// Sends skipped: with `--when-full drop`, because `max_in_flight` requests were
    /// outstanding at their instant; by default, because waiting for one to finish would have
    /// made them later than the request timeout.
    pub dropped: u64,
    /// Of `sent`, the sends that found `max_in_flight` requests outstanding at their instant
    /// and left late, once one finished (their latency counts from the scheduled instant).
    /// Absent (0) from files written before sends waited.
    #[serde(default)]
    pub late: u64,
    /// Latency of the requests that finished in this second.
    pub latency_ms: LatencyMs,
    /// The same latencies as a sparse histogram (see [`super::latency`]), so that seconds of
    /// several runs merge exactly (`lameduck report merge`). Absent when the second had none,
    /// and from files written before the histograms were added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub latency_hist_us: Buckets,
    /// Latency of the OK responses (2xx, 3xx) that finished in this second: unlike
    /// `latency_ms`, fast error responses during an outage do not pull it down. Zero when the
    /// second had none. Absent (`None`) from files older than timeline schema 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ok_ms: Option<LatencyMs>,
    /// The OK latencies as a sparse histogram, like `latency_hist_us` (absent when empty or
    /// older than schema 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub latency_ok_hist_us: Buckets,
}

impl SecondRecord {
    /// Latency of the second's failed responses (error statuses and network errors): every
    /// response's histogram less the OK responses'. `None` without failures, or in a file that
    /// lacks either histogram.
    pub fn failed_latency(&self) -> Option<LatencyMs> {
        if self.latency_ok_ms.is_none() || self.latency_hist_us.is_empty() {
            return None;
        }
        let failed = latency::difference(&self.latency_hist_us, &self.latency_ok_hist_us);
        (!failed.is_empty()).then(|| latency::percentiles(&failed))
    }

    /// The second's failures by name: statuses ≥ 500 and network outcomes, zero counts left
    /// out (4xx answers are the client's business, not an outage).
    pub fn failures(&self) -> BTreeMap<String, u64> {
        let codes = self.codes.iter().filter(|(code, _)| **code >= 500);
        let codes = codes.map(|(code, n)| (code.to_string(), *n));
        let net = self.net.iter().map(|(name, n)| (name.clone(), *n));
        codes.chain(net).filter(|(_, n)| *n > 0).collect()
    }
}

/// What became of one `--exec-at` command.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExecResult {
    /// Its offset into the run, in milliseconds.
    pub at_ms: u64,
    pub command: String,
    /// `exit 0`, `exit 1`, `killed by signal 9`, `failed to start: …`, `killed: still running
    /// when the run ended`, or `not started: the run was stopped first`.
    pub status: String,
    /// It ran and exited with status 0.
    pub succeeded: bool,
}

/// One `--fail-on` threshold and how the run measured against it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ThresholdVerdict {
    /// The expression as written, e.g. `http(5xx)>0.1%`.
    pub threshold: String,
    /// The run crossed it (and so failed).
    pub crossed: bool,
    /// The measured value in the threshold's unit, e.g. `0.35% (35 of 10000)`.
    pub actual: String,
}

/// Everything a run measured: what `lameduck load --format json` prints, what the library's
/// `run` returns, and (without `seconds` and `events`) the `--timeline` summary record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LoadReport {
    /// [`TIMELINE_SCHEMA_VERSION`] when written; absent (0) from files older than version 1.
    #[serde(default)]
    pub schema_version: u32,
    /// The schedule as run, in Tank's grammar.
    pub schedule: String,
    /// The target URLs, in the order requests go to them. Absent from the earliest files.
    #[serde(default)]
    pub targets: Vec<String>,
    /// `I/N` when this run sent one shard of the schedule (`--shard`); `merged N shards` for
    /// a merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Wall-clock start of the run, milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// Seconds from the start to the last completion.
    pub duration_s: f64,
    /// True when the run was stopped early (Ctrl-C or a stop handle).
    pub stopped_early: bool,
    /// Requests sent (each has exactly one outcome: a status or a network outcome).
    pub requests: u64,
    /// Requests that got a 2xx or 3xx response.
    pub ok: u64,
    /// Requests that got any other status or a network outcome.
    pub failed: u64,
    /// Count per exact HTTP status.
    #[serde(deserialize_with = "super::status_codes::deserialize")]
    pub codes: BTreeMap<u16, u64>,
    /// Count per network outcome name.
    pub net: BTreeMap<String, u64>,
    /// Scheduled sends skipped (see [`SecondRecord::dropped`]).
    pub dropped: u64,
    /// Sends that waited for one of `max_in_flight` outstanding requests to finish and left
    /// late (see [`SecondRecord::late`]); they are among `requests`. Absent (0) from files
    /// written before sends waited.
    #[serde(default)]
    pub late: u64,
    /// Achieved send rate: requests sent / time spent sending (the schedule's duration, or
    /// until the stop); see [`achieved_rate`].
    pub rps: f64,
    /// Latency over the whole run, every response (failed ones and network errors too).
    pub latency_ms: LatencyMs,
    /// Latency of the OK responses (2xx, 3xx) over the whole run; absent (`None`) from files
    /// older than timeline schema 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ok_ms: Option<LatencyMs>,
    /// How late sends left compared with their scheduled instant (a health check of the
    /// generator itself: if this grows, the machine running the load is the bottleneck).
    /// Sends that waited for a full window (`late`) are left out: the server held them up,
    /// and their wait is in their latency.
    pub send_lag_ms: LatencyMs,
    /// One record per second, in order. Absent from the `--timeline` summary record, whose
    /// seconds are the file's own lines.
    #[serde(default)]
    pub seconds: Vec<SecondRecord>,
    /// Events on the same time axis, in order. Absent from the `--timeline` summary record.
    #[serde(default)]
    pub events: Vec<Event>,
    /// Each `--exec-at` command's outcome, in the order they were given. Absent from files
    /// written before `--exec-at` reported outcomes.
    #[serde(default)]
    pub exec: Vec<ExecResult>,
    /// Each `--fail-on` threshold's verdict. Empty from the library's `run` (thresholds are
    /// the command line's); absent from a library caller's serialized report.
    #[serde(default)]
    pub thresholds: Vec<ThresholdVerdict>,
    /// Every reason the run failed (exit status 1): crossed thresholds and failed `--exec-at`
    /// commands. Absent like `thresholds`.
    #[serde(default)]
    pub failures: Vec<String>,
    /// Failed `--exec-at` commands were allowed (`--exec-may-fail`). Absent like
    /// `thresholds`.
    #[serde(default)]
    pub exec_may_fail: bool,
    /// Set by a reader that rebuilt this report from a `--timeline` file without its summary
    /// record (an older file, or a run that did not end cleanly): totals are sums of the
    /// seconds, and whole-run percentiles are unknown. Never on the wire.
    #[serde(skip)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub from_timeline: bool,
}

impl LoadReport {
    /// Requests that got an HTTP status in the given class (`5` for 5xx).
    pub fn status_class(&self, class: u16) -> u64 {
        self.codes.iter().filter(|(code, _)| **code / 100 == class).map(|(_, n)| n).sum()
    }

    /// Requests that ended in any network outcome.
    pub fn net_total(&self) -> u64 {
        self.net.values().sum()
    }
}

/// Requests per second actually sent: `sent` over the time spent sending; 0 for no time.
pub fn achieved_rate(sent: u64, sending_s: f64) -> f64 {
    if sending_s > 0.0 {
        sent as f64 / sending_s
    } else {
        0.0
    }
}

/// The first record of a `--timeline` file: what was run and when, written as the run starts
/// (so even a timeline cut short by a crash says it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// One line of a `--timeline` file (JSON lines), tagged by `type`: the header first, a
/// `second` as each closes, an `event` as it happens, and the `summary` (the report without
/// its seconds and events) when the run ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum TimelineLine {
    Header(TimelineHeader),
    Second(SecondRecord),
    Event(Event),
    Summary(Box<LoadReport>),
    /// A line of a type added by a later lameduck: skipped, so newer files still read.
    #[serde(other)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_text_keys_on_the_wire() {
        let second = SecondRecord { codes: BTreeMap::from([(502, 3)]), ..SecondRecord::default() };
        let json = serde_json::to_value(&second).unwrap();
        assert_eq!(json["codes"]["502"], 3);
        assert_eq!(serde_json::from_value::<SecondRecord>(json).unwrap(), second);
    }

    #[test]
    fn only_5xx_and_network_outcomes_are_failures() {
        let second = SecondRecord {
            codes: BTreeMap::from([(200, 90), (404, 3), (499, 1), (500, 2), (502, 4), (503, 0)]),
            net: BTreeMap::from([("timeout".to_string(), 1)]),
            dropped: 7,
            ..SecondRecord::default()
        };
        let names: Vec<_> = second.failures().into_iter().collect();
        assert_eq!(
            names,
            [("500".into(), 2), ("502".into(), 4), ("timeout".into(), 1)],
            "{names:?}"
        );
    }

    #[test]
    fn timeline_lines_are_tagged_and_unknown_types_are_skipped() {
        let line = r#"{"type":"event","t_ms":5,"kind":"stop","label":"stop requested"}"#;
        let TimelineLine::Event(event) = serde_json::from_str(line).unwrap() else { panic!() };
        assert_eq!(event.t_ms, 5);
        let later: TimelineLine = serde_json::from_str(r#"{"type":"progress","x":1}"#).unwrap();
        assert_eq!(later, TimelineLine::Unknown);
        let second = SecondRecord { codes: BTreeMap::from([(200, 2)]), ..SecondRecord::default() };
        let written = serde_json::to_string(&TimelineLine::Second(second.clone())).unwrap();
        assert!(written.starts_with(r#"{"type":"second""#), "{written}");
        let read: TimelineLine = serde_json::from_str(&written).unwrap();
        assert_eq!(read, TimelineLine::Second(second));
        let bad = written.replace(r#""200""#, r#""OK""#);
        let error = serde_json::from_str::<TimelineLine>(&bad).unwrap_err().to_string();
        assert!(error.contains("`OK` is not an HTTP status"), "{error}");
    }

    #[test]
    fn a_report_older_than_versioning_reads_as_version_0() {
        let old = r#"{"schedule":"const(1,1s)","started_unix_ms":0,"duration_s":1.0,
            "stopped_early":false,"requests":1,"ok":1,"failed":0,"codes":{"200":1},"net":{},
            "dropped":0,"rps":1.0,"latency_ms":{"p50":1,"p90":1,"p99":1,"max":1},
            "send_lag_ms":{"p50":0,"p90":0,"p99":0,"max":0},"seconds":[],"events":[]}"#;
        let report: LoadReport = serde_json::from_str(old).unwrap();
        assert_eq!((report.schema_version, report.latency_ok_ms), (0, None));
        let renamed = old.replace("\"requests\"", "\"request_count\"");
        let error = serde_json::from_str::<LoadReport>(&renamed).unwrap_err().to_string();
        assert!(error.contains("requests"), "a missing field is named: {error}");
    }
}
