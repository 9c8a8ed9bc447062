//! LD014: lameduck's own flags do not match the pod.
use super::{Ctx, Sink};
use crate::duration::show;
use crate::pods::{ContainerView, Listener, Pid1, PodView, Role};
use crate::shell::{LameduckCall, SignalSent};

declare_rule! {
    /// `lameduck run` or `lameduck prestop` flags do not match the pod they run in.
    ///
    /// lameduck plans its drain against `--grace-period` (default 30s, Kubernetes' default). If
    /// the pod's `terminationGracePeriodSeconds` is shorter, the kubelet's SIGKILL arrives before
    /// lameduck's plan ends; a drain whose maximum (`--drain fixed:Ns`, or `max=` of
    /// `--drain auto`, by default the grace period less the safety margin and 5 s for the stops)
    /// reaches the grace period leaves no time for the servers to finish; `prestop
    /// --stop-signal` other than QUIT, and `run --stop-signal` TERM or INT for
    /// all processes or for an nginx or php-fpm `--process`, make nginx and php-fpm stop fast.
    ///
    /// `prestop --after-port N` waits, before signalling, until nothing in the pod listens on
    /// port N. If N is this container's own port (and no other container's), it stops listening
    /// only once the hook has signalled it: the hook waits until the grace period is almost over,
    /// and the server then has no time left for its requests. If no container declares N or
    /// listens on it in its nginx config (and every other container declares ports or has such
    /// a config, so none can be listening unseen), the wait ends at once and the container is
    /// not ordered after the web server at all. A value that is not a port makes lameduck exit
    /// with a usage error.
    ///
    /// Recognised forms: `lameduck run [--grace-period D] [--drain none|fixed:D|auto[:quiet=D,min=D,max=D|deadline,adapt=N]] [--stop-signal [NAME=]SIG] [--process NAME=CMD] -- cmd`
    /// and `lameduck prestop [--drain …] [--grace-period D] [--stop-signal SIG] [--after-port N[,N]] [--fastcgi A] [--pidfile P]`,
    /// with `--flag value` or `--flag=value`, in `command`/`args`, in the image's ENTRYPOINT/CMD,
    /// or in an exec preStop hook (also inside `sh -c`). Unknown flags are ignored. As lameduck
    /// does, the container's `LAMEDUCK_DRAIN` and `LAMEDUCK_GRACE_PERIOD` stand in for absent
    /// flags; `run --config FILE` (or `LAMEDUCK_CONFIG`, or no process on the command line, which
    /// reads ./lameduck.toml) may set the drain and grace period in a file this check does not
    /// read, so they are then checked only when given as flags.
    ///
    /// ### Before
    ///
    /// ```yaml
    /// terminationGracePeriodSeconds: 20
    /// containers:
    ///   - command: ["/lameduck", "run", "--drain", "fixed:5s", "--", "php-fpm", "-F"]
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// terminationGracePeriodSeconds: 20
    /// containers:
    ///   - command: ["/lameduck", "run", "--grace-period", "20s", "--drain", "fixed:5s", "--", "php-fpm", "-F"]
    /// ```
    pub static RULE = { id: "LD014", name: "lameduck-flags", severity: Error, check: check };
}

