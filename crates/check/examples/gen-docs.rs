//! Prints docs/rules.md, generated from the rules' doc comments (run by scripts/gen-rules-docs).
fn main() {
    print!("{}", lameduck_check::rules::markdown());
}
