//! Command-line arguments and entry points of `lameduck run` and `lameduck prestop`.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::config::{Overrides, Settings};
use crate::drain::DrainSpec;
use crate::log::LogFormat;
use crate::phpfpm::Listen;
use crate::prestop::PrestopSettings;
use crate::{duration, exit_code, signals};

/// PID-1 entrypoint: on SIGTERM, drain and stop nginx/php-fpm without dropping a request.
///
/// Starts the processes, and on SIGTERM stops them without dropping a request and without
/// overrunning the grace period. On SIGTERM, SIGINT or SIGQUIT, in order:
///   1. lame duck: /readyz (on --health-listen) answers 503;
///   2. drain: wait while the load balancer still sends traffic (--drain);
///   3. stop each process with its graceful signal (nginx, php-fpm: QUIT; Apache: WINCH;
///      Caddy: TERM), in reverse start
///      order, waiting for each to exit; php-fpm is signalled only once its FastCGI connections
///      are done, so process_control_timeout = 0 loses nothing;
///   4. SIGKILL whatever is left before --grace-period minus --safety-margin.
///
/// A second SIGTERM skips the drain. HUP, USR1, USR2 and WINCH are forwarded. If a process exits
/// on its own, the others are stopped gracefully and lameduck exits non-zero.
///
/// Examples:
///   lameduck run -- php-fpm8.2 -F
///   lameduck run --drain auto --health-listen 0.0.0.0:8086 \
///       --process fpm='php-fpm8.2 -F' --process web='nginx -g "daemon off;"'
///   lameduck run --config /etc/lameduck.toml
///
/// Settings come from lameduck.toml (--config, or ./lameduck.toml when no process is given),
/// overridden by LAMEDUCK_* environment variables, overridden by flags.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment, after_help = exit_code::help_section(exit_code::RUN))]
pub struct RunArgs {
    /// lameduck.toml with [[process]] tables and the settings below.
    #[arg(long, env = "LAMEDUCK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// A process to run, as NAME='COMMAND ARGS' (split like a shell would, but no shell runs).
    /// Repeat for several: started in the order given, stopped in reverse.
    #[arg(long = "process", value_name = "NAME=COMMAND")]
    processes: Vec<String>,
    /// How to wait for the load balancer: `auto[:quiet=1s,min=0s,max=deadline,adapt=2]` (until
    /// the watched ports see no new connection and no received byte for `quiet`, or for `adapt`
    /// times the longest gap the traffic has shown if that is longer; by default for as long as
    /// the grace period leaves after 5 s, or the stop timeouts, for the stops), `fixed:5s`, or
    /// `none`.
    #[arg(long, env = "LAMEDUCK_DRAIN", value_name = "SPEC")]
    drain: Option<DrainSpec>,
    /// Ports the auto drain watches [default: the ports the processes listen on].
    #[arg(
        long = "drain-port",
        env = "LAMEDUCK_DRAIN_PORTS",
        value_delimiter = ',',
        value_name = "PORT"
    )]
    drain_ports: Vec<u16>,
    /// The pod's terminationGracePeriodSeconds: nothing runs past it [default: 30s].
    #[arg(long, env = "LAMEDUCK_GRACE_PERIOD", value_parser = duration::parse, value_name = "DURATION")]
    grace_period: Option<Duration>,
    /// lameduck SIGKILLs what is left this long before the grace period ends [default: 2s].
    #[arg(long, env = "LAMEDUCK_SAFETY_MARGIN", value_parser = duration::parse, value_name = "DURATION")]
    safety_margin: Option<Duration>,
    /// Serve /readyz, /livez and /metrics here, e.g. 0.0.0.0:8086.
    #[arg(long, env = "LAMEDUCK_HEALTH_LISTEN", value_name = "ADDR")]
    health_listen: Option<SocketAddr>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "LAMEDUCK_LOG_FORMAT", value_name = "FORMAT")]
    log_format: Option<LogFormat>,
    /// Stop signal, for all processes or one: QUIT, or web=QUIT [default: QUIT for nginx and
    /// php-fpm, WINCH for Apache (apache2, httpd), TERM otherwise].
    #[arg(long = "stop-signal", value_name = "[NAME=]SIGNAL")]
    stop_signals: Vec<String>,
    /// How long to wait for a process to exit after its stop signal before SIGKILL, for all or
    /// one: 20s, or fpm=20s [default: until the deadline].
    #[arg(long = "stop-timeout", value_name = "[NAME=]DURATION")]
    stop_timeouts: Vec<String>,
    /// How long the next process waits for this one to listen on its ports, for all or one:
    /// 5s, or fpm=5s; 0 = start the next one at once [default: 10s for nginx and php-fpm, no
    /// wait for other programs].
    #[arg(long = "start-timeout", value_name = "[NAME=]DURATION")]
    start_timeouts: Vec<String>,
    /// The command to run, after `--` (one process).
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// preStop hook for two-container pods: drain, then stop this container in the right order.
///
/// Drains, waits for the web server to stop listening and for FastCGI connections to finish,
/// then gracefully stops this container's main process and waits for it to exit. A static
/// binary: no shell needed, works in distroless images.
///
/// Examples (Kubernetes lifecycle.preStop.exec.command):
///   nginx container:   ["/lameduck", "prestop", "--drain", "auto"]
///   php-fpm container: ["/lameduck", "prestop", "--drain", "none", "--after-port", "80"]
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment, after_help = exit_code::help_section(exit_code::PRESTOP))]
pub struct PrestopArgs {
    /// How to wait for the load balancer: `auto[:quiet=1s,min=0s,max=deadline,adapt=2]`,
    /// `fixed:5s`, `none`. `auto` waits for silence on the watched ports: `quiet`, or `adapt`
    /// times the longest gap in the pod's recent traffic if that is longer; by default for as
    /// long as --grace-period leaves after 5 s for the stop.
    #[arg(long, env = "LAMEDUCK_DRAIN", default_value = "auto", value_name = "SPEC")]
    drain: DrainSpec,
    /// Ports the auto drain watches [default: every listening port in the pod].
    #[arg(
        long = "drain-port",
        env = "LAMEDUCK_DRAIN_PORTS",
        value_delimiter = ',',
        value_name = "PORT"
    )]
    drain_ports: Vec<u16>,
    /// Before signalling, wait until nothing in the pod listens on this port (the web server has
    /// begun its graceful stop). Repeatable.
    #[arg(long = "after-port", value_delimiter = ',', value_name = "PORT")]
    after_ports: Vec<u16>,
    /// FastCGI address to wait for, as a port or a unix socket path [default: read from the
    /// target's php-fpm config when the target is php-fpm]. Repeatable.
    #[arg(long = "fastcgi", value_name = "PORT|PATH")]
    fastcgi: Vec<String>,
    /// Graceful signal to send, as `lameduck run --stop-signal` (`--signal` is an older name)
    /// [default: the target's graceful stop: WINCH for Apache, TERM for Caddy, QUIT for nginx,
    /// php-fpm and anything else].
    #[arg(long = "stop-signal", alias = "signal", value_parser = signals::parse, value_name = "SIGNAL")]
    stop_signal: Option<Signal>,
    /// Signal the process in this pidfile instead of PID 1.
    #[arg(long, value_name = "FILE")]
    pidfile: Option<PathBuf>,
    /// Also accept a target running this program (its name in /proc/PID/comm or its command's
    /// first word); without it, the target must be nginx, php-fpm, Apache (apache2, httpd),
    /// Caddy or lameduck. Repeatable.
    #[arg(long = "target-program", value_name = "NAME")]
    target_programs: Vec<String>,
    /// The pod's terminationGracePeriodSeconds: the hook's deadline, and what bounds the drain.
    #[arg(long, env = "LAMEDUCK_GRACE_PERIOD", default_value = "30s", value_parser = duration::parse, value_name = "DURATION")]
    grace_period: Duration,
    /// Give up this long before the grace period ends.
    #[arg(long, env = "LAMEDUCK_SAFETY_MARGIN", default_value = "2s", value_parser = duration::parse, value_name = "DURATION")]
    safety_margin: Duration,
    /// Log format: text or json.
    #[arg(long, env = "LAMEDUCK_LOG_FORMAT", default_value = "text", value_name = "FORMAT")]
    log_format: LogFormat,
}

