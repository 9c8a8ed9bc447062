//! Hostile trees, as an untrusted pull request can make them: symlinks out of the tree, special
//! files, huge files, binary and UTF-16 files, alias bombs, and output that must stay linear.
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use lameduck_check::finding::Severity;
use lameduck_check::output::Format;
use lameduck_check::project::Project;
use lameduck_check::settings::Settings;

/// A pod whose nginx has no preStop delay: LD003 fires on it.
const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.25\n";

/// Loads and checks `paths` on another thread, failing (instead of hanging) after two minutes.
fn check(paths: &[&Path], format: Format) -> (Project, lameduck_check::CheckResult) {
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let project = Project::load(&paths, Settings::default()).unwrap();
        let outcome = lameduck_check::run(&project, format, Severity::Warning, false);
        let _ = send.send((project, outcome));
    });
    receive.recv_timeout(Duration::from_secs(120)).expect("the check hung")
}

fn skipped_reasons(project: &Project) -> Vec<String> {
    project.skipped.iter().map(|s| format!("{}: {}", s.path, s.reason)).collect()
}

#[test]
fn symlinks_out_of_the_tree_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("t");
    std::fs::create_dir_all(tree.join("img")).unwrap();
    std::fs::create_dir_all(tree.join("k8s")).unwrap();
    let outside = dir.path().join("secret.yaml");
    std::fs::write(&outside, format!("# TOPSECRET\n{POD}")).unwrap();
    symlink("/proc/self/environ", tree.join("img/Dockerfile")).unwrap();
    symlink(&outside, tree.join("k8s/pod.yaml")).unwrap();
    symlink(dir.path(), tree.join("k8s/up")).unwrap();
    // A symlink that stays inside the tree is read.
    std::fs::write(tree.join("k8s/real.yml"), POD).unwrap();
    symlink(tree.join("k8s/real.yml"), tree.join("k8s/link.yaml")).unwrap();
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let (project, out) = check(&[&tree], format);
        assert!(!out.output.contains("TOPSECRET"), "{}", out.output);
        assert!(!out.output.contains("PATH="), "the environment leaked: {}", out.output);
        let reasons = skipped_reasons(&project);
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons.iter().all(|r| r.contains("outside")), "{reasons:?}");
        let said = if format == Format::Human { "3 skipped" } else { "img/Dockerfile" };
        assert!(out.output.contains(said), "the skip is said: {}", out.output);
        assert_eq!(out.findings.len(), 2, "real.yml and its link in the tree: {}", out.output);
        if format != Format::Human && format != Format::Github {
            serde_json::from_str::<serde_json::Value>(&out.output).expect("valid JSON");
        }
    }
    // Named on the command line, a symlink to a regular file is read: the user chose it.
    let (project, out) = check(&[&tree.join("k8s/pod.yaml")], Format::Json);
    assert!(project.skipped.is_empty());
    assert_eq!(out.findings.len(), 1);
}

#[test]
fn devices_and_fifos_are_skipped_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path();
    std::fs::create_dir_all(tree.join("zero")).unwrap();
    symlink("/dev/zero", tree.join("zero/Dockerfile")).unwrap();
    let fifo = tree.join("pod.yaml");
    nix_mkfifo(&fifo);
    let (project, out) = check(&[tree], Format::Json);
    assert_eq!(project.skipped.len(), 2, "{:?}", skipped_reasons(&project));
    assert_eq!(out.exit, 0, "{}", out.output);
    let json: serde_json::Value = serde_json::from_str(&out.output).unwrap();
    assert_eq!(json["skipped"].as_array().unwrap().len(), 2);
    // Named directly, they are skipped too.
    let (project, _) = check(&[&fifo], Format::Json);
    assert!(project.skipped[0].reason.contains("FIFO"), "{:?}", project.skipped);
    let (project, _) = check(&[Path::new("/dev/zero")], Format::Json);
    assert_eq!(project.skipped.len(), 1);
}

fn nix_mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn files_over_the_size_limit_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = POD.to_string();
    big.push_str(&format!("# {}\n", "x".repeat((8 << 20) + 1)));
    std::fs::write(dir.path().join("big.yaml"), big).unwrap();
    let (project, out) = check(&[dir.path()], Format::Human);
    assert!(project.skipped[0].reason.contains("larger than 8 MiB"), "{:?}", project.skipped);
    assert!(out.output.contains("1 skipped"), "{}", out.output);
}

