//! Helm charts found in a directory: rendered with `helm template` when `helm` is found, their
//! findings placed on the template's lines; named as skipped, with why, when not.
//!
//! The `helm` these tests run is the real Helm engine: Helm's Go library as built into the
//! helm-sdkpy wheel, behind crates/check/tests/helm/helm, which `scripts/install-deps test` puts
//! in .deps/helm/ (Debian ships no helm). It is found the way `lameduck check` finds helm: first
//! in the search path the run is given, as `PATH` would be.
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lameduck_check::finding::Severity;
use lameduck_check::helm::HelmSettings;
use lameduck_check::location::locate;
use lameduck_check::output::Format;
use lameduck_check::project::Project;
use lameduck_check::settings::Settings;

const CHARTS: &str = "tests/fixtures/misc/helm";

/// The directory holding the test `helm`; fails with what to run when it is not installed.
fn helm_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.deps/helm");
    assert!(
        dir.join("helm").is_file() && dir.join("libhelm_sdkpy.so").is_file(),
        "no helm in {}: run scripts/install-deps test",
        dir.display()
    );
    dir
}

/// A search path with the test helm first, then this process's `PATH` (python3 is run from it).
fn path_with_helm() -> OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(helm_dir()).chain(std::env::split_paths(&rest))).unwrap()
}

fn load(chart: &str, helm: HelmSettings) -> Project {
    let config = Settings { helm, ..Settings::default() };
    Project::load(&[format!("{CHARTS}/{chart}")], config).unwrap()
}

fn with_helm(values: Vec<PathBuf>) -> HelmSettings {
    HelmSettings { render: true, values, search_path: Some(path_with_helm()) }
}

/// (rule, file name, line, column, message) of every finding.
fn findings(project: &Project) -> Vec<(String, String, usize, usize, String)> {
    let out = lameduck_check::run(project, Format::Json, Severity::Warning, false);
    out.findings
        .iter()
        .map(|f| {
            let loc = locate(project, f.span);
            let name = loc.file.rsplit('/').next().unwrap().to_string();
            (f.rule.to_string(), name, loc.start.line, loc.start.column, f.message.clone())
        })
        .collect()
}

fn at<'a>(
    found: &'a [(String, String, usize, usize, String)],
    rule: &str,
) -> &'a (String, String, usize, usize, String) {
    found.iter().find(|f| f.0 == rule).unwrap_or_else(|| panic!("no {rule} in {found:?}"))
}

#[test]
fn a_chart_is_rendered_and_findings_point_at_its_template_lines() {
    let project = load("shop", with_helm(Vec::new()));
    assert!(project.skipped.is_empty(), "{:?}", project.skipped);
    assert!(project.failures.is_empty(), "{:?}", project.failures);
    let found = findings(&project);
    // The template's own lines: `{{- include … | nindent }}` and `{{- with }}` above them render
    // to more lines, so the rendered output has them lower (24, 33 and 34 in their section).
    let ld003 = at(&found, "LD003");
    assert_eq!((ld003.1.as_str(), ld003.2, ld003.3), ("deployment.yaml", 22, 17), "- name: nginx");
    let ld002 = at(&found, "LD002");
    assert_eq!((ld002.1.as_str(), ld002.2), ("deployment.yaml", 35), "- name: php-fpm");
    // A templated value: found by its key, on the template's `image: "{{ … }}"` line.
    let ld001 = at(&found, "LD001");
    assert_eq!((ld001.1.as_str(), ld001.2, ld001.3), ("deployment.yaml", 36, 18));
    assert!(ld001.4.contains("registry.example.com/shop/app:2.3.1"), "rendered: {}", ld001.4);
    // The rendered place is given too.
    let json = lameduck_check::run(&project, Format::Json, Severity::Warning, false).output;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let first = &json["findings"][0]["location"];
    let rendered = first["rendered"].as_str().unwrap();
    assert!(rendered.starts_with(&format!("helm template {CHARTS}/shop:")), "{rendered}");
    assert_eq!(first["file"], format!("{CHARTS}/shop/templates/deployment.yaml"));
}

