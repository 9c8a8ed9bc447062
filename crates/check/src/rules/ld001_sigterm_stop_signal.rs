//! LD001: nginx or php-fpm will be stopped with SIGTERM.
use super::{Ctx, Sink};
use crate::pods::Pid1;
use crate::shell::SignalSent;

declare_rule! {
    /// nginx or php-fpm will be stopped with SIGTERM, which both treat as a fast shutdown.
    ///
    /// When a pod terminates, the runtime sends each container's stop signal to PID 1: the image's
    /// `STOPSIGNAL`, or `lifecycle.stopSignal` (Kubernetes 1.33+), or SIGTERM when neither is set.
    /// nginx and php-fpm both read SIGTERM as *fast* shutdown: nginx closes every connection at once
    /// and php-fpm kills its busy workers, so in-flight requests end in 502s. SIGQUIT is their
    /// graceful stop.
    ///
    /// The signal is worked out from, in order: `lifecycle.stopSignal`; the `STOPSIGNAL` of a
    /// Dockerfile in the scanned tree that builds the image (following `FROM`); the image table
    /// (official `nginx` 1.19+ and `php:*-fpm*` images and the images built on them stop with
    /// SIGQUIT, `nginx` tags before 1.19 with SIGTERM; the table with its sources is in
    /// docs/check.md). An image that none of these knows gets an *info* finding instead: its
    /// signal is unknown, not SIGTERM, and the finding says how to link the image to its
    /// Dockerfile (`# lameduck:image=PATH` on the image line, `[images]` in `.lameduck-check.toml`, a
    /// `# lameduck:image NAME` comment in the Dockerfile, a folder or `NAME.Dockerfile` named like
    /// the image's last word or its last `-` part, or a docker-compose `build:` with `image:`).
    /// It does not fire when PID 1 is `lameduck run`, supervisord
    /// (see LD009) or `dumb-init --rewrite 15:3`, or when the preStop hook is `lameduck prestop`
    /// or sleeps after sending SIGQUIT.
    ///
    /// A Dockerfile that no scanned workload runs is checked on its own: its final image runs
    /// nginx or php-fpm as PID 1 (ENTRYPOINT/CMD name it, directly or through a script that
    /// `exec`s), on a distribution base (`debian`, `alpine`, `bitnami/minideb`, …) or a base
    /// with a fast STOPSIGNAL, and sets no graceful one. An nginx the image installs with the
    /// package manager is LD018's. Apache is LD021's (its graceful stop is SIGWINCH); Caddy's
    /// graceful stop is SIGTERM itself.
    ///
    /// A preStop `nginx -s quit` or `kill -QUIT 1` alone does not help: the hook returns at once,
    /// the kubelet then sends SIGTERM to the server that is draining, and both nginx and php-fpm
    /// let SIGTERM override a graceful stop in progress ("open socket left in connection" alerts).
    ///
    /// ### Before
    ///
    /// ```dockerfile
    /// FROM nginx:1.17
    /// CMD ["nginx", "-g", "daemon off;"]
    /// ```
    ///
    /// ### After
    ///
    /// ```dockerfile
    /// FROM nginx:1.17
    /// STOPSIGNAL SIGQUIT
    /// CMD ["nginx", "-g", "daemon off;"]
    /// ```
    ///
    /// or, in the pod spec (Kubernetes 1.33+): `lifecycle: {stopSignal: SIGQUIT}`.
    pub static RULE = { id: "LD001", name: "sigterm-stop-signal", severity: Error, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    super::ld001_images::check(ctx, sink);
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        for c in pod.containers.iter().filter(|c| !c.container.plain_init) {
            let Some(role) = c.role.filter(|r| r.stops_on_quit()) else { continue };
            if !c.stop_signal.is_fast() {
                continue;
            }
            match &c.pid1 {
                Pid1::Lameduck(_)
                | Pid1::Supervisord
                | Pid1::Init { rewrites_to_quit: true, .. } => continue,
                _ => {}
            }
            let mut quit_then_term = None;
            if let Some(hook) = &c.hook {
                if hook.lameduck().is_some() {
                    continue;
                }
                if let Some((SignalSent::Quit, command, after)) = hook.first_signal() {
                    if after > 0.0 {
                        continue;
                    }
                    quit_then_term = Some(command.to_string());
                }
            }
            if !c.stop_signal.known {
                let image = c.container.image.as_ref().map_or("", |(i, _)| i.as_str());
                let span = c.container.image.as_ref().map_or(c.container.span, |(_, s)| *s);
                let finding = sink.report_in(
                    pod,
                    span,
                    format!(
                        "the stop signal of {role} in container `{name}` is unknown: no scanned Dockerfile builds image `{image}` and lameduck's image table does not know it; if the image sets no STOPSIGNAL, {role} gets SIGTERM, a fast shutdown; link the image to its Dockerfile so lameduck can tell: `# lameduck:image=path/to/Dockerfile` on the image line, `[images]` in .lameduck-check.toml, or a Dockerfile folder named like the image's last word",
                        role = role.label(),
                        name = c.container.name,
                    ),
                );
                finding.severity = crate::finding::Severity::Info;
                continue;
            }
            let signal = &c.stop_signal.signal;
            let mut message = format!(
                "{role} in container `{name}` will be stopped with {signal} ({why}); {role} treats {signal} as a fast shutdown and drops in-flight requests",
                role = role.label(),
                name = c.container.name,
                why = c.stop_signal.why,
            );
            if let Some(command) = quit_then_term {
                message.push_str(&format!(
                    "; the preStop `{command}` returns at once and the {signal} that follows turns the graceful stop into a fast one"
                ));
            }
            message
                .push_str("; set STOPSIGNAL SIGQUIT in the image or lifecycle.stopSignal: SIGQUIT");
            let span = match (&c.container.stop_signal, &c.container.image) {
                (Some((_, span)), _) => *span,
                (None, Some((_, span))) => *span,
                (None, None) => c.container.span,
            };
            let origin = c
                .stop_signal
                .span
                .filter(|s| Some(*s) != c.container.stop_signal.as_ref().map(|(_, s)| *s));
            sink.report_in(pod, span, message).with(origin, format!("{signal} comes from here"));
        }
    }
}
