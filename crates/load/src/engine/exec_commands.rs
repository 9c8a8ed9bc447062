//! The `--exec-at` commands of a run, as the worker loop sees them: started at t=0 (each waits
//! for its own offset), their output passed to the caller line by line, and cancelled once the
//! load is over and they have had `--timeout` to finish.
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use tokio::sync::{mpsc, watch};

use crate::exec::run_exec_at;
use crate::hooks::{EventLog, ExecLine, OnExecOutput, RunHooks};
use crate::report::ExecResult;
use crate::Plan;

type Running<'a> = Pin<Box<dyn Future<Output = (usize, ExecResult)> + 'a>>;

/// The commands of a run and what became of them.
pub(super) struct ExecCommands<'a, 'h> {
    running: FuturesUnordered<Running<'a>>,
    results: Vec<Option<ExecResult>>,
    output: mpsc::Receiver<ExecLine>,
    on_output: Option<OnExecOutput<'h>>,
    cancel: watch::Sender<bool>,
    cancel_at: Option<Instant>,
    timeout: std::time::Duration,
}

impl<'a, 'h> ExecCommands<'a, 'h> {
    /// Starts every command of the plan on the run's clock.
    pub fn start(
        plan: &'a Plan,
        start: Instant,
        events: &EventLog,
        hooks: &mut RunHooks<'h>,
    ) -> ExecCommands<'a, 'h> {
        let on_output = hooks.on_exec_output.take();
        let (cancel, cancelled) = watch::channel(false);
        // Bounded: a command printing faster than the loop passes its lines on waits for it.
        let (sender, output) = mpsc::channel(64);
        let running = plan
            .exec_at
            .iter()
            .enumerate()
            .map(|(index, exec)| {
                let sender = on_output.is_some().then(|| sender.clone());
                let events = events.clone();
                let cancelled = cancelled.clone();
                async move { (index, run_exec_at(start, exec, &events, cancelled, sender).await) }
                    .boxed_local()
            })
            .collect();
        ExecCommands {
            running,
            results: vec![None; plan.exec_at.len()],
            output,
            on_output,
            cancel,
            cancel_at: None,
            timeout: plan.timeout,
        }
    }

    /// Whether [`ExecCommands::next`] has anything to wait for.
    pub fn waiting(&self) -> bool {
        !self.running.is_empty() || self.on_output.is_some()
    }

    /// Waits for a command to finish or print a line, and records it.
    pub async fn next(&mut self) {
        tokio::select! {
            Some((index, result)) = self.running.next(), if !self.running.is_empty() => {
                self.results[index] = Some(result);
            }
            Some(line) = self.output.recv(), if self.on_output.is_some() => {
                if let Some(on_output) = self.on_output.as_mut() {
                    on_output(&line);
                }
            }
            else => std::future::pending().await,
        }
    }

    /// Called once the load is over: true when no command is running. Otherwise the commands get
    /// `--timeout` to finish (none after a stop), then are cancelled.
    pub fn done(&mut self, stopped: bool, now: Instant) -> bool {
        if self.running.is_empty() {
            return true;
        }
        let timeout = self.timeout;
        let cancel_at = *self.cancel_at.get_or_insert(if stopped { now } else { now + timeout });
        if now >= cancel_at {
            let _ = self.cancel.send(true);
        }
        false
    }

    /// When the running commands will be cancelled, once the load is over.
    pub fn cancel_at(&self) -> Option<Instant> {
        self.cancel_at
    }

    /// Passes on the lines printed after the last turn of the loop.
    pub fn flush_output(&mut self) {
        if let Some(on_output) = self.on_output.as_mut() {
            while let Ok(line) = self.output.try_recv() {
                on_output(&line);
            }
        }
    }

    /// What became of each command that finished, in the order they were given.
    pub fn into_results(self) -> Vec<ExecResult> {
        self.results.into_iter().flatten().collect()
    }
}