fn problems(call: &LameduckCall, grace: f64, role: Option<Role>) -> Vec<String> {
    let mut out = Vec::new();
    let planned = call.grace_period.unwrap_or(30.0);
    // Without the flag, a lameduck.toml the checker does not read may set the grace period.
    let planned_known = call.grace_period.is_some() || !call.reads_config_file();
    if planned_known && planned > grace {
        let given = if call.grace_period_from_env {
            "LAMEDUCK_GRACE_PERIOD in the container's env"
        } else if call.grace_period.is_some() {
            "--grace-period"
        } else {
            "the default --grace-period"
        };
        out.push(format!(
            "{given} is {} but terminationGracePeriodSeconds is {}: the kubelet kills the pod before lameduck's plan ends; pass --grace-period {}",
            show(planned),
            show(grace),
            show(grace)
        ));
    }
    let drain = call.known_drain().map_or(0.0, |d| crate::lameduck_flags::most(&d));
    if drain > 0.0 && drain >= grace.min(planned) {
        out.push(format!(
            "--drain {} can take {} of the {} grace period, leaving nothing for the servers to finish their requests",
            call.drain_text.as_deref().unwrap_or("auto (default)"),
            show(drain),
            show(grace.min(planned))
        ));
    }
    for (written, error) in &call.invalid_durations {
        out.push(format!(
            "{written}: {error}; lameduck exits with a usage error, so nothing drains or stops gracefully"
        ));
    }
    let invalid = call.invalid_signals();
    for (spec, error) in &invalid {
        out.push(format!(
            "--stop-signal {spec}: {error}; lameduck exits with a usage error, so nothing drains or stops gracefully"
        ));
    }
    if let Some(signal) = call.signal.as_ref().filter(|s| !invalid.iter().any(|(i, _)| i == *s)) {
        match role.filter(|r| !r.stops_on_quit()) {
            // Apache's and Caddy's graceful stops are other signals: LD021 checks Apache's.
            Some(_) => {}
            None if SignalSent::parse(signal) != SignalSent::Quit => out.push(format!(
                "--stop-signal {signal} is a fast shutdown for nginx and php-fpm; use --stop-signal QUIT (or leave it out)"
            )),
            None => {}
        }
    }
    for spec in call.stop_signals.iter().filter(|s| !invalid.iter().any(|(i, _)| i == *s)) {
        let (name, signal) = spec.split_once('=').unwrap_or(("", spec));
        if !matches!(SignalSent::parse(signal), SignalSent::Fast(_)) {
            continue;
        }
        let server =
            if name.is_empty() { Some("nginx and php-fpm") } else { process_server(call, name) };
        if let Some(server) = server {
            out.push(format!(
                "--stop-signal {spec} is a fast shutdown for {server}; leave it out (lameduck run stops them with QUIT) or use QUIT"
            ));
        }
    }
    if call.drain_text.is_some() && call.drain.is_none() {
        out.push(format!(
            "--drain {} is not a drain lameduck understands (none, fixed:5s, auto, auto:quiet=1s,min=0s,max=15s,adapt=2, max=deadline, with min at most max and adapt a whole number from 0 to 100): lameduck exits with a usage error, so nothing drains",
            call.drain_text.as_deref().unwrap_or("")
        ));
    }
    out
}

/// The server a `run --process NAME=COMMAND` runs, if it is nginx or php-fpm.
fn process_server(call: &LameduckCall, name: &str) -> Option<&'static str> {
    let command = call.processes.iter().find_map(|p| p.strip_prefix(name)?.strip_prefix('='))?;
    let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    Role::of_words(&words).map(Role::label)
}

/// `--after-port` ports that nothing else in the pod listens on.
fn after_port_problems(pod: &PodView<'_>, c: &ContainerView<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (port, listener) in pod.after_ports(c) {
        let why = match listener {
            Listener::Other(_) | Listener::Undeclared(_) => continue,
            Listener::Invalid => format!(
                "--after-port {port} is not a port number: lameduck exits with a usage error, so the hook neither waits nor stops the server gracefully"
            ),
            Listener::Own => format!(
                "--after-port {port} names this container's own port: it stops listening only once the hook has signalled it, so the hook waits until the grace period is almost over; name the web server's port (nginx's, usually 80)"
            ),
            Listener::Nobody => format!(
                "--after-port {port} names a port no other container in the pod declares or listens on: with nothing listening there the wait ends at once, so this container is not stopped after the web server; name the port the web server (nginx) listens on"
            ),
        };
        out.push(why);
    }
    out
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        let grace = pod.workload.grace_seconds();
        for c in &pod.containers {
            let mut calls = Vec::new();
            if let Pid1::Lameduck(call) = &c.pid1 {
                calls.push((call.as_ref(), c.pid1_span.unwrap_or(c.container.span)));
            }
            let mut hook_call = None;
            if let (Some(hook), Some(pre_stop)) = (&c.hook, &c.container.pre_stop) {
                if let Some(call) = hook.lameduck() {
                    calls.push((call, pre_stop.span()));
                    hook_call = Some(call);
                }
            }
            for (call, span) in calls {
                let mut found = problems(call, grace, c.role);
                if hook_call.is_some_and(|h| std::ptr::eq(h, call)) {
                    found.extend(after_port_problems(pod, c));
                }
                for problem in found {
                    sink.report_in(
                        pod,
                        span,
                        format!(
                            "`lameduck {}` in container `{}`: {problem}",
                            call.subcommand, c.container.name
                        ),
                    );
                }
            }
        }
    }
}
