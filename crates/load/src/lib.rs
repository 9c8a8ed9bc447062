//! Open-loop HTTP load generator with a per-second timeline of status codes and network errors.
pub mod cli;
