//! The shutdown sequence of `lameduck run`: lame duck → drain → graceful stop, one process at a
//! time in stop order → SIGKILL of whatever is left at the deadline. It is a state machine that
//! the supervisor's poll loop advances; nothing here blocks.
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::child::Child;
use crate::drain::{self, Drain, DrainEnd, DrainSpec};
use crate::duration::seconds;
use crate::health::Phase;
use crate::supervisor::Supervisor;
use crate::{netstat, phpfpm, procfs, signals};

/// How often a stop in progress is looked at (exits themselves arrive as SIGCHLD at once).
const STOP_POLL: Duration = Duration::from_millis(50);

/// A shutdown in progress.
#[derive(Debug)]
pub struct Shutdown {
    pub started: Instant,
    /// lameduck's own SIGKILL deadline: grace period minus safety margin after `started`.
    pub kill_at: Instant,
    /// Set by a second shutdown signal.
    pub skip_drain: bool,
    pub stage: Stage,
    pub killing: bool,
}

/// Where the shutdown is.
#[derive(Debug)]
pub enum Stage {
    Draining(Box<Drain>),
    Stopping { queue: VecDeque<usize>, current: Option<Current> },
    Done,
}

/// The process being stopped.
#[derive(Debug)]
pub struct Current {
    index: usize,
    timeout_at: Option<Instant>,
    waiting_logged: bool,
    killed: bool,
}

impl Supervisor {
    /// Enters lame-duck mode (`/readyz` answers 503) and starts the drain, or goes straight to
    /// stopping when `skip_drain` (a process exited, or a start failed).
    pub fn begin_shutdown(&mut self, now: Instant, reason: &str, skip_drain: bool) {
        self.status.phase = Phase::Draining;
        let kill_at = now + self.settings.budget();
        self.log.phase(
            "lame-duck",
            "begin",
            &[("reason", reason.into()), ("deadline_in", seconds(self.settings.budget()))],
        );
        let stage = if skip_drain {
            self.stopping_stage()
        } else {
            let cap = drain::cap(now, kill_at, self.settings.stop_timeouts_total());
            let ports = self.drain_ports();
            let drain = Drain::start(self.settings.drain.clone(), ports, now, cap);
            self.log.phase("drain", "begin", &drain.begin_fields());
            Stage::Draining(Box::new(drain))
        };
        self.shutdown = Some(Shutdown { started: now, kill_at, skip_drain, stage, killing: false });
    }

    fn stopping_stage(&mut self) -> Stage {
        self.status.phase = Phase::Stopping;
        let order = self.settings.stop_order().unwrap_or_default();
        let queue = order.into_iter().filter(|&index| index < self.children.len()).collect();
        Stage::Stopping { queue, current: None }
    }

    /// The ports an auto drain watches: the configured ones, else those the supervised processes
    /// listen on (never the health listener's).
    fn drain_ports(&self) -> Vec<u16> {
        if !matches!(self.settings.drain, DrainSpec::Auto { .. }) {
            return Vec::new();
        }
        if !self.settings.drain_ports.is_empty() {
            return self.settings.drain_ports.clone();
        }
        let health_port = self.health.as_ref().and_then(|h| h.local_addr().ok()).map(|a| a.port());
        let sockets = netstat::tcp_sockets().unwrap_or_default();
        let mut ports = procfs::listening_ports_of_tree(std::process::id() as i32, &sockets);
        ports.retain(|port| Some(*port) != health_port);
        ports
    }

    /// Moves the shutdown forward; called on every wake-up of the loop.
    pub fn advance(&mut self, now: Instant) {
        let Some(shutdown) = &self.shutdown else { return };
        if !shutdown.killing && now >= shutdown.kill_at && self.children.iter().any(Child::running)
        {
            self.kill_everything();
        }
        let Some(shutdown) = &mut self.shutdown else { return };
        if let Stage::Draining(drain) = &mut shutdown.stage {
            // Nothing left to drain for once every process has exited.
            let nothing_left = !self.children.iter().any(Child::running);
            let end = if shutdown.skip_drain || nothing_left {
                Some(DrainEnd::Skipped)
            } else {
                drain.poll(now)
            };
            if let Some(end) = end {
                self.status.drain_seconds = Some(drain.elapsed(now).as_secs_f64());
                self.log.phase("drain", "done", &drain.done_fields(end, now));
                if let Some(cut) = drain.cut_short(end, now) {
                    self.status.drain_cut_short += 1;
                    self.log.phase("drain", "cut-short", &cut.fields());
                    self.log.warn(&cut.warning());
                }
                let stage = self.stopping_stage();
                if let Some(shutdown) = &mut self.shutdown {
                    shutdown.stage = stage;
                }
            }
        }
        self.advance_stopping(now);
    }

