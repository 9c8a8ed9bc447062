//! Classes of false findings and misses seen when checking real repositories of PHP apps on
//! Kubernetes, each with a small real-looking tree under tests/fixtures/misc/real.
use std::collections::BTreeSet;

use lameduck_check::finding::Severity;
use lameduck_check::output::Format;
use lameduck_check::project::Project;
use lameduck_check::settings::Settings;

const REAL: &str = "tests/fixtures/misc/real";

fn check(dir: &str, format: Format) -> lameduck_check::CheckResult {
    let project = Project::load(&[format!("{REAL}/{dir}")], Settings::default()).unwrap();
    lameduck_check::run(&project, format, Severity::Warning, false)
}

/// (rule, severity, file name, line) of every finding.
fn findings(dir: &str) -> BTreeSet<(String, Severity, String, usize)> {
    let project = Project::load(&[format!("{REAL}/{dir}")], Settings::default()).unwrap();
    let out = lameduck_check::run(&project, Format::Json, Severity::Warning, false);
    out.findings
        .iter()
        .map(|f| {
            let loc = lameduck_check::location::locate(&project, f.span);
            let file = loc.file.rsplit('/').next().unwrap().to_string();
            (f.rule.to_string(), f.severity, file, loc.start.line)
        })
        .collect()
}

fn snapshot(dir: &str) {
    let human = check(dir, Format::Human);
    let json = check(dir, Format::Json);
    insta::assert_snapshot!(
        format!("real-{dir}"),
        format!("exit: {}\n\n## human\n\n{}\n## json\n\n{}", human.exit, human.output, json.output)
    );
}

fn has(found: &BTreeSet<(String, Severity, String, usize)>, rule: &str) -> bool {
    found.iter().any(|(r, ..)| r == rule)
}

#[test]
fn images_link_to_dockerfiles_by_name_suffix() {
    // acme/local-fpm ↔ docker/fpm/Dockerfile (FROM php:*-fpm: SIGQUIT), acme/local-web ↔
    // docker/web/Dockerfile (FROM nginx: SIGQUIT); only the unlinked proxy is unknown, and an
    // unknown image is a note, not a SIGTERM error.
    let found = findings("linked-by-suffix");
    let ld001: Vec<_> = found.iter().filter(|(r, ..)| r == "LD001").collect();
    assert_eq!(ld001.len(), 1, "{found:?}");
    assert_eq!(ld001[0].1, Severity::Info);
    assert_eq!(ld001[0].3, 26, "the unlinked php-search-proxy image: {found:?}");
    // The pool config beside docker/fpm/Dockerfile sets process_control_timeout for `app`.
    assert!(!found.iter().any(|(r, _, _, line)| r == "LD002" && *line == 18), "{found:?}");
    snapshot("linked-by-suffix");
}

#[test]
fn compose_build_pairs_and_manifest_comments_link_images() {
    let found = findings("compose-and-comment");
    assert!(!has(&found, "LD001"), "{found:?}");
    // `app` is php-fpm because its compose-linked Dockerfile is FROM php:*-fpm; no config sets
    // process_control_timeout, so LD002 says so.
    assert!(found.contains(&("LD002".into(), Severity::Error, "pod.yaml".into(), 14)), "{found:?}");
    snapshot("compose-and-comment");
}

#[test]
fn the_image_name_does_not_outweigh_name_ports_and_configs() {
    let found = findings("role-by-evidence");
    // `php` is php-fpm (its unknown image gets a note, not an nginx SIGTERM error), so LD005
    // compares it with nginx: 3s against 10s.
    assert!(found.contains(&("LD005".into(), Severity::Error, "deployment.yaml".into(), 46)));
    let ld001: Vec<_> = found.iter().filter(|(r, ..)| r == "LD001").collect();
    assert!(ld001.iter().all(|(_, s, ..)| *s == Severity::Info), "{found:?}");
    snapshot("role-by-evidence");
}

#[test]
fn config_kind_comes_from_content_and_parent_folder_not_a_path_substring() {
    let out = check("laravel-nginx", Format::Json);
    assert_eq!(out.exit, 1, "an LD002, not a parse error: {}", out.output);
    let found = findings("laravel-nginx");
    assert_eq!(
        found,
        BTreeSet::from([("LD002".into(), Severity::Error, "fpm-pool.conf".into(), 2)]),
        "{}",
        out.output
    );
}