/// Runs `lameduck run`.
pub fn run(args: RunArgs) -> ExitCode {
    let overrides = match overrides(args) {
        Ok(overrides) => overrides,
        Err(message) => return usage_error(&message),
    };
    match Settings::resolve(&overrides) {
        Ok(settings) => exit_code::exit(crate::supervisor::supervise(settings)),
        Err(error) => usage_error(&error.to_string()),
    }
}

/// Runs `lameduck prestop`.
pub fn prestop(args: PrestopArgs) -> ExitCode {
    let fastcgi = args
        .fastcgi
        .iter()
        .map(|text| match text.parse::<u16>() {
            Ok(port) => Listen::Tcp(port),
            Err(_) => Listen::Unix(text.clone()),
        })
        .collect();
    let settings = PrestopSettings {
        drain: args.drain,
        drain_ports: args.drain_ports,
        after_ports: args.after_ports,
        fastcgi,
        stop_signal: args.stop_signal,
        pidfile: args.pidfile,
        target_programs: args.target_programs,
        grace_period: args.grace_period,
        safety_margin: args.safety_margin,
        log_format: args.log_format,
    };
    exit_code::exit(crate::prestop::prestop(settings))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("lameduck run: error: {message}");
    exit_code::exit(exit_code::USAGE)
}

