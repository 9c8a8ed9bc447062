//! LD021: Apache httpd will be stopped with a signal other than SIGWINCH, its graceful stop.
use super::ld001_images::unused_images;
use super::packages::{installs, is_apache_package};
use super::{Ctx, Sink};
use crate::pods::{ContainerView, Pid1, Role};
use crate::source::Span;

declare_rule! {
    /// Apache httpd will be stopped with SIGTERM (or another signal that is not its graceful
    /// stop, SIGWINCH).
    ///
    /// Apache's graceful stop is SIGWINCH (`apachectl -k graceful-stop`): "the parent process
    /// [advises] the children to exit after their current request […] and cease listening on
    /// all ports", and exits once they have, or when `GracefulShutdownTimeout` runs out. SIGTERM
    /// (`apachectl -k stop`) is the opposite: "the parent […] immediately attempt[s] to kill off
    /// all of its children […] Any requests in progress are terminated"
    /// (<https://httpd.apache.org/docs/2.4/stopping.html>). SIGQUIT, nginx's and php-fpm's
    /// graceful stop, is not handled by Apache at all: it ends the process at once.
    ///
    /// The official `httpd` and `php:*-apache` images, and the Apache variants of `wordpress`,
    /// `drupal`, `nextcloud` and the other images built on them, set `STOPSIGNAL SIGWINCH`. An
    /// image that installs Debian's or Alpine's `apache2` package on `debian`, `ubuntu` or
    /// `alpine` sets none, so it is stopped with SIGTERM; so is any container whose
    /// `lifecycle.stopSignal` (Kubernetes 1.33+) names another signal, or whose preStop hook is
    /// `lameduck prestop --stop-signal` with another signal (without the flag, prestop sends
    /// Apache SIGWINCH).
    ///
    /// The signal is worked out as for LD001 (`lifecycle.stopSignal`, a linked Dockerfile's
    /// `STOPSIGNAL` following `FROM`, the image table). A Dockerfile that no scanned workload
    /// runs is checked on its own: its final image runs Apache as PID 1 (`apache2-foreground`,
    /// `httpd-foreground`, `apachectl -D FOREGROUND`, directly or through a script that `exec`s)
    /// on a distribution base and sets no STOPSIGNAL, or sets another one. It does not fire when
    /// PID 1 is `lameduck run` or supervisord, or when the signal is not known.
    ///
    /// A preStop `apachectl -k graceful-stop` alone does not help either: "A TERM signal will
    /// immediately terminate the parent process and all children when in the 'graceful' state",
    /// and the kubelet sends the stop signal right after the hook.
    ///
    /// ### Before
    ///
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// RUN apt-get update && apt-get install -y apache2 libapache2-mod-php
    /// CMD ["apachectl", "-D", "FOREGROUND"]
    /// ```
    ///
    /// ### After
    ///
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// RUN apt-get update && apt-get install -y apache2 libapache2-mod-php
    /// STOPSIGNAL SIGWINCH
    /// CMD ["apachectl", "-D", "FOREGROUND"]
    /// ```
    ///
    /// or, in the pod spec (Kubernetes 1.33+): `lifecycle: {stopSignal: SIGWINCH}`.
    pub static RULE = { id: "LD021", name: "apache-stop-signal", severity: Error, check: check };
}

const FIX: &str =
    "Apache's graceful stop is SIGWINCH: set `STOPSIGNAL SIGWINCH` in the image or lifecycle.stopSignal: SIGWINCH";

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    check_images(ctx, sink);
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        for c in pod.containers.iter().filter(|c| !c.container.plain_init) {
            if c.role != Some(Role::Apache) || !c.stop_signal.known {
                continue;
            }
            if matches!(c.pid1, Pid1::Lameduck(_) | Pid1::Supervisord) {
                continue;
            }
            let signal = match prestop_signal(c) {
                Some(signal) => signal,
                None => c.stop_signal.signal.clone(),
            };
            if Role::Apache.stops_gracefully_on(&signal) {
                continue;
            }
            let (why, fix) = match prestop_signal(c) {
                Some(_) => (
                    "the preStop `lameduck prestop` sends it".to_string(),
                    "leave --stop-signal out: prestop then sends Apache SIGWINCH, its graceful stop",
                ),
                None => (c.stop_signal.why.clone(), FIX),
            };
            let hook_span = prestop_signal(c).and(c.container.pre_stop.as_ref().map(|p| p.span()));
            let span = match (hook_span, &c.container.stop_signal, &c.container.image) {
                (Some(span), _, _) => span,
                (None, Some((_, span)), _) => *span,
                (None, None, Some((_, span))) => *span,
                (None, None, None) => c.container.span,
            };
            let origin = c
                .stop_signal
                .span
                .filter(|s| Some(*s) != c.container.stop_signal.as_ref().map(|(_, s)| *s));
            sink.report_in(
                pod,
                span,
                format!(
                    "Apache in container `{}` will be stopped with {signal} ({why}); Apache ends every request in flight on it; {fix}",
                    c.container.name
                ),
            )
            .with(origin, format!("{signal} comes from here"));
        }
    }
}

/// The signal a `lameduck prestop` hook sends, and waits on, before the kubelet sends its own:
/// `--stop-signal`, else its target's graceful stop (SIGWINCH for Apache).
fn prestop_signal(c: &ContainerView<'_>) -> Option<String> {
    let call = c.hook.as_ref()?.lameduck().filter(|call| call.subcommand == "prestop")?;
    Some(call.signal.clone().unwrap_or_else(|| "SIGWINCH".into()))
}

/// Dockerfiles no scanned workload runs, whose image runs Apache as PID 1.
fn check_images(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let wrong =
        |role: Role, signal: &str| role == Role::Apache && !role.stops_gracefully_on(signal);
    for image in unused_images(ctx, wrong) {
        let install = image
            .chain
            .iter()
            .flat_map(|s| &s.runs)
            .find(|(run, _)| installs(run, is_apache_package))
            .map(|(_, range)| Span::new(image.file, range.start, range.end));
        sink.report(
            image.command,
            format!("this image runs Apache as PID 1 on `{}` and is stopped with {}: Apache ends every request in flight on it; {FIX}", image.base, image.signal),
        )
        .with(install, "installs the distribution's Apache, which sets no STOPSIGNAL");
    }
}
