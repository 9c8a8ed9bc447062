//! `lameduck run`: the PID-1 supervisor.
//!
//! [`supervise`] reads as a straight line of named steps, like tini's `main()`. Everything after
//! start-up happens in one poll loop: signals arrive through a `signalfd`, the health listener is
//! one more descriptor, and the shutdown ([`crate::shutdown`]) advances on each wake-up.
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;
use nix::sys::signalfd::SignalFd;
use nix::unistd::Pid;

use crate::child::Child;
use crate::config::{Settings, SignalOrigin};
use crate::duration::seconds;
use crate::exit_code;
use crate::health::{HealthServer, Phase, Status};
use crate::log::Logger;
use crate::shutdown::{Parts, Shutdown};
use crate::startup::UpWhen;
use crate::{signals, warnings};

/// How often a starting process is checked for its listeners.
const START_POLL: Duration = Duration::from_millis(20);

/// The running supervisor.
struct Supervisor {
    settings: Settings,
    log: Logger,
    children: Vec<Child>,
    health: Option<HealthServer>,
    /// The health listener's port, looked up once: a drain never watches it.
    health_port: Option<u16>,
    status: Status,
    shutdown: Option<Shutdown>,
    /// Exit code decided by an event (a failed start or a process that exited on its own).
    forced_exit: Option<u8>,
    is_pid1: bool,
}

/// Runs `lameduck run` with validated settings and returns its exit code.
pub fn supervise(settings: Settings) -> u8 {
    let log = Logger::new(settings.log_format, "run");
    let signal_fd = match signals::open_signalfd() {
        Ok(fd) => fd,
        Err(error) => {
            log.phase("start", "failed", &[("error", format!("signalfd: {error}"))]);
            return exit_code::FAILURE;
        }
    };
    let is_pid1 = become_reaper(&log);
    warnings::log_startup_warnings(&settings, &log);
    let health = match bind_health(&settings, &log) {
        Ok(health) => health,
        Err(code) => return code,
    };
    let mut supervisor = Supervisor {
        settings,
        log,
        children: Vec::new(),
        health_port: health.as_ref().and_then(|h| h.local_addr().ok()).map(|a| a.port()),
        health,
        status: Status { phase: Phase::Starting, ..Status::default() },
        shutdown: None,
        forced_exit: None,
        is_pid1,
    };
    supervisor.start_processes(&signal_fd);
    if supervisor.shutdown.is_none() {
        // Every process is up (or its start timeout ran out): /readyz may answer 200.
        supervisor.status.phase = Phase::Running;
    }
    // Idle from here on: give back the executable's pages only start-up needed.
    crate::memory::release_startup_pages();
    supervisor.run_event_loop(&signal_fd);
    let code = supervisor.exit_code();
    supervisor.log.phase("exit", "done", &[("exit_code", code.to_string())]);
    code
}

/// Makes sure orphans are re-parented to lameduck: automatic as PID 1, otherwise by becoming a
/// child subreaper. Returns whether lameduck is PID 1.
fn become_reaper(log: &Logger) -> bool {
    let is_pid1 = std::process::id() == 1;
    if !is_pid1 {
        // SAFETY: prctl with integer arguments only.
        let result = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        if result != 0 {
            log.warn(&format!(
                "not PID 1 and PR_SET_CHILD_SUBREAPER failed ({}); orphans will not be reaped",
                std::io::Error::last_os_error()
            ));
        }
    }
    is_pid1
}

fn bind_health(settings: &Settings, log: &Logger) -> Result<Option<HealthServer>, u8> {
    let Some(addr) = settings.health_listen else { return Ok(None) };
    match HealthServer::bind(addr) {
        Ok(server) => {
            let bound = server.local_addr().map(|a| a.to_string()).unwrap_or_default();
            log.phase("health", "listening", &[("addr", bound)]);
            Ok(Some(server))
        }
        Err(error) => {
            log.phase(
                "health",
                "failed",
                &[("addr", addr.to_string()), ("error", error.to_string())],
            );
            Err(exit_code::USAGE)
        }
    }
}