#[test]
fn values_files_are_given_to_helm() {
    let values = PathBuf::from(CHARTS).join("shop-values.yaml");
    let found = findings(&load("shop", with_helm(vec![values])));
    let ld001 = at(&found, "LD001");
    assert!(ld001.4.contains("registry.example.com/shop/app:9.9.9"), "{}", ld001.4);
    // The values file gives nginx a 5 s preStop sleep: php-fpm is now the one without.
    let ld005 = at(&found, "LD005");
    assert!(ld005.4.contains("nginx (`nginx`) waits 5s"), "{}", ld005.4);
    assert!(found.iter().all(|f| !(f.0 == "LD003" && f.4.contains("`nginx`"))), "{found:?}");
}

#[test]
fn without_helm_on_the_path_a_chart_is_named_with_what_to_run() {
    let empty = tempfile::tempdir().unwrap();
    let settings = HelmSettings {
        render: true,
        values: Vec::new(),
        search_path: Some(empty.path().as_os_str().to_owned()),
    };
    let project = load("shop", settings);
    let out = lameduck_check::run(&project, Format::Human, Severity::Warning, false);
    assert_eq!(out.exit, 0, "{}", out.output);
    assert!(out.findings.is_empty(), "templates are not read as YAML: {}", out.output);
    assert_eq!(project.skipped.len(), 1, "{:?}", project.skipped);
    let reason = &project.skipped[0].reason;
    assert!(
        reason.starts_with(&format!(
            "2 Helm templates not rendered: run `helm template {CHARTS}/shop | lameduck check -`"
        )) && reason.ends_with("(`helm` is not on PATH)"),
        "{reason}"
    );
}

#[test]
fn no_helm_leaves_charts_unrendered_even_with_helm_on_the_path() {
    let settings = HelmSettings { render: false, ..with_helm(Vec::new()) };
    let project = load("shop", settings);
    assert_eq!(project.skipped.len(), 1, "{:?}", project.skipped);
    assert!(project.skipped[0]
        .reason
        .contains("2 Helm templates not rendered: run `helm template"));
    assert!(project.templates.is_empty());
}

#[test]
fn a_chart_helm_cannot_render_is_named_with_helms_error_and_does_not_fail_the_run() {
    let started = Instant::now();
    let project = load("broken", with_helm(Vec::new()));
    assert!(started.elapsed() < Duration::from_secs(60), "bounded: {:?}", started.elapsed());
    let out = lameduck_check::run(&project, Format::Human, Severity::Warning, false);
    assert_eq!(out.exit, 0, "a warning, as for any file not read: {}", out.output);
    assert!(project.failures.is_empty(), "{:?}", project.failures);
    assert_eq!(project.skipped.len(), 1, "{:?}", project.skipped);
    assert_eq!(project.skipped[0].path, format!("{CHARTS}/broken"));
    assert_eq!(
        project.skipped[0].reason,
        "1 Helm template not rendered: `helm template` failed: parse error at \
         (broken/templates/deployment.yaml:4): function \"nosuchfunction\" not defined"
    );
}

#[test]
fn missing_chart_dependencies_say_to_run_helm_dependency_build() {
    let project = load("needs-deps", with_helm(Vec::new()));
    assert!(project.failures.is_empty(), "{:?}", project.failures);
    assert_eq!(project.skipped.len(), 1, "{:?}", project.skipped);
    assert_eq!(
        project.skipped[0].reason,
        format!(
            "1 Helm template not rendered: its dependencies are not in its charts/ directory: \
             run `helm dependency build {CHARTS}/needs-deps`, then check again"
        )
    );
}

#[test]
fn every_chart_in_a_tree_is_rendered_or_named() {
    let project = Project::load(
        &[CHARTS.to_string()],
        Settings { helm: with_helm(Vec::new()), ..Settings::default() },
    )
    .unwrap();
    let skipped: Vec<&str> = project.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(skipped, [format!("{CHARTS}/broken"), format!("{CHARTS}/needs-deps")]);
    assert!(findings(&project).iter().any(|f| f.0 == "LD003" && f.1 == "deployment.yaml"));
}

