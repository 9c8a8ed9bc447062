//! Writes the JSON Schemas of the records in `lameduck_core::schema` into the directory given
//! as the only argument (run by scripts/gen-schemas into docs/schema/; scripts/check-generated
//! fails CI when the committed files are stale).
//!
//! The schemas are generated from the very types the commands write and `lameduck report`
//! reads, through `schemars` behind this crate's `schema` feature: only this generator enables
//! it, so the commands never build `schemars`.
use std::path::PathBuf;

use lameduck_core::schema::{LabResult, LoadReport, TimelineLine};

fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: gen-schemas DIR");
        std::process::exit(2);
    };
    let schemas = [
        ("load-report", schemars::schema_for!(LoadReport)),
        ("load-timeline-line", schemars::schema_for!(TimelineLine)),
        ("lab-result", schemars::schema_for!(LabResult)),
    ];
    for (name, schema) in schemas {
        let path = dir.join(format!("{name}.schema.json"));
        let text = serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n";
        if let Err(error) = std::fs::write(&path, text) {
            eprintln!("gen-schemas: cannot write {}: {error}", path.display());
            std::process::exit(1);
        }
    }
}
