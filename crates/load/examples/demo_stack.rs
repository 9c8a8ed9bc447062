//! Placeholder, replaced by the demo helper.
fn main() {}