    /// Stops processes one at a time: wait for php-fpm's FastCGI connections to finish, send the
    /// stop signal, wait for the exit (or the process's own timeout, then SIGKILL).
    fn advance_stopping(&mut self, now: Instant) {
        let Supervisor { shutdown, children, log, status, .. } = self;
        let Some(shutdown) = shutdown else { return };
        let kill_at = shutdown.kill_at;
        loop {
            let Stage::Stopping { queue, current } = &mut shutdown.stage else { return };
            if current.is_none() {
                match queue.pop_front() {
                    Some(index) => {
                        *current = Some(Current {
                            index,
                            timeout_at: None,
                            waiting_logged: false,
                            killed: false,
                        })
                    }
                    None => {
                        log.phase("stop", "all-done", &[]);
                        shutdown.stage = Stage::Done;
                        return;
                    }
                }
            }
            let step = current.as_mut().expect("set above");
            let child = &mut children[step.index];
            let name = child.spec.name.clone();
            if let Some((code, exited_at)) = child.exit {
                match child.stop_sent {
                    Some(sent) => {
                        let took = exited_at.saturating_duration_since(sent);
                        status.stop_seconds.push((name.clone(), took.as_secs_f64()));
                        log.phase(
                            "stop",
                            "exited",
                            &[
                                ("process", name),
                                ("exit_code", code.to_string()),
                                ("seconds", seconds(took)),
                            ],
                        );
                    }
                    None => log.phase("stop", "already-exited", &[("process", name)]),
                }
                *current = None;
                continue;
            }
            if child.stop_sent.is_none() {
                if !child.fastcgi.is_empty() && now < kill_at {
                    let connections = phpfpm::connections(&child.fastcgi);
                    if connections > 0 {
                        if !step.waiting_logged {
                            step.waiting_logged = true;
                            log.phase(
                                "stop",
                                "waiting-fastcgi",
                                &[("process", name), ("connections", connections.to_string())],
                            );
                        }
                        return;
                    }
                }
                child.signal(child.spec.stop_signal);
                child.stop_sent = Some(now);
                step.timeout_at = child.spec.stop_timeout.map(|timeout| now + timeout);
                log.phase(
                    "stop",
                    "signal-sent",
                    &[
                        ("process", name),
                        ("pid", child.pid.to_string()),
                        ("signal", signals::short_name(child.spec.stop_signal).into()),
                    ],
                );
                return;
            }
            if step.timeout_at.is_some_and(|at| now >= at) && !step.killed {
                step.killed = true;
                child.kill_group();
                log.phase("stop", "timeout-kill", &[("process", name)]);
            }
            return;
        }
    }

    /// The deadline: SIGKILL every remaining process (as PID 1, everything in the namespace).
    fn kill_everything(&mut self) {
        let names: Vec<String> = self
            .children
            .iter()
            .filter(|child| child.running())
            .map(|child| child.spec.name.clone())
            .collect();
        for child in &self.children {
            child.kill_group();
        }
        if self.is_pid1 {
            // SAFETY: kill(-1) from PID 1 signals every other process in the PID namespace.
            unsafe { libc::kill(-1, libc::SIGKILL) };
        }
        self.status.phase = Phase::Killing;
        self.log.phase("deadline", "kill", &[("processes", names.join(","))]);
        if let Some(shutdown) = &mut self.shutdown {
            shutdown.killing = true;
        }
    }

    /// True once every supervised process has exited and the stop sequence is over, or when the
    /// SIGKILLs have been out for long enough that waiting longer would overrun the deadline.
    pub fn finished(&self) -> bool {
        let Some(shutdown) = &self.shutdown else { return false };
        let none_running = !self.children.iter().any(Child::running);
        let give_up = shutdown.kill_at + self.settings.safety_margin / 2;
        (none_running && (matches!(shutdown.stage, Stage::Done) || shutdown.killing))
            || (shutdown.killing && Instant::now() >= give_up)
    }

    /// How long the loop may sleep: forever while running normally.
    pub fn next_wakeup(&self, now: Instant) -> Option<Duration> {
        let shutdown = self.shutdown.as_ref()?;
        let stage_wakeup = match &shutdown.stage {
            Stage::Draining(drain) => drain.next_wakeup(now),
            Stage::Stopping { .. } | Stage::Done => STOP_POLL,
        };
        if shutdown.killing {
            return Some(STOP_POLL);
        }
        Some(stage_wakeup.min(shutdown.kill_at.saturating_duration_since(now)))
    }
}
