//! A panic anywhere in the lab fails the run.
//!
//! The lab's work runs in tokio tasks and threads, whose panics would otherwise only end that
//! task: a run could lose a pod's termination and still print `reproduced` with exit status 0.
//! So every panic is remembered ([`install`], [`any`]), and awaiting tasks turns a panicked one
//! into an error ([`join_all`]).
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::task::JoinHandle;

static PANICKED: AtomicBool = AtomicBool::new(false);

/// Remembers every panic from now on (the default message is still printed).
pub fn install() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, Ordering::SeqCst);
        previous(info);
    }));
}

/// Whether any thread or task panicked since [`install`].
pub fn any() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Awaits every task; the first that panicked (or was cancelled) is the error, after all ended.
pub async fn join_all<T>(tasks: Vec<JoinHandle<T>>, what: &str) -> Result<Vec<T>, String> {
    let mut done = Vec::new();
    let mut failure = None;
    for task in tasks {
        match task.await {
            Ok(value) => done.push(value),
            Err(e) => {
                failure.get_or_insert_with(|| format!("{what}: internal error: {e}"));
            }
        }
    }
    failure.map_or(Ok(done), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicked_task_is_an_error_and_remembered() {
        install();
        let tasks = vec![tokio::spawn(async { 1 }), tokio::spawn(async { panic!("boom") })];
        let err = join_all(tasks, "pod termination").await.unwrap_err();
        assert!(err.contains("pod termination") && err.contains("panicked"), "{err}");
        assert!(any());
        let fine = join_all(vec![tokio::spawn(async { 2 })], "x").await.unwrap();
        assert_eq!(fine, [2]);
    }
}