/// Parses repeated `[NAME=]VALUE` flags, naming the flag in the error.
fn named_values<T, E: std::fmt::Display>(
    flag: &str,
    texts: &[String],
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<(Option<String>, T)>, String> {
    texts
        .iter()
        .map(|text| {
            let (name, value) = split_name(text);
            parse(&value).map(|parsed| (name, parsed))
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{flag}: {e}"))
}

fn overrides(args: RunArgs) -> Result<Overrides, String> {
    let processes = args.processes.iter().map(|text| split_name(text)).collect();
    let stop_signals = named_values("--stop-signal", &args.stop_signals, signals::parse)?;
    let stop_timeouts = named_values("--stop-timeout", &args.stop_timeouts, duration::parse)?;
    let start_timeouts = named_values("--start-timeout", &args.start_timeouts, duration::parse)?;
    Ok(Overrides {
        config: args.config,
        processes,
        command: args.command,
        drain: args.drain,
        drain_ports: args.drain_ports,
        grace_period: args.grace_period,
        safety_margin: args.safety_margin,
        health_listen: args.health_listen,
        log_format: args.log_format,
        stop_signals,
        stop_timeouts,
        start_timeouts,
    })
}

/// `name=value` → `(Some(name), value)` when `name` is a plain word; else `(None, text)`.
fn split_name(text: &str) -> (Option<String>, String) {
    match text.split_once('=') {
        Some((name, value))
            if !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) =>
        {
            (Some(name.to_string()), value.to_string())
        }
        _ => (None, text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::{split_name, PrestopArgs, RunArgs};
    use clap::{CommandFactory, Parser};
    use nix::sys::signal::Signal;

    #[derive(clap::Parser)]
    enum Cli {
        Run(RunArgs),
        Prestop(PrestopArgs),
    }

    fn long_help(name: &str) -> String {
        let mut command = Cli::command();
        command.build();
        command.find_subcommand_mut(name).unwrap().render_long_help().to_string()
    }

    #[test]
    fn prestop_names_its_signal_stop_signal_and_still_accepts_signal() {
        for flag in ["--stop-signal", "--signal"] {
            let Cli::Prestop(args) = Cli::try_parse_from(["x", "prestop", flag, "TERM"]).unwrap()
            else {
                panic!("parsed as another subcommand")
            };
            assert_eq!(args.stop_signal, Some(Signal::SIGTERM), "{flag}");
        }
        let help = long_help("prestop");
        assert!(help.contains("--stop-signal <SIGNAL>"), "{help}");
        assert!(!help.contains("--signal <"), "the old name must stay hidden:\n{help}");
    }

    #[test]
    fn both_helps_end_with_the_exit_code_table() {
        for (name, codes) in [
            ("run", &["0-255", "128+N", "127", "126", "2", "1"][..]),
            ("prestop", &["0", "1", "2"][..]),
        ] {
            let help = long_help(name);
            let section = help
                .split_once("\nExit codes:\n")
                .map(|(_, s)| s)
                .unwrap_or_else(|| panic!("{name} --help has no \"Exit codes:\" section:\n{help}"));
            let listed: Vec<&str> =
                section.lines().filter_map(|line| line.split_whitespace().next()).collect();
            assert_eq!(listed, codes, "{name}:\n{section}");
        }
    }

    #[test]
    fn names_are_plain_words_before_the_equals_sign() {
        assert_eq!(split_name("web=nginx -g x"), (Some("web".into()), "nginx -g x".into()));
        assert_eq!(split_name("QUIT"), (None, "QUIT".into()));
        assert_eq!(split_name("php -d a=b"), (None, "php -d a=b".into()));
    }
}
