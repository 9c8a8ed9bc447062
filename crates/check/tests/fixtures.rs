//! Fixture tests: every rule has a `fires/` and a `passes/` directory under tests/fixtures/LDxxx,
//! and every article manifest under tests/fixtures/articles fires exactly the rules its
//! `expected.txt` lists. Human and JSON output are snapshotted with insta.
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use lameduck_check::finding::Severity;
use lameduck_check::output::Format;
use lameduck_check::project::Project;
use lameduck_check::rules;
use lameduck_check::settings::Settings;

const FIXTURES: &str = "tests/fixtures";

fn check(dir: &str, format: Format) -> lameduck_check::CheckResult {
    let project = Project::load(&[dir.to_string()], Settings::default()).expect("fixture exists");
    lameduck_check::run(&project, format, Severity::Warning, false)
}

fn fired(dir: &str) -> BTreeSet<String> {
    check(dir, Format::Json).findings.iter().map(|f| f.rule.to_string()).collect()
}

fn snapshot(dir: &str, header: &str) -> String {
    let human = check(dir, Format::Human);
    let json = check(dir, Format::Json);
    assert_eq!(human.exit, json.exit);
    format!(
        "{header}exit: {}\n\n## human\n\n{}\n## json\n\n{}",
        human.exit, human.output, json.output
    )
}

#[test]
fn every_rule_fires_on_its_fixture_and_not_on_the_passing_one() {
    for rule in rules::ALL {
        let fires = format!("{FIXTURES}/{}/fires", rule.id);
        let passes = format!("{FIXTURES}/{}/passes", rule.id);
        let on_fires = fired(&fires);
        assert!(on_fires.contains(rule.id), "{} does not fire on {fires}: {on_fires:?}", rule.id);
        let on_passes = fired(&passes);
        assert!(!on_passes.contains(rule.id), "{} fires on {passes}", rule.id);
        insta::assert_snapshot!(format!("{}-fires", rule.id), snapshot(&fires, ""));
        insta::assert_snapshot!(format!("{}-passes", rule.id), snapshot(&passes, ""));
    }
}

#[test]
fn article_manifests_fire_exactly_what_explains_them() {
    let mut dirs: Vec<_> =
        fs::read_dir(format!("{FIXTURES}/articles")).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    assert!(dirs.len() >= 9);
    for dir in dirs {
        let expected_text = fs::read_to_string(dir.join("expected.txt")).unwrap();
        let expected: BTreeSet<String> = expected_text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        let dir = dir.to_str().unwrap().to_string();
        assert_eq!(fired(&dir), expected, "{dir}");
        let name = Path::new(&dir).file_name().unwrap().to_str().unwrap().to_string();
        insta::assert_snapshot!(
            format!("article-{name}"),
            snapshot(&dir, &format!("{expected_text}\n"))
        );
    }
}

#[test]
fn every_rule_is_documented_with_a_before_and_after() {
    let mut ids = BTreeSet::new();
    for rule in rules::ALL {
        assert!(ids.insert(rule.id), "duplicate {}", rule.id);
        let doc = rule.doc();
        assert!(doc.len() > 200, "{} has too short a doc", rule.id);
        assert!(
            doc.contains("### Before") && doc.contains("### After"),
            "{} lacks before/after",
            rule.id
        );
        for case in ["fires", "passes"] {
            let dir = Path::new(FIXTURES).join(rule.id).join(case);
            assert!(
                fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()),
                "{} has no {case} fixture",
                rule.id
            );
        }
    }
    for entry in fs::read_dir(FIXTURES).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            name == "articles" || name == "misc" || rules::by_id(&name).is_some(),
            "fixture dir {name} names no rule"
        );
    }
}

#[test]
fn rules_markdown_is_fresh() {
    let committed = fs::read_to_string("../../docs/rules.md")
        .expect("docs/rules.md exists; run scripts/gen-rules-docs");
    assert_eq!(committed, rules::markdown(), "docs/rules.md is stale: run scripts/gen-rules-docs");
}
