//! Events: things that happened at a point on a run's time axis, with one typed [`EventKind`]
//! for both the load generator's and the lab's.
//!
//! The two record shapes stay as they were on the wire: a load [`Event`] is timed `t_ms`
//! since the start of the load and has a `label`; a lab [`PodEvent`] is timed `ms` since the
//! scenario started and names its pod and container. Their kinds share one enum, and each
//! kind keeps the spelling already in files (`exec_start` from load, `endpoint-removed` from
//! the lab), so every file written so far still reads.
use serde::{Deserialize, Serialize};

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum EventKind {
    // Load: `--exec-at` commands and the run itself.
    /// An `--exec-at` command started.
    #[serde(rename = "exec_start")]
    ExecStart,
    /// An `--exec-at` command exited (its status is in `exit_code`).
    #[serde(rename = "exec_exit")]
    ExecExit,
    /// An `--exec-at` command could not be started or waited for.
    #[serde(rename = "exec_failed")]
    ExecFailed,
    /// An `--exec-at` command was still running when the run ended and was killed.
    #[serde(rename = "exec_killed")]
    ExecKilled,
    /// The run was asked to stop early.
    #[serde(rename = "stop")]
    Stop,
    // Lab: what the lab did to pods and saw them do.
    /// A container's PID 1 started.
    #[serde(rename = "started")]
    Started,
    /// The readiness probe passed.
    #[serde(rename = "ready")]
    Ready,
    /// The readiness probe failed.
    #[serde(rename = "unready")]
    Unready,
    /// The lab acted (scaled, deleted a pod, ...).
    #[serde(rename = "action")]
    Action,
    /// The load started: the timeline's second 0.
    #[serde(rename = "load")]
    Load,
    /// A pod was deleted: its termination began.
    #[serde(rename = "deleted")]
    Deleted,
    /// The pod left the ingress's endpoints.
    #[serde(rename = "endpoint-removed")]
    EndpointRemoved,
    /// The pod joined the ingress's endpoints.
    #[serde(rename = "endpoint-added")]
    EndpointAdded,
    /// A container's preStop hook started.
    #[serde(rename = "prestop-start")]
    PrestopStart,
    /// A container's preStop hook ended.
    #[serde(rename = "prestop-end")]
    PrestopEnd,
    /// A container's preStop hook was not run.
    #[serde(rename = "prestop-skipped")]
    PrestopSkipped,
    /// A container waits for others to stop first (termination ordering).
    #[serde(rename = "turn")]
    Turn,
    /// A container got its stop signal.
    #[serde(rename = "signal")]
    Signal,
    /// A container got SIGKILL at the end of the grace period.
    #[serde(rename = "sigkill")]
    Sigkill,
    /// A container's PID 1 exited.
    #[serde(rename = "exit")]
    Exit,
    /// A process inside a container exited.
    #[serde(rename = "process-exit")]
    ProcessExit,
    /// The pod is gone: every container has exited.
    #[serde(rename = "gone")]
    Gone,
    /// A field of the pod spec the lab does not model was dropped.
    #[serde(rename = "field-dropped")]
    FieldDropped,
    /// The ingress's attempt to a pod failed.
    #[serde(rename = "upstream-failure")]
    UpstreamFailure,
    /// The pod itself answered with a 5xx status.
    #[serde(rename = "pod-5xx")]
    Pod5xx,
}

impl EventKind {
    /// Every kind, load's first.
    pub const ALL: [EventKind; 25] = {
        use EventKind::*;
        [
            ExecStart,
            ExecExit,
            ExecFailed,
            ExecKilled,
            Stop,
            Started,
            Ready,
            Unready,
            Action,
            Load,
            Deleted,
            EndpointRemoved,
            EndpointAdded,
            PrestopStart,
            PrestopEnd,
            PrestopSkipped,
            Turn,
            Signal,
            Sigkill,
            Exit,
            ProcessExit,
            Gone,
            FieldDropped,
            UpstreamFailure,
            Pod5xx,
        ]
    };

    /// The kind written `name`, if there is one.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The kind as written in files, logs and reports.
    pub fn name(self) -> &'static str {
        use EventKind::*;
        match self {
            ExecStart => "exec_start",
            ExecExit => "exec_exit",
            ExecFailed => "exec_failed",
            ExecKilled => "exec_killed",
            Stop => "stop",
            Started => "started",
            Ready => "ready",
            Unready => "unready",
            Action => "action",
            Load => "load",
            Deleted => "deleted",
            EndpointRemoved => "endpoint-removed",
            EndpointAdded => "endpoint-added",
            PrestopStart => "prestop-start",
            PrestopEnd => "prestop-end",
            PrestopSkipped => "prestop-skipped",
            Turn => "turn",
            Signal => "signal",
            Sigkill => "sigkill",
            Exit => "exit",
            ProcessExit => "process-exit",
            Gone => "gone",
            FieldDropped => "field-dropped",
            UpstreamFailure => "upstream-failure",
            Pod5xx => "pod-5xx",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// Something that happened during a load run, such as an `--exec-at` command starting and
/// exiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Event {
    /// Milliseconds since the start of the run.
    pub t_ms: u64,
    pub kind: EventKind,
    /// Human description, e.g. the command line.
    pub label: String,
    /// Exit status for `exec_exit` (absent when killed by a signal or not applicable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
}

/// Something the lab did to a pod or saw it do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PodEvent {
    /// Milliseconds since the scenario started (the load's second 0 is `load_started_ms`).
    pub ms: u64,
    /// Empty for events of the lab itself.
    pub pod: String,
    /// Empty for pod-level events.
    pub container: String,
    pub kind: EventKind,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_their_spelling_on_the_wire() {
        for (kind, name) in [
            (EventKind::ExecStart, "exec_start"),
            (EventKind::EndpointRemoved, "endpoint-removed"),
            (EventKind::Pod5xx, "pod-5xx"),
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), name);
            assert_eq!(kind.name(), name);
            let read: EventKind = serde_json::from_value(name.into()).unwrap();
            assert_eq!(read, kind);
        }
    }

    #[test]
    fn name_matches_serde_for_every_kind() {
        // A kind spelled differently in `name` would render one way and be written another.
        for kind in EventKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.name());
            assert_eq!(EventKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(EventKind::from_name("exec-start"), None);
    }
}