impl Supervisor {
    /// Starts the processes in order, each once the previous one is up (see
    /// [`Supervisor::wait_until_up`]). If one cannot be started, the ones already running are
    /// stopped gracefully and lameduck exits with 126 or 127.
    fn start_processes(&mut self, signal_fd: &SignalFd) {
        let count = self.settings.processes.len();
        for spec in self.settings.processes.clone() {
            let is_first = self.children.is_empty();
            if !is_first && !self.wait_until_up(self.children.len() - 1, signal_fd) {
                return; // A shutdown began while waiting; start nothing more.
            }
            let origin = match spec.stop_signal_origin {
                SignalOrigin::Configured => "configured".to_string(),
                SignalOrigin::KnownProgram(program) => format!("default for {}", program.name()),
                SignalOrigin::Default => "default".to_string(),
            };
            let name = spec.name.clone();
            let stop_signal = signals::short_name(spec.stop_signal).to_string();
            match Child::spawn(spec) {
                Ok(child) => {
                    self.log.phase(
                        "start",
                        "ok",
                        &[
                            ("process", name),
                            ("pid", child.pid.to_string()),
                            ("stop_signal", stop_signal),
                            ("stop_signal_origin", origin),
                        ],
                    );
                    self.children.push(child);
                    if self.children.len() == count {
                        // The last one too, so that /readyz turns 200 only once it listens.
                        self.wait_until_up(count - 1, signal_fd);
                        return;
                    }
                }
                Err(error) => {
                    let code = exit_code::from_spawn_error(&error);
                    self.log.phase(
                        "start",
                        "failed",
                        &[
                            ("process", name),
                            ("error", error.to_string()),
                            ("exit_code", code.to_string()),
                        ],
                    );
                    self.forced_exit = Some(code);
                    self.begin_shutdown(Instant::now(), "start-failed", true);
                    return;
                }
            }
        }
    }

    /// Waits until the child at `index` listens where it will listen, bounded by its start
    /// timeout (then a warning, and the next process starts anyway). Signals and health checks
    /// are served meanwhile. Returns false when a shutdown began (a signal, or the process
    /// exited), in which case no further process should start.
    fn wait_until_up(&mut self, index: usize, signal_fd: &SignalFd) -> bool {
        let child = &self.children[index];
        let Some(timeout) = child.spec.start_wait() else { return true };
        let (name, pid, up_when) = (child.spec.name.clone(), child.pid.as_raw(), UpWhen::of(child));
        let started = Instant::now();
        self.log.phase(
            "start",
            "waiting",
            &[
                ("process", name.clone()),
                ("for", up_when.describe()),
                ("timeout", seconds(timeout)),
            ],
        );
        loop {
            if let Some(listening) = up_when.check(pid) {
                self.log.phase(
                    "start",
                    "up",
                    &[
                        ("process", name),
                        ("listening", listening),
                        ("seconds", seconds(started.elapsed())),
                    ],
                );
                return true;
            }
            if self.shutdown.is_some() || !self.children[index].running() {
                return false;
            }
            if started.elapsed() >= timeout {
                self.log.phase(
                    "start",
                    "timeout",
                    &[
                        ("process", name.clone()),
                        ("for", up_when.describe()),
                        ("seconds", seconds(started.elapsed())),
                    ],
                );
                self.log.warn(&format!(
                    "{name} is not listening after {}s; starting the next process anyway \
                     (raise or set start_timeout for {name}, 0 to not wait)",
                    seconds(timeout)
                ));
                return true;
            }
            self.poll_once(signal_fd, Some(START_POLL));
        }
    }

    /// Waits for a signal, a health request or `timeout`, and handles what came.
    fn poll_once(&mut self, signal_fd: &SignalFd, timeout: Option<Duration>) {
        let mut fds = vec![PollFd::new(signal_fd.as_fd(), PollFlags::POLLIN)];
        let mut timeout = timeout;
        if let Some(health) = &self.health {
            fds.extend(health.poll_fds());
            if let Some(deadline) = health.next_deadline() {
                let until = deadline.saturating_duration_since(Instant::now());
                timeout = Some(timeout.map_or(until, |timeout| timeout.min(until)));
            }
        }
        let timeout = match timeout {
            None => PollTimeout::NONE,
            Some(duration) => PollTimeout::try_from(duration.max(Duration::from_millis(1)))
                .unwrap_or(PollTimeout::MAX),
        };
        // EINTR cannot happen for blocked signals; other errors just mean "look again".
        let _ = poll(&mut fds, timeout);
        drop(fds);
        // Signals first: a shutdown or a reap never waits behind a health client.
        self.read_signals(signal_fd);
        if let Some(health) = &mut self.health {
            health.serve(&self.status, Instant::now());
        }
    }

    fn run_event_loop(&mut self, signal_fd: &SignalFd) {
        loop {
            let now = Instant::now();
            let (shutdown, mut parts) = self.shutdown_and_parts();
            let timeout = match shutdown {
                Some(shutdown) => {
                    shutdown.advance(now, &mut parts);
                    if shutdown.finished(&parts) {
                        return;
                    }
                    Some(shutdown.next_wakeup(now))
                }
                // Forever while running normally.
                None => None,
            };
            self.poll_once(signal_fd, timeout);
        }
    }

