//! Prints the JSON Schema of `lameduck check --format json` (run by scripts/gen-schemas, which
//! writes it to docs/schema/check-report.schema.json; scripts/check-generated fails CI when
//! the committed file is stale).
fn main() {
    let schema = lameduck_check::output::json::schema();
    let text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    println!("{text}");
}
