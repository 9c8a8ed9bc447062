//! Watches the processes inside terminating containers (nginx workers, php-fpm children,
//! hooks) and logs each one's disappearance, so the event log shows *which* processes went
//! when — e.g. php-fpm workers gone at the instant of SIGQUIT while requests were in flight.
//!
//! These are not the lab's children (their own PID 1 reaps them), so they are found by their
//! PID namespace in /proc and polled; a disappearance is logged within one poll interval.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::events::EventLog;
use lameduck_core::schema::EventKind;

const POLL: Duration = Duration::from_millis(20);

/// One container to watch: its name, its PID 1 (as the lab sees it) and PID namespace.
pub struct Watched {
    pub container: String,
    pub pid1: i32,
    ns: String,
}

impl Watched {
    pub fn new(container: &str, pid1: i32) -> Option<Self> {
        let ns = std::fs::read_link(format!("/proc/{pid1}/ns/pid")).ok()?.display().to_string();
        Some(Self { container: container.into(), pid1, ns })
    }
}

fn describe(pid: i32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let text: String = String::from_utf8_lossy(&raw)
        .split('\0')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        // A zombie has no command line any more; its name is still there.
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        return Some(comm.trim().to_string());
    }
    Some(text.chars().take(80).collect())
}

/// Current processes per watched container (PID 1 excluded: its exit is reaped and logged).
fn scan(watched: &[Watched]) -> BTreeMap<i32, (usize, String)> {
    let mut found = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return found };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(ns) = std::fs::read_link(format!("/proc/{pid}/ns/pid")) else { continue };
        let ns = ns.display().to_string();
        if let Some(i) = watched.iter().position(|w| w.ns == ns && w.pid1 != pid) {
            if let Some(what) = describe(pid) {
                found.insert(pid, (i, what));
            }
        }
    }
    found
}

/// Polls until `done` is set, logging every process that disappears. Runs on its own thread.
pub fn watch(pod: String, watched: Vec<Watched>, log: Arc<EventLog>, done: Arc<AtomicBool>) {
    let mut known = scan(&watched);
    loop {
        std::thread::sleep(POLL);
        // Read the flag first: the scan after it still sees the last processes go.
        let last = done.load(Ordering::SeqCst);
        let now = scan(&watched);
        for (pid, (i, what)) in &known {
            if !now.contains_key(pid) {
                log.record(
                    &pod,
                    &watched[*i].container,
                    EventKind::ProcessExit,
                    format!("pid {pid} ({what}) is gone"),
                );
            }
        }
        if last {
            return;
        }
        known = now;
    }
}