#[test]
fn binary_and_utf16_files_are_errors_and_a_bom_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let nul = dir.path().join("nul.yaml");
    std::fs::write(&nul, format!("{POD}\0")).unwrap();
    let utf16 = dir.path().join("utf16.yaml");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(POD.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&utf16, bytes).unwrap();
    let latin1 = dir.path().join("latin1.yaml");
    std::fs::write(&latin1, b"# caf\xE9\nkind: Pod\n").unwrap();
    for (path, reason) in
        [(&nul, "NUL byte at byte"), (&utf16, "UTF-16"), (&latin1, "invalid UTF-8 at byte 5")]
    {
        let (_, out) = check(&[path], Format::Human);
        assert_eq!(out.exit, 2, "{}", out.output);
        assert!(out.output.contains(reason), "{}", out.output);
        assert!(out.output.contains(&path.display().to_string()), "{}", out.output);
    }
    let bom = dir.path().join("bom.yaml");
    std::fs::write(&bom, format!("\u{FEFF}{POD}")).unwrap();
    let (_, out) = check(&[&bom], Format::Json);
    assert_eq!(out.exit, 1, "{}", out.output);
    assert_eq!(out.findings[0].rule, "LD003");
}

#[test]
fn an_alias_bomb_of_bytes_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("b.yaml");
    let big = "x".repeat(1 << 20);
    let refs = vec!["*s"; 100_000].join(",");
    // A manifest: YAML that is not one is skipped unread when named.
    let head = "apiVersion: v1\nkind: ConfigMap\n";
    std::fs::write(&bomb, format!("{head}k: &s \"{big}\"\nl: [{refs}]\n")).unwrap();
    let (_, out) = check(&[&bomb], Format::Json);
    assert_eq!(out.exit, 2);
    let json: serde_json::Value = serde_json::from_str(&out.output).unwrap();
    let error = &json["errors"][0];
    assert!(error["message"].as_str().unwrap().contains("MiB of text"), "{error}");
    assert_eq!(error["location"]["start"]["line"], 4);
}

#[test]
fn human_output_stays_linear_in_the_findings() {
    // 12,000 pods with a finding each, in one 1.6 MB file: rescanning the file per finding takes
    // minutes; a line index, about a second of CPU (the bound allows for a loaded machine).
    let text: String =
        (0..12000).map(|i| format!("---\n{}", POD.replace("web", &format!("web{i}")))).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.yaml");
    std::fs::write(&file, text).unwrap();
    let started = std::time::Instant::now();
    let (_, out) = check(&[&file], Format::Human);
    assert!(out.output.contains("12000 findings"), "{}", &out.output[out.output.len() - 200..]);
    assert!(started.elapsed() < Duration::from_secs(90), "took {:?}", started.elapsed());
    // Frames still show the right line numbers at the end of the file.
    let last = 11999 * 9 + 8;
    assert!(out.output.contains(&format!("many.yaml:{last}:")), "no many.yaml:{last}");
    assert!(out.output.contains(&format!(" {last} │   - name: nginx")), "no frame at {last}");
}

#[test]
fn a_config_found_in_the_tree_must_be_a_file_inside_it() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("t");
    std::fs::create_dir_all(&tree).unwrap();
    let outside = dir.path().join("outside.toml");
    std::fs::write(&outside, "TOPSECRET = 1\n").unwrap();
    let found = tree.join(".lameduck.toml");
    symlink(&outside, &found).unwrap();
    let root = std::fs::canonicalize(&tree).unwrap();
    let err = Settings::load_found(&found, &root, lameduck_check::rules::is_rule)
        .unwrap_err()
        .to_string();
    assert!(err.contains("outside") && !err.contains("TOPSECRET"), "{err}");
    // Named with --config, the same link is read (and its unknown key named).
    let err = Settings::load(&found, lameduck_check::rules::is_rule).unwrap_err().to_string();
    assert!(err.contains("TOPSECRET"), "{err}");
}

#[test]
fn a_symlink_loop_inside_the_tree_is_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("t");
    std::fs::create_dir_all(tree.join("k8s")).unwrap();
    std::fs::write(tree.join("k8s/pod.yaml"), POD).unwrap();
    symlink(&tree, tree.join("k8s/loop")).unwrap();
    symlink(tree.join("k8s"), tree.join("again")).unwrap();
    let (project, out) = check(&[&tree], Format::Json);
    assert_eq!(out.findings.len(), 1, "the pod is read once: {}", out.output);
    assert!(project.skipped.is_empty(), "{:?}", project.skipped);
}
