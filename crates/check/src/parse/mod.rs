//! Parsers for every input format. Each one is total: malformed input is an error value with a byte
//! offset, never a panic (every parser has a fuzz target under `fuzz/`).
pub mod apache;
pub mod caddyfile;
pub mod dockerfile;
pub mod ini;
pub mod nginx;
pub mod words;
pub mod yaml;
