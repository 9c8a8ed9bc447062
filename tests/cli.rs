//! The top-level command line: the subcommand list, shell completions and the man pages.
use std::process::Command;

fn lameduck(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn help_lists_each_subcommand_once() {
    let (ok, help) = lameduck(&["--help"]);
    assert!(ok);
    for sub in ["lab", "load", "run", "prestop", "check", "report", "completions"] {
        let listed =
            help.lines().filter(|l| l.trim_start().starts_with(&format!("{sub} "))).count();
        assert_eq!(listed, 1, "`{sub}` is listed {listed} times in:\n{help}");
    }
}

#[test]
fn completions_name_every_subcommand_and_their_flags() {
    for shell in ["bash", "zsh", "fish"] {
        let (ok, script) = lameduck(&["completions", shell]);
        assert!(ok, "completions {shell} failed");
        for word in ["prestop", "check", "grace-period", "fail-on"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let (ok, _) = lameduck(&["completions", "tcsh"]);
    assert!(!ok, "an unknown shell must be refused");
}

#[test]
fn committed_man_pages_cover_every_subcommand() {
    let man = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
    for sub in ["lab", "load", "run", "prestop", "check", "report"] {
        let page = std::fs::read_to_string(man.join(format!("lameduck-{sub}.1"))).unwrap();
        assert!(page.starts_with(".ie"), "lameduck-{sub}.1 is not a roff page");
        assert!(page.contains(&format!("lameduck\\-{sub}")), "lameduck-{sub}.1 lacks its name");
    }
}

#[test]
fn check_reads_its_settings_file_by_its_name_and_by_its_old_name_with_a_note() {
    // A Deployment behind a Service with no readiness probe (LD012), which the settings turn off.
    let manifest = include_str!("../crates/check/tests/fixtures/LD012/fires/deployment.yaml");
    let settings = "[rules]\nLD012 = \"off\"\n";
    for (name, note) in
        [(".lameduck-check.toml", false), (".lameduck.toml", true), ("other.toml", false)]
    {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pod.yaml"), manifest).unwrap();
        std::fs::write(dir.path().join(name), settings).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_lameduck"))
            .args(["check", "--format", "json", "pod.yaml"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let (stdout, stderr) =
            (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let applied = name != "other.toml";
        assert_eq!(!stdout.contains("LD012"), applied, "{name}: {stdout}");
        assert_eq!(stderr.contains("rename it"), note, "{name}: {stderr}");
    }
}
