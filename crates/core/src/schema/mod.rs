//! The records lameduck writes for machines to read, defined once: the load report and its
//! per-second records (`lameduck load --format json`, `--timeline`), the lab's `result.json`,
//! the events both put on their time axis, the lab's verdicts and the names of network
//! outcomes. `load` and `lab` write these types and `report` reads the very same ones, so a
//! field renamed on one side is a compile error on the other, never a silent zero.
//!
//! Field names are the wire format: add fields, never rename them. A field carries
//! `#[serde(default)]` only where a file written by an older lameduck legitimately lacks it,
//! and its doc says since when; everything else is required, so a file that is not what it
//! claims to be fails to read with the field's name instead of rendering as zeros.
//!
//! Each top-level record carries `schema_version`. Files from before versioning lack it and
//! read as version 0.
//!
//! With the `schema` feature the types also derive `schemars::JsonSchema`; `docs/schema/*.json`
//! are generated from them (`scripts/gen-schemas`). The feature is off in every build of the
//! commands, so this crate stays serde and thiserror only.
pub mod events;
pub mod lab;
pub mod latency;
pub mod load;
pub mod outcome;
mod status_codes;
pub mod verdict;

pub use events::{Event, EventKind, PodEvent};
pub use lab::{
    Cause, ContainerPhases, KindResult, LabResult, LabSummary, PodPhases, ScenarioResult,
    ScenarioSummary, Termination, UpstreamFailure, LAB_SCHEMA_VERSION,
};
pub use latency::{Buckets, LatencyMs};
pub use load::{
    achieved_rate, ExecResult, LoadReport, SecondRecord, ThresholdVerdict, TimelineHeader,
    TimelineLine, TIMELINE_SCHEMA_VERSION,
};
pub use outcome::NetOutcome;
pub use verdict::Verdict;
