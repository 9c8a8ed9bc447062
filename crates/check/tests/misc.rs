//! Inputs beyond single rules: helm output, parse errors, suppressions, config, output formats.
use lameduck_check::finding::Severity;
use lameduck_check::output::Format;
use lameduck_check::project::Project;
use lameduck_check::settings::{RuleSetting, Settings};

const MISC: &str = "tests/fixtures/misc";

fn run(paths: &[&str], config: Settings, format: Format) -> lameduck_check::CheckResult {
    let paths: Vec<String> = paths.iter().map(|p| format!("{MISC}/{p}")).collect();
    let project = Project::load(&paths, config).unwrap();
    lameduck_check::run(&project, format, Severity::Warning, false)
}

/// The default settings with `rule` turned off.
fn without(rule: &str) -> Settings {
    let mut config = Settings::default();
    config.rules.insert(rule.into(), RuleSetting::Off);
    config
}

/// The rule of each finding, in order.
fn rules(out: &lameduck_check::CheckResult) -> Vec<&'static str> {
    out.findings.iter().map(|f| f.rule).collect()
}

#[test]
fn helm_output_maps_findings_to_chart_templates() {
    let out = run(&["helm-output.yaml"], Settings::default(), Format::Json);
    let json: serde_json::Value = serde_json::from_str(&out.output).unwrap();
    let first = &json["findings"][0];
    assert_eq!(first["rule"], "LD003");
    assert_eq!(first["location"]["file"], "shop/templates/deployment.yaml");
    // `- name: web` is line 16 of the template (line 1 follows the `# Source:` comment), line 29
    // of the rendered output.
    assert_eq!(first["location"]["start"]["line"], 16);
    assert!(first["location"]["rendered"].as_str().unwrap().ends_with("helm-output.yaml:29:17"));
    insta::assert_snapshot!(
        "helm-human",
        run(&["helm-output.yaml"], Settings::default(), Format::Human).output
    );
}

#[test]
fn a_broken_file_is_reported_and_the_others_are_still_checked() {
    let out = run(&["broken"], Settings::default(), Format::Json);
    assert_eq!(out.exit, 2);
    let json: serde_json::Value = serde_json::from_str(&out.output).unwrap();
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(json["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "LD003"));
    insta::assert_snapshot!(
        "broken-human",
        run(&["broken"], Settings::default(), Format::Human).output
    );
}

#[test]
fn ignore_annotations_and_comments_suppress() {
    let out = run(&["suppressed"], Settings::default(), Format::Json);
    assert!(out.findings.is_empty(), "{}", out.output);
    assert_eq!(out.exit, 0);
}

#[test]
fn config_turns_rules_off_and_changes_severity() {
    let mut config = Settings::default();
    config.rules.insert("LD003".into(), RuleSetting::Off);
    let out = run(&["helm-output.yaml"], config, Format::Json);
    assert!(out.findings.iter().all(|f| f.rule != "LD003"));
    let mut config = Settings::default();
    config.rules.insert("LD003".into(), RuleSetting::Severity(Severity::Info));
    let out = run(&["helm-output.yaml"], config, Format::Json);
    assert!(out.findings.iter().all(|f| f.severity == Severity::Info));
    assert_eq!(out.exit, 0, "info findings are below the default fail level");
}

#[test]
fn image_map_in_config_links_a_dockerfile() {
    let dir = format!("{MISC}/image-map");
    let config = Settings::load(
        std::path::Path::new(&format!("{dir}/.lameduck-check.toml")),
        lameduck_check::rules::is_rule,
    )
    .unwrap();
    let project = Project::load(std::slice::from_ref(&dir), config).unwrap();
    let out = lameduck_check::run(&project, Format::Json, Severity::Warning, false);
    assert!(out.findings.iter().all(|f| f.rule != "LD001"), "{}", out.output);
    let project = Project::load(&[dir], Settings::default()).unwrap();
    let out = lameduck_check::run(&project, Format::Json, Severity::Warning, false);
    assert!(
        out.findings.iter().any(|f| f.rule == "LD001"),
        "without the map the Dockerfile is not linked"
    );
}

#[test]
fn sarif_has_real_regions_and_github_has_positions() {
    let sarif = run(&["helm-output.yaml"], Settings::default(), Format::Sarif).output;
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let result = &log["runs"][0]["results"][0];
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 16);
    assert_eq!(region["startColumn"], 17);
    assert!(region["endColumn"].as_u64().unwrap() > 17);
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().len(),
        lameduck_check::rules::ALL.len()
    );
    let github = run(&["helm-output.yaml"], Settings::default(), Format::Github).output;
    assert!(
        github.starts_with("::error file=shop/templates/deployment.yaml,line=16,col=17,"),
        "{github}"
    );
}

#[test]
fn list_items_and_configmap_items_are_followed() {
    let out = run(&["list.yaml"], Settings::default(), Format::Json);
    let json: serde_json::Value = serde_json::from_str(&out.output).unwrap();
    let rules: Vec<(&str, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["location"]["start"]["line"].as_u64().unwrap()))
        .collect();
    // The ConfigMap's php-fpm key is not projected by `items`, so the container has no config
    // that sets process_control_timeout (LD002 on the container, line 19); the file-level check
    // still sees the ConfigMap key, whose [global] lacks it too (line 9).
    assert_eq!(rules, vec![("LD002", 9), ("LD002", 19)], "{}", out.output);
}

