//! The vocabulary every lameduck command shares, written once.
//!
//! A duration typed on `lameduck run`'s command line, in a lab scenario or in a load schedule
//! reads the same everywhere; `lameduck check` validates `--drain` with the parser `run` uses; a
//! signal has one name. This crate holds only facts and their grammars: no I/O, no processes, no
//! async runtime, so every other crate can depend on it. [`schema`] holds the records the
//! commands write for machines to read.
pub mod clock;
pub mod display;
pub mod drain;
pub mod duration;
pub mod http_framing;
pub mod program;
pub mod schema;
pub mod shell;
pub mod signal;