#[test]
fn one_missing_delay_is_one_finding_with_the_others_related() {
    let out = check("one-cause", Format::Sarif);
    let log: serde_json::Value = serde_json::from_str(&out.output).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let ld003: Vec<_> = results.iter().filter(|r| r["ruleId"] == "LD003").collect();
    assert_eq!(ld003.len(), 1, "{}", out.output);
    assert!(results.iter().all(|r| r["ruleId"] != "LD005"), "same cause as LD003");
    let related = ld003[0]["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 1);
    assert_eq!(related[0]["physicalLocation"]["region"]["startLine"], 25, "the php-fpm container");
    let text = ld003[0]["message"]["text"].as_str().unwrap();
    assert!(text.contains("lameduck prestop"), "{text}");
    // php-fpm is not what Service shop targets (port `http` is nginx's): it is worded so.
    let ld012 = results.iter().find(|r| r["ruleId"] == "LD012").unwrap();
    let text = ld012["message"]["text"].as_str().unwrap();
    assert!(text.contains("through `nginx`") && !text.contains("is behind"), "{text}");
    snapshot("one-cause");
}

#[test]
fn lameduck_makes_a_zero_process_control_timeout_safe() {
    let found = findings("lameduck-safe");
    assert!(!has(&found, "LD002"), "{found:?}");
}

#[test]
fn files_that_are_not_inputs_are_named_and_skipped() {
    // A pre-commit run passes whatever changed: a script, a jq template, a chart template.
    let dir = format!("{REAL}/not-inputs");
    let named = [
        format!("{dir}/docker/docker-entrypoint.sh"),
        format!("{dir}/docker/env.jq"),
        format!("{dir}/chart/templates/deployment.yaml"),
    ];
    let project = Project::load(&named, Settings::default()).unwrap();
    let out = lameduck_check::run(&project, Format::Json, Severity::Warning, false);
    assert_eq!(out.exit, 0, "{}", out.output);
    assert!(project.failures.is_empty(), "{:?}", project.failures);
    let skipped: Vec<_> = project.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped[..2].iter().all(|r| r.contains("not a Kubernetes manifest")), "{skipped:?}");
    assert!(skipped[2].contains("1 Helm template not rendered"), "{skipped:?}");
    // A chart walked as a directory: its templates are counted once, with what to run.
    let project = Project::load(&[format!("{dir}/chart")], Settings::default()).unwrap();
    assert_eq!(project.skipped.len(), 1, "{:?}", project.skipped);
    assert!(project.skipped[0]
        .reason
        .contains("2 Helm templates not rendered: run `helm template"));
    let json = lameduck_check::run(&project, Format::Json, Severity::Warning, false).output;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(json["skipped"][0]["reason"].as_str().unwrap().contains("helm template"));
}

#[test]
fn yaml_that_is_not_a_manifest_or_not_yaml_yet_is_named_and_skipped() {
    // A CI workflow and a gomplate template, named as a pre-commit hook names changed files:
    // neither is "invalid YAML" nor silently counted as checked.
    let dir = format!("{REAL}/not-inputs");
    let named = [format!("{dir}/ci/build.yaml"), format!("{dir}/deploy/web.yaml")];
    let project = Project::load(&named, Settings::default()).unwrap();
    let out = lameduck_check::run(&project, Format::Human, Severity::Warning, false);
    assert_eq!(out.exit, 0, "{}", out.output);
    assert!(project.failures.is_empty(), "{:?}", project.failures);
    let skipped: Vec<_> = project.skipped.iter().map(|s| (&s.path, &s.reason)).collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, &named[0]);
    assert!(skipped[0].1.contains("not a Kubernetes manifest"), "{skipped:?}");
    assert_eq!(skipped[1].0, &named[1]);
    assert!(skipped[1].1.starts_with("a template (`{{ … }}`), not YAML"), "{skipped:?}");
    // A manifest written as JSON is still read.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("pod.yaml");
    std::fs::write(&json, r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}"#)
        .unwrap();
    let project = Project::load(&[json.display().to_string()], Settings::default()).unwrap();
    assert!(project.skipped.is_empty(), "{:?}", project.skipped);
    assert_eq!(project.objects.workloads.len(), 1);
}
