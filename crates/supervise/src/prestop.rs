//! `lameduck prestop`: the preStop hook for pods with nginx and php-fpm in separate containers.
//!
//! In order: drain (fixed or auto, as in `run`) → wait until nothing listens on the `--after-port`
//! ports (the web server has stopped accepting) → wait until no FastCGI connection to php-fpm
//! remains → send the graceful signal to the target (PID 1 of this container, or `--pidfile`) →
//! wait for it to exit. Everything is bounded by the grace period minus the safety margin. The
//! containers of a pod share one network namespace, so all of this is observable from either.
use std::path::PathBuf;
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::drain::{Drain, DrainSpec};
use crate::duration::seconds;
use crate::exit_code;
use crate::log::{LogFormat, Logger};
use crate::phpfpm::{self, Listen};
use crate::program::Program;
use crate::target::{self, Target};
use crate::{netstat, procfs, signals};

/// How often conditions are re-checked.
const POLL: Duration = Duration::from_millis(50);

/// Settings of `lameduck prestop`.
#[derive(Debug, Clone)]
pub struct PrestopSettings {
    pub drain: DrainSpec,
    pub drain_ports: Vec<u16>,
    pub after_ports: Vec<u16>,
    /// FastCGI addresses to wait for; empty = read from the target's php-fpm config, if it is one.
    pub fastcgi: Vec<Listen>,
    /// `None`: the target's own graceful stop (see [`default_signal`]).
    pub stop_signal: Option<Signal>,
    pub pidfile: Option<PathBuf>,
    /// Programs besides nginx, php-fpm and lameduck that may be the target.
    pub target_programs: Vec<String>,
    pub grace_period: Duration,
    pub safety_margin: Duration,
    pub log_format: LogFormat,
}

/// Runs the hook; returns the exit code (0 once the target has exited).
pub fn prestop(settings: PrestopSettings) -> u8 {
    let mut log = Logger::new(settings.log_format, "prestop");
    // The kubelet discards a hook's output; PID 1's stderr is what `kubectl logs` shows.
    log.mirror_to_pid1_stderr();
    let started = Instant::now();
    let deadline = started + settings.grace_period.saturating_sub(settings.safety_margin);
    let target = match find_target(&settings) {
        Ok(target) => target,
        Err(message) => {
            log.phase("target", "failed", &[("error", message)]);
            return exit_code::USAGE;
        }
    };
    let pid = target.pid;
    let signal = settings.stop_signal.unwrap_or_else(|| default_signal(&target));
    let fastcgi =
        if settings.fastcgi.is_empty() { fastcgi_of(pid) } else { settings.fastcgi.clone() };
    log.phase(
        "target",
        "found",
        &[
            ("pid", pid.to_string()),
            ("program", target.comm.clone()),
            ("signal", signal.as_str().to_string()),
            ("fastcgi", fastcgi.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")),
        ],
    );

    drain(&settings, deadline, &log);
    wait_until_not_listening(&settings.after_ports, deadline, &log);
    wait_for_fastcgi(&fastcgi, deadline, &log);
    send_signal(pid, signal, &log);
    wait_for_exit(pid, deadline, started, &log)
}

/// The process to stop: PID 1 of this container, or the one in `--pidfile`, checked to be one a
/// preStop hook may signal (see [`crate::target`]).
fn find_target(settings: &PrestopSettings) -> Result<Target, String> {
    let pid = match &settings.pidfile {
        Some(path) => target::read_pidfile(path)?,
        None => 1,
    };
    target::identify(pid, &settings.target_programs)
}

/// The target's graceful stop: SIGWINCH for Apache, SIGTERM for Caddy, SIGQUIT for nginx and
/// php-fpm, and SIGQUIT for lameduck and any other program (lameduck drains on it; a named
/// `--target-program` gets what the hook always sent before it knew Apache and Caddy).
pub fn default_signal(target: &Target) -> Signal {
    let argv0 = target.cmdline.split(' ').next().unwrap_or_default().trim_end_matches(':');
    [argv0, target.comm.as_str()]
        .iter()
        .find_map(|name| Program::of(&[name.to_string()]).graceful_stop_signal())
        .unwrap_or(Signal::SIGQUIT)
}

/// php-fpm's listen addresses when `pid` is a php-fpm master. php-fpm rewrites its command line
/// to `php-fpm: master process (/path/to/php-fpm.conf)`, which names the config it read.
fn fastcgi_of(pid: i32) -> Vec<Listen> {
    let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return Vec::new() };
    let argv: Vec<String> = raw
        .split(|byte| *byte == 0)
        .filter(|word| !word.is_empty())
        .map(|word| String::from_utf8_lossy(word).into_owned())
        .collect();
    let title = argv.join(" ");
    if let Some(rest) = title.strip_prefix("php-fpm: master process (") {
        let path = rest.trim_end().trim_end_matches(')');
        return phpfpm::read_file(path.as_ref()).map(|c| c.listens).unwrap_or_default();
    }
    if crate::program::Program::of(&argv) == crate::program::Program::PhpFpm {
        return phpfpm::read(&argv).map(|c| c.listens).unwrap_or_default();
    }
    Vec::new()
}

