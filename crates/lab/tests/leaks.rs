//! SIGKILL of the lab mid-run leaves nothing behind: no process, no namespace in use, no mount.
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lameduck_testkit::is_root;

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: parse after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(1)?.parse().ok()
}

fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Every process below `root`.
fn descendants(root: u32) -> BTreeSet<u32> {
    let mut found = BTreeSet::from([root]);
    loop {
        let before = found.len();
        for pid in all_pids() {
            if parent_of(pid).is_some_and(|p| found.contains(&p)) {
                found.insert(pid);
            }
        }
        if found.len() == before {
            found.remove(&root);
            return found;
        }
    }
}

fn namespaces(pids: &BTreeSet<u32>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for pid in pids {
        for kind in ["net", "pid", "mnt"] {
            if let Ok(link) = std::fs::read_link(format!("/proc/{pid}/ns/{kind}")) {
                out.insert(link.display().to_string());
            }
        }
    }
    out
}

/// When `pid` started, in clock ticks since boot.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22; the fields after the command's ')' start at field 3.
    stat[stat.rfind(')')? + 2..].split(' ').nth(19)?.parse().ok()
}

/// The namespaces held by processes that started no later than `ticks`. The kernel reuses a
/// freed namespace's number at once, so a namespace created after the lab died (another test
/// runs alongside) may carry the number of one of the lab's: only an older process can be a
/// leftover holding the lab's own.
fn namespaces_held_by_processes_started_by(ticks: u64) -> BTreeSet<String> {
    let old = all_pids().into_iter().filter(|&pid| start_ticks(pid).is_some_and(|t| t <= ticks));
    namespaces(&old.collect())
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigkill_of_the_lab_leaves_nothing_behind() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let mounts_before = std::fs::read_to_string("/proc/self/mounts").unwrap();
    let run = tempfile::tempdir().unwrap();
    let mut lab = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .args(["seeds", "--only", "prestop-sleep-30", "--run-dir"])
        .arg(run.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let last_log = run.path().join("prestop-sleep-30/pods/pod-4/php-fpm.log");
    wait_for("the pods to start", Duration::from_secs(30), || {
        std::fs::metadata(&last_log).map(|m| m.len() > 0).unwrap_or(false)
    });
    let names_of = |procs: &BTreeSet<u32>| -> Vec<String> {
        procs
            .iter()
            .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).ok())
            .collect()
    };
    // The log appears as php-fpm starts; wait for the servers themselves to be running.
    wait_for("nginx and php-fpm to run", Duration::from_secs(30), || {
        let names = names_of(&descendants(lab.id()));
        names.iter().any(|n| n.starts_with("nginx"))
            && names.iter().any(|n| n.starts_with("php-fpm"))
    });
    let procs = descendants(lab.id());
    let names = names_of(&procs);
    assert!(names.iter().any(|n| n.starts_with("nginx")), "nginx runs in the lab: {names:?}");
    assert!(names.iter().any(|n| n.starts_with("php-fpm")), "php-fpm runs in the lab: {names:?}");
    let lab_namespaces = namespaces(&procs);
    assert!(lab_namespaces.len() >= 8, "pods and containers have namespaces: {lab_namespaces:?}");

    let before_kill = all_pids().into_iter().filter_map(start_ticks).max().unwrap();
    assert!(
        namespaces_held_by_processes_started_by(before_kill).is_superset(&lab_namespaces),
        "the scan sees the lab's running processes"
    );
    lab.kill().unwrap();
    let killed_at = all_pids().into_iter().filter_map(start_ticks).max().unwrap();
    lab.wait().unwrap();

    wait_for("every lab process to be gone", Duration::from_secs(10), || {
        procs.iter().all(|p| !Path::new(&format!("/proc/{p}")).exists())
    });
    wait_for("the lab's namespaces to be released", Duration::from_secs(10), || {
        namespaces_held_by_processes_started_by(killed_at).is_disjoint(&lab_namespaces)
    });
    let mounts_after = std::fs::read_to_string("/proc/self/mounts").unwrap();
    let new_mounts: Vec<&str> =
        mounts_after.lines().filter(|l| !mounts_before.contains(l)).collect();
    assert!(
        new_mounts.iter().all(|l| !l.contains(run.path().to_str().unwrap()) && !l.contains("/mnt")),
        "no lab mount is visible outside: {new_mounts:?}"
    );
    for dir in ["/mnt", "/srv", "/opt", "/media"] {
        let inside = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
            .unwrap_or_default();
        assert!(
            inside.iter().all(|n| n.to_string_lossy() != "prestop-sleep-30"),
            "nothing staged in {dir}: {inside:?}"
        );
    }
}

#[test]
fn ctrl_c_stops_the_load_prints_the_summary_and_leaves_nothing_behind() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let run = tempfile::tempdir().unwrap();
    let lab = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .args(["seeds", "--only", "nginx-sigquit-prestop-sleep", "--run-dir"])
        .arg(run.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let last_log = run.path().join("nginx-sigquit-prestop-sleep/pods/pod-4/php-fpm.log");
    wait_for("the pods to start", Duration::from_secs(30), || {
        std::fs::metadata(&last_log).map(|m| m.len() > 0).unwrap_or(false)
    });
    let procs = descendants(lab.id());
    // SAFETY: signalling the child we started.
    unsafe { libc::kill(lab.id() as i32, libc::SIGINT) };
    let out = lab.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("nginx-sigquit-prestop-sleep") && stdout.contains("interrupted"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(130), "interrupted by Ctrl-C");
    assert!(run.path().join("result.json").is_file());
    wait_for("every lab process to be gone", Duration::from_secs(10), || {
        procs.iter().all(|p| !Path::new(&format!("/proc/{p}")).exists())
    });
}