    /// Enters the shutdown (see [`Shutdown::begin`]).
    fn begin_shutdown(&mut self, now: Instant, reason: &str, skip_drain: bool) {
        let (_, mut parts) = self.shutdown_and_parts();
        let shutdown = Shutdown::begin(now, reason, skip_drain, &mut parts);
        self.shutdown = Some(shutdown);
    }

    /// The shutdown, and the parts of the supervisor it acts on, borrowed side by side.
    fn shutdown_and_parts(&mut self) -> (Option<&mut Shutdown>, Parts<'_>) {
        let parts = Parts {
            settings: &self.settings,
            log: &self.log,
            children: &mut self.children,
            status: &mut self.status,
            health_port: self.health_port,
            is_pid1: self.is_pid1,
        };
        (self.shutdown.as_mut(), parts)
    }

    fn read_signals(&mut self, signal_fd: &SignalFd) {
        while let Ok(Some(info)) = signal_fd.read_signal() {
            let number = info.ssi_signo as i32;
            let Ok(signal) = Signal::try_from(number) else {
                self.forward_realtime(number);
                continue;
            };
            let now = Instant::now();
            if signal == Signal::SIGCHLD {
                self.reap(now);
            } else if signals::SHUTDOWN.contains(&signal) {
                self.on_shutdown_signal(signal, now);
            } else {
                self.forward(signal);
            }
        }
    }

    fn on_shutdown_signal(&mut self, signal: Signal, now: Instant) {
        let name = signals::short_name(signal).to_string();
        if self.shutdown.is_none() {
            self.log.phase("shutdown", "begin", &[("signal", name)]);
            self.begin_shutdown(now, "signal", false);
        } else if let Some(shutdown) = &mut self.shutdown {
            shutdown.skip_drain();
            self.log.phase(
                "shutdown",
                "repeated",
                &[("signal", name), ("effect", "skip drain".into())],
            );
        }
    }

    fn forward(&self, signal: Signal) {
        for child in self.children.iter().filter(|child| child.running()) {
            if let Some(Some(outgoing)) = child.spec.forward.get(&signal) {
                child.signal(*outgoing);
                self.log.phase(
                    "forward",
                    "sent",
                    &[
                        ("process", child.spec.name.clone()),
                        ("received", signals::short_name(signal).into()),
                        ("sent", signals::short_name(*outgoing).into()),
                    ],
                );
            }
        }
    }

    /// Passes a real-time signal on to every running process, unchanged.
    fn forward_realtime(&self, number: i32) {
        if !signals::realtime().contains(&number) {
            return;
        }
        for child in self.children.iter().filter(|child| child.running()) {
            // SAFETY: kill with a child's PID and a valid signal number.
            unsafe { libc::kill(child.pid.as_raw(), number) };
            self.log.phase(
                "forward",
                "sent",
                &[
                    ("process", child.spec.name.clone()),
                    ("received", number.to_string()),
                    ("sent", number.to_string()),
                ],
            );
        }
    }

    /// Reaps every exited child, supervised or orphan, so that no zombie is left.
    fn reap(&mut self, now: Instant) {
        loop {
            let mut status: libc::c_int = 0;
            // SAFETY: waitpid writes only to `status`. Raw, not nix's: see exit_code.
            let reaped = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if reaped <= 0 {
                return; // No child left (ECHILD), or none has exited yet (0).
            }
            let pid = Pid::from_raw(reaped);
            let Some(code) = exit_code::from_raw_wait_status(status) else { continue };
            let Some(index) = self.children.iter().position(|c| c.pid == pid && c.running()) else {
                continue;
            };
            self.children[index].exit = Some((code, now));
            self.on_child_exit(index, code, now);
        }
    }

    fn on_child_exit(&mut self, index: usize, code: u8, now: Instant) {
        let child = &self.children[index];
        let name = child.spec.name.clone();
        if child.stop_sent.is_some() || self.shutdown.as_ref().is_some_and(Shutdown::killing) {
            return; // Logged by the shutdown when it reaches this process.
        }
        self.log.phase("exit", "unexpected", &[("process", name), ("exit_code", code.to_string())]);
        if self.forced_exit.is_none() {
            let several = self.children.len() > 1 || self.settings.processes.len() > 1;
            self.forced_exit = Some(if code == 0 && several { exit_code::FAILURE } else { code });
        }
        // Stop the others gracefully; a drain makes no sense once a server is gone.
        if self.shutdown.is_none() {
            self.begin_shutdown(now, "process-exited", true);
        }
    }

    /// The exit code: an event's (failed start, unexpected exit), else the main process's.
    fn exit_code(&self) -> u8 {
        if let Some(code) = self.forced_exit {
            return code;
        }
        match self.children.first().and_then(|child| child.exit) {
            Some((code, _)) => code,
            None => exit_code::SIGNAL_BASE + Signal::SIGKILL as u8,
        }
    }
}