fn drain(settings: &PrestopSettings, deadline: Instant, log: &Logger) {
    let ports = if !matches!(settings.drain, DrainSpec::Auto { .. }) {
        Vec::new()
    } else if settings.drain_ports.is_empty() {
        netstat::listening_ports(&netstat::tcp_sockets().unwrap_or_default())
    } else {
        settings.drain_ports.clone()
    };
    let now = Instant::now();
    let cap = crate::drain::cap(now, deadline, Duration::ZERO);
    let mut drain = Drain::start(settings.drain.clone(), ports, now, cap);
    log.phase("drain", "begin", &drain.begin_fields());
    loop {
        let now = Instant::now();
        if let Some(end) = drain.poll(now) {
            log.phase("drain", "done", &drain.done_fields(end, now));
            if let Some(cut) = drain.cut_short(end, now) {
                log.phase("drain", "cut-short", &cut.fields());
                log.warn(&cut.warning());
            }
            return;
        }
        sleep(drain.next_wakeup(now).max(Duration::from_millis(1)));
    }
}

fn wait_until_not_listening(ports: &[u16], deadline: Instant, log: &Logger) {
    if ports.is_empty() {
        return;
    }
    let started = Instant::now();
    let joined = ports.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
    log.phase("after-port", "waiting", &[("ports", joined.clone())]);
    loop {
        let listening = netstat::listening_ports(&netstat::tcp_sockets().unwrap_or_default());
        if !ports.iter().any(|port| listening.contains(port)) {
            log.phase(
                "after-port",
                "closed",
                &[("ports", joined), ("seconds", seconds(started.elapsed()))],
            );
            return;
        }
        if Instant::now() >= deadline {
            log.phase("after-port", "deadline", &[("ports", joined)]);
            return;
        }
        sleep(POLL);
    }
}

fn wait_for_fastcgi(listens: &[Listen], deadline: Instant, log: &Logger) {
    if listens.is_empty() {
        return;
    }
    let started = Instant::now();
    let mut logged = false;
    loop {
        let connections = phpfpm::connections(listens);
        if connections == 0 {
            log.phase("fastcgi", "idle", &[("seconds", seconds(started.elapsed()))]);
            return;
        }
        if !logged {
            logged = true;
            log.phase("fastcgi", "waiting", &[("connections", connections.to_string())]);
        }
        if Instant::now() >= deadline {
            log.phase("fastcgi", "deadline", &[("connections", connections.to_string())]);
            return;
        }
        sleep(POLL);
    }
}

fn send_signal(pid: i32, signal: Signal, log: &Logger) {
    let name = signals::short_name(signal).to_string();
    // Logged before the signal: when the target is PID 1, its exit ends the container and kills
    // this hook, possibly before a line written after kill() could be.
    log.phase("stop", "sending", &[("pid", pid.to_string()), ("signal", name.clone())]);
    match kill(Pid::from_raw(pid), signal) {
        Ok(()) => log.phase("stop", "signal-sent", &[("pid", pid.to_string()), ("signal", name)]),
        Err(error) => log.phase(
            "stop",
            "signal-failed",
            &[("pid", pid.to_string()), ("signal", name), ("error", error.to_string())],
        ),
    }
}

fn wait_for_exit(pid: i32, deadline: Instant, started: Instant, log: &Logger) -> u8 {
    let signalled = Instant::now();
    while procfs::is_running(pid) {
        if Instant::now() >= deadline {
            log.phase("stop", "deadline", &[("pid", pid.to_string())]);
            return exit_code::FAILURE;
        }
        sleep(POLL);
    }
    log.phase(
        "stop",
        "exited",
        &[
            ("pid", pid.to_string()),
            ("seconds", seconds(signalled.elapsed())),
            ("total_seconds", seconds(started.elapsed())),
        ],
    );
    0
}
