//! The lab's PID 1 duties: reap every child and orphan, and tell whoever waits for a PID when
//! and how it exited.
//!
//! One thread blocks in `waitpid(-1)`. Waiters register a PID and get a one-shot channel; a
//! status that arrives before its waiter registered is kept until claimed.
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// How a process ended.
#[derive(Debug, Clone, Copy)]
pub struct Exit {
    pub at: Instant,
    /// Exit code, when it exited normally.
    pub code: Option<i32>,
    /// Terminating signal, when a signal killed it.
    pub signal: Option<i32>,
}

impl Exit {
    pub fn describe(&self) -> String {
        match (self.code, self.signal) {
            (Some(code), _) => format!("exit code {code}"),
            (_, Some(sig)) => format!("killed by {}", crate::signals::name(sig)),
            _ => "ended".into(),
        }
    }
}

enum Slot {
    Waiting(oneshot::Sender<Exit>),
    Exited(Exit),
}

fn table() -> &'static Mutex<HashMap<i32, Slot>> {
    static TABLE: OnceLock<Mutex<HashMap<i32, Slot>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        std::thread::Builder::new()
            .name("reaper".into())
            .spawn(reap_forever)
            .expect("spawn reaper thread");
        Mutex::new(HashMap::new())
    })
}

/// Starts the reaper (idempotent).
pub fn start() {
    let _ = table();
}

/// A channel that yields when `pid` exits. Register right after spawning.
pub fn watch(pid: i32) -> oneshot::Receiver<Exit> {
    let (tx, rx) = oneshot::channel();
    let mut map = table().lock().unwrap_or_else(|e| e.into_inner());
    match map.remove(&pid) {
        Some(Slot::Exited(exit)) => {
            let _ = tx.send(exit);
        }
        _ => {
            map.insert(pid, Slot::Waiting(tx));
        }
    }
    rx
}

fn reap_forever() {
    let mut tracked_exits: usize = 0;
    loop {
        let mut status = 0;
        // SAFETY: plain waitpid on any child.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid < 0 {
            // No children yet (or interrupted): poll again shortly.
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let exit = Exit {
            at: Instant::now(),
            code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
            signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        };
        let mut map = table().lock().unwrap_or_else(|e| e.into_inner());
        match map.remove(&pid) {
            Some(Slot::Waiting(tx)) => {
                let _ = tx.send(exit);
            }
            _ => {
                // Orphans re-parented to the lab are never claimed; bound what we keep.
                tracked_exits += 1;
                if tracked_exits % 4096 == 0 {
                    let cutoff = Instant::now() - Duration::from_secs(600);
                    map.retain(|_, slot| !matches!(slot, Slot::Exited(e) if e.at < cutoff));
                }
                map.insert(pid, Slot::Exited(exit));
            }
        }
    }
}