#[test]
fn an_ambiguous_directory_name_links_nothing() {
    let out = run(&["ambiguous"], Settings::default(), Format::Json);
    let ld001: Vec<_> = out.findings.iter().filter(|f| f.rule == "LD001").collect();
    assert_eq!(ld001.len(), 1, "{}", out.output);
    assert!(
        ld001[0].message.contains("no scanned Dockerfile builds image"),
        "{}",
        ld001[0].message
    );
    assert_eq!(ld001[0].severity, Severity::Info, "an unknown image is not asserted SIGTERM");
}

#[test]
fn dockerignore_and_notes_beside_a_dockerfile_are_not_dockerfiles() {
    let dir = format!("{MISC}/dockerignore");
    let project = Project::load(std::slice::from_ref(&dir), Settings::default()).unwrap();
    let mut names: Vec<String> = project
        .dockerfiles
        .iter()
        .map(|d| d.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["Dockerfile", "Dockerfile.prod"]);
    assert!(project.failures.is_empty(), "{:?}", project.failures);
    // Named explicitly, as `lameduck check deploy/*` does, an ignore file is skipped too.
    let explicit = format!("{dir}/web/Dockerfile.dockerignore");
    let project = Project::load(&[explicit], Settings::default()).unwrap();
    assert!(project.sources.is_empty(), "the ignore file was read");
}

#[test]
fn php_fpm_includes_are_followed_outside_the_config_directory() {
    let dir = format!("{MISC}/include-link");
    let project = Project::load(std::slice::from_ref(&dir), Settings::default()).unwrap();
    let with_include = project.fpm.iter().position(|c| !c.includes.is_empty()).unwrap();
    let joined = project.includes.joined(with_include);
    assert_eq!(joined.len(), 2, "{:?}", project.includes);
    assert!(project.includes.unresolved.is_empty());
    // process_control_timeout is set in the included file only: neither the [global] in
    // web/php-fpm.conf nor the container (linked through web/Dockerfile) is reported.
    let out = lameduck_check::run(&project, Format::Json, Severity::Warning, false);
    assert!(out.findings.iter().all(|f| f.rule != "LD002"), "{}", out.output);
}

#[test]
fn hidden_directories_are_walked_but_not_git_or_dependencies() {
    let out = run(&["hidden"], Settings::default(), Format::Json);
    let json: serde_json::Value = serde_json::from_str(&out.output).unwrap();
    let files: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "LD009")
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "{}", out.output);
    assert!(files[0].ends_with(".github/docker/supervisord.conf"), "{files:?}");
}

#[test]
fn json_has_a_schema_version_and_summary_counts() {
    let out = run(&["broken"], Settings::default(), Format::Json);
    let json: serde_json::Value = serde_json::from_str(&out.output).unwrap();
    assert_eq!(json["schema_version"], 1);
    let summary = &json["summary"];
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(summary["findings"], findings.len());
    let errors = findings.iter().filter(|f| f["severity"] == "error").count();
    assert_eq!(summary["errors"], errors);
    assert_eq!(summary["parse_errors"], 3);
    assert!(summary["files_checked"].as_u64().unwrap() >= 3, "{summary}");
    assert_eq!(summary["files_skipped"], 0);
}

#[test]
fn a_grace_period_too_short_behind_an_aws_load_balancer_is_one_finding_unless_ld023_is_off() {
    let nlb = "../LD023/fires/nlb.yaml";
    let out = run(&[nlb], Settings::default(), Format::Json);
    assert_eq!(rules(&out), ["LD023"], "{}", out.output);
    assert_eq!(
        out.findings[0].severity,
        Severity::Error,
        "the sleep alone outlasts the grace period"
    );
    let out = run(&[nlb], without("LD023"), Format::Json);
    assert_eq!(rules(&out), ["LD006"], "LD006 speaks again when LD023 cannot: {}", out.output);
}

#[test]
fn a_php_fpm_without_delay_behind_a_waiting_nginx_is_one_finding_unless_ld005_is_off() {
    let pod = "fpm-without-delay-behind-nginx.yaml";
    let out = run(&[pod], Settings::default(), Format::Json);
    assert_eq!(rules(&out), ["LD005"], "{}", out.output);
    let out = run(&[pod], without("LD005"), Format::Json);
    assert_eq!(rules(&out), ["LD003"], "LD003 speaks again when LD005 cannot: {}", out.output);
}

#[test]
fn apachectl_as_pid1_is_a_shell_that_keeps_the_stop_signal_from_apache() {
    for input in ["../LD008/fires/apachectl", "../LD008/fires/apachectl.yaml"] {
        let out = run(&[input], Settings::default(), Format::Json);
        let shell: Vec<_> = out.findings.iter().filter(|f| f.rule == "LD008").collect();
        assert_eq!(shell.len(), 1, "{input}: {}", out.output);
        assert!(shell[0].message.contains("apache2 -DFOREGROUND"), "{}", shell[0].message);
    }
}
