//! The serialisable results of a run: totals, per-second records and events.
//!
//! [`Report`] is what `--format json` prints, what `--timeline` streams (one [`SecondRecord`] or
//! [`Event`] per line) and what the HTML report renders, so its field names are part of the
//! public interface: add fields, never rename them.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Latency percentiles in milliseconds (microsecond precision), measured from the *intended*
/// send time so a slow server cannot hide its delay by slowing the sender.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyMs {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// One second of the run. Completions (and their codes, network outcomes and latencies) are
/// counted in the second they *finished*, as Yandex.Tank does; `sent` and `dropped` in the
/// second they were *scheduled*.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    pub codes: BTreeMap<u16, u64>,
    /// Count per network outcome, e.g. `{"refused": 3}`.
    pub net: BTreeMap<String, u64>,
    /// Sends skipped because `max_in_flight` requests were already outstanding.
    pub dropped: u64,
    /// Latency of the requests that finished in this second.
    pub latency_ms: LatencyMs,
    /// The same latencies as a sparse histogram, `[[value_us, count], ...]` (each bucket that
    /// holds one, named by the highest value it stands for), so that seconds of several runs
    /// merge exactly (see `lameduck report merge`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub latency_hist_us: Vec<[u64; 2]>,
    /// Latency of the OK responses (2xx, 3xx) that finished in this second: unlike
    /// `latency_ms`, fast error responses during an outage do not pull it down. Zero when the
    /// second had none. (Timeline schema 2; older files lack it.)
    #[serde(default)]
    pub latency_ok_ms: LatencyMs,
    /// The OK latencies as a sparse histogram, like `latency_hist_us`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub latency_ok_hist_us: Vec<[u64; 2]>,
}

/// Something that happened during the run at a point on its time axis, such as an `--exec-at`
/// command starting (`exec_start`) and exiting (`exec_exit`), or a step the lab took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Milliseconds since the start of the run.
    pub t_ms: u64,
    /// What kind of event: `exec_start`, `exec_exit`, `exec_killed`, `stop`, or a caller's own.
    pub kind: String,
    /// Human description, e.g. the command line.
    pub label: String,
    /// Exit status for `exec_exit` (absent when killed by a signal or not applicable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
}

/// What became of one `--exec-at` command.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

/// Everything a run measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The schedule as run, in Tank's grammar.
    pub schedule: String,
    /// The target URLs, in the order requests go to them.
    #[serde(default)]
    pub targets: Vec<String>,
    /// `I/N` when this run sent one shard of the schedule (`--shard`).
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
    pub codes: BTreeMap<u16, u64>,
    /// Count per network outcome name.
    pub net: BTreeMap<String, u64>,
    /// Scheduled sends skipped because `max_in_flight` requests were outstanding.
    pub dropped: u64,
    /// Achieved send rate: requests sent / time spent sending (the schedule's duration, or
    /// until the stop), computed by `lameduck_report::achieved_rate`.
    pub rps: f64,
    /// Latency over the whole run, every response (failed ones and network errors too).
    pub latency_ms: LatencyMs,
    /// Latency of the OK responses (2xx, 3xx) over the whole run.
    #[serde(default)]
    pub latency_ok_ms: LatencyMs,
    /// How late sends left compared with their scheduled instant (a health check of the
    /// generator itself: if this grows, the machine running the load is the bottleneck).
    pub send_lag_ms: LatencyMs,
    /// One record per second, in order.
    pub seconds: Vec<SecondRecord>,
    /// Events on the same time axis, in order.
    pub events: Vec<Event>,
    /// Each `--exec-at` command's outcome, in the order they were given.
    #[serde(default)]
    pub exec: Vec<ExecResult>,
}

impl Report {
    /// Requests that got an HTTP status in the given class (`5` for 5xx).
    pub fn status_class(&self, class: u16) -> u64 {
        self.codes.iter().filter(|(code, _)| **code / 100 == class).map(|(_, n)| n).sum()
    }

    /// Requests that ended in any network outcome.
    pub fn net_total(&self) -> u64 {
        self.net.values().sum()
    }
}
