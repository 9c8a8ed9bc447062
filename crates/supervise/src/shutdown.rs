//! The shutdown sequence of `lameduck run`: lame duck → drain → graceful stop, one process at a
//! time in stop order → SIGKILL of whatever is left at the deadline. It is a state machine that
//! the supervisor's poll loop advances; nothing here blocks.
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::child::Child;
use crate::config::Settings;
use crate::drain::{self, Drain, DrainEnd, DrainSpec};
use crate::duration::seconds;
use crate::health::Phase;
use crate::health::Status;
use crate::log::Logger;
use crate::{netstat, phpfpm, procfs, signals};

/// How often a stop in progress is looked at (exits themselves arrive as SIGCHLD at once).
const STOP_POLL: Duration = Duration::from_millis(50);

/// A shutdown in progress.
#[derive(Debug)]
pub struct Shutdown {
    /// lameduck's own SIGKILL deadline: grace period minus safety margin after the start.
    kill_at: Instant,
    /// Set by a second shutdown signal.
    skip_drain: bool,
    stage: Stage,
    killing: bool,
}

/// What a shutdown acts on: the supervisor's processes, settings, log and health status.
pub struct Parts<'a> {
    pub settings: &'a Settings,
    pub log: &'a Logger,
    pub children: &'a mut [Child],
    pub status: &'a mut Status,
    /// The health listener's port, which a drain never watches.
    pub health_port: Option<u16>,
    pub is_pid1: bool,
}

/// Where the shutdown is.
#[derive(Debug)]
enum Stage {
    Draining(Box<Drain>),
    Stopping { queue: VecDeque<usize>, current: Option<Current> },
    Done,
}

/// The process being stopped.
#[derive(Debug)]
struct Current {
    index: usize,
    timeout_at: Option<Instant>,
    waiting_logged: bool,
    killed: bool,
}

impl Shutdown {
    /// Enters lame-duck mode (`/readyz` answers 503) and starts the drain, or goes straight to
    /// stopping when `skip_drain` (a process exited, or a start failed).
    pub fn begin(now: Instant, reason: &str, skip_drain: bool, parts: &mut Parts) -> Shutdown {
        parts.status.phase = Phase::Draining;
        let budget = parts.settings.budget();
        let kill_at = now + budget;
        parts.log.phase(
            "lame-duck",
            "begin",
            &[("reason", reason.into()), ("deadline_in", seconds(budget))],
        );
        let stage = if skip_drain {
            stopping_stage(parts)
        } else {
            let cap = drain::cap(now, kill_at, parts.settings.stop_timeouts_total());
            let drain = Drain::start(parts.settings.drain.clone(), drain_ports(parts), now, cap);
            parts.log.phase("drain", "begin", &drain.begin_fields());
            Stage::Draining(Box::new(drain))
        };
        Shutdown { kill_at, skip_drain, stage, killing: false }
    }

    /// A second shutdown signal: stop draining and go on to the stops.
    pub fn skip_drain(&mut self) {
        self.skip_drain = true;
    }

    /// Whether the deadline's SIGKILLs are out.
    pub fn killing(&self) -> bool {
        self.killing
    }

    /// Moves the shutdown forward; called on every wake-up of the loop.
    pub fn advance(&mut self, now: Instant, parts: &mut Parts) {
        if !self.killing && now >= self.kill_at && parts.children.iter().any(Child::running) {
            self.kill_everything(parts);
        }
        if let Stage::Draining(drain) = &mut self.stage {
            // Nothing left to drain for once every process has exited.
            let nothing_left = !parts.children.iter().any(Child::running);
            let end = if self.skip_drain || nothing_left {
                Some(DrainEnd::Skipped)
            } else {
                drain.poll(now)
            };
            if let Some(end) = end {
                parts.status.drain_seconds = Some(drain.elapsed(now).as_secs_f64());
                parts.log.phase("drain", "done", &drain.done_fields(end, now));
                if let Some(cut) = drain.cut_short(end, now) {
                    parts.status.drain_cut_short += 1;
                    parts.log.phase("drain", "cut-short", &cut.fields());
                    parts.log.warn(&cut.warning());
                }
                self.stage = stopping_stage(parts);
            }
        }
        self.advance_stopping(now, parts);
    }

    /// Stops processes one at a time: wait for php-fpm's FastCGI connections to finish, send the
    /// stop signal, wait for the exit (or the process's own timeout, then SIGKILL).
    // Long because the stop of one process as a state machine, its states in the order they happen.
    fn advance_stopping(&mut self, now: Instant, parts: &mut Parts) {
        let Parts { children, log, status, .. } = parts;
        let shutdown = self;
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
    fn kill_everything(&mut self, parts: &mut Parts) {
        let names: Vec<String> = parts
            .children
            .iter()
            .filter(|child| child.running())
            .map(|child| child.spec.name.clone())
            .collect();
        for child in parts.children.iter() {
            child.kill_group();
        }
        if parts.is_pid1 {
            // SAFETY: kill(-1) from PID 1 signals every other process in the PID namespace.
            unsafe { libc::kill(-1, libc::SIGKILL) };
        }
        parts.status.phase = Phase::Killing;
        parts.log.phase("deadline", "kill", &[("processes", names.join(","))]);
        self.killing = true;
    }

    /// True once every supervised process has exited and the stop sequence is over, or when the
    /// SIGKILLs have been out for long enough that waiting longer would overrun the deadline.
    pub fn finished(&self, parts: &Parts) -> bool {
        let none_running = !parts.children.iter().any(Child::running);
        let give_up = self.kill_at + parts.settings.safety_margin / 2;
        (none_running && (matches!(self.stage, Stage::Done) || self.killing))
            || (self.killing && Instant::now() >= give_up)
    }

    /// How long the loop may sleep: forever while running normally.
    pub fn next_wakeup(&self, now: Instant) -> Duration {
        let stage_wakeup = match &self.stage {
            Stage::Draining(drain) => drain.next_wakeup(now),
            Stage::Stopping { .. } | Stage::Done => STOP_POLL,
        };
        if self.killing {
            return STOP_POLL;
        }
        stage_wakeup.min(self.kill_at.saturating_duration_since(now))
    }
}

/// The stop queue, in stop order.
fn stopping_stage(parts: &mut Parts) -> Stage {
    parts.status.phase = Phase::Stopping;
    let order = parts.settings.stop_order().unwrap_or_default();
    let queue = order.into_iter().filter(|&index| index < parts.children.len()).collect();
    Stage::Stopping { queue, current: None }
}

/// The ports an auto drain watches: the configured ones, else those the supervised processes
/// listen on (never the health listener's).
fn drain_ports(parts: &Parts) -> Vec<u16> {
    if !matches!(parts.settings.drain, DrainSpec::Auto { .. }) {
        return Vec::new();
    }
    if !parts.settings.drain_ports.is_empty() {
        return parts.settings.drain_ports.clone();
    }
    let sockets = netstat::tcp_sockets().unwrap_or_default();
    let mut ports = procfs::listening_ports_of_tree(std::process::id() as i32, &sockets);
    ports.retain(|port| Some(*port) != parts.health_port);
    ports
}
