//! Self-contained HTML reports of load and lab timelines.
pub mod cli;
