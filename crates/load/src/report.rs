//! The serialisable results of a run: totals, per-second records and events.
//!
//! The types are `lameduck_core::schema`'s, the one definition `lameduck report` and the lab
//! read too: [`Report`] is what `--format json` prints, what `--timeline` streams (one
//! [`SecondRecord`] or [`Event`] per line) and what the HTML report renders, so its field
//! names are part of the public interface: add fields, never rename them.
pub use lameduck_core::schema::{
    Event, EventKind, ExecResult, LatencyMs, LoadReport as Report, SecondRecord,
    TIMELINE_SCHEMA_VERSION,
};