#[test]
fn a_chart_test_pod_that_runs_once_is_not_a_server() {
    // `helm test` Pods (chatwork/charts' php chart renders one): a shell running curl once, with
    // restartPolicy Never. Nothing to drain or stop gracefully; the same Pod kept running is.
    let pod = |policy: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: php-test\n  annotations:\n    \
             \"helm.sh/hook\": test-success\nspec:\n  containers:\n    - name: test\n      \
             image: curlimages/curl:latest\n      command:\n        - /bin/sh\n        - -c\n        \
             - 'curl http://php:80'\n  restartPolicy: {policy}\n"
        )
    };
    let rules = |policy: &str| -> Vec<String> {
        let project = Project::from_text("test-pod.yaml", &pod(policy), Settings::default());
        let out = lameduck_check::run(&project, Format::Json, Severity::Info, false);
        out.findings.iter().map(|f| f.rule.to_string()).collect()
    };
    assert_eq!(rules("Never"), Vec::<String>::new());
    assert_eq!(rules("OnFailure"), Vec::<String>::new());
    assert!(rules("Always").contains(&"LD008".to_string()), "{:?}", rules("Always"));
}

#[test]
fn the_corpus_rendered_charts_are_what_helm_renders_from_their_sources() {
    // tests/corpus/*/rendered/ hold `helm template release-name CHART` of charts copied verbatim
    // beside them (see the corpus README): rendering them again gives the same bytes.
    for (chart, rendered) in [
        ("chatwork__charts/php", "chatwork__charts/rendered/php.yaml"),
        ("matomo-org__docker/.examples/helm", "matomo-org__docker/rendered/matomo.yaml"),
    ] {
        let program = with_helm(Vec::new()).program().expect("the test helm is found");
        let chart = PathBuf::from("tests/corpus").join(chart);
        let text = lameduck_check::helm::render(&program, &chart, &[]).unwrap();
        let committed = std::fs::read_to_string(PathBuf::from("tests/corpus").join(rendered));
        assert_eq!(text, committed.unwrap(), "{rendered} differs from helm's rendering");
    }
}

#[test]
fn a_real_charts_findings_point_at_the_template_lines_that_wrote_them() {
    // chatwork/charts' php chart (in the corpus, verbatim): `{{- if }}` blocks and an init
    // container above the containers make the rendered lines far from the template's.
    let config = Settings { helm: with_helm(Vec::new()), ..Settings::default() };
    let project =
        Project::load(&["tests/corpus/chatwork__charts/php".to_string()], config).unwrap();
    assert!(project.skipped.is_empty(), "{:?}", project.skipped);
    let found = findings(&project);
    // `- name: {{ include "php.fullname" . }}-nginx`, its image, and the `-fpm` container.
    assert_eq!(at(&found, "LD003").2, 78, "{found:?}");
    assert_eq!((at(&found, "LD001").2, at(&found, "LD001").3), (79, 18), "{found:?}");
    assert_eq!(at(&found, "LD002").2, 132, "{found:?}");
}

#[test]
fn a_finding_on_a_line_a_helper_wrote_is_at_line_1_with_the_rendered_place() {
    // helpered/: the nginx container comes from `{{ include "helpered.nginx" . }}` in
    // _helpers.tpl; no line of deployment.yaml wrote it.
    let project = load("helpered", with_helm(Vec::new()));
    let found = findings(&project);
    let ld003 = at(&found, "LD003");
    assert_eq!((ld003.1.as_str(), ld003.2, ld003.3), ("deployment.yaml", 1, 1), "{found:?}");
    let human = lameduck_check::run(&project, Format::Human, Severity::Warning, false).output;
    assert!(
        human.contains("help: not found in the template: rendered at helm template"),
        "{human}"
    );
}
