//! LD021: Apache httpd will be stopped with a signal other than SIGWINCH, its graceful stop.
use super::ld001_images::{image_signal, unused_images};
use super::ld020_entrypoint_without_exec::server_line;
use super::packages::{installs, is_apache_package};
use super::{Ctx, Sink};
use crate::image::ImageRef;
use crate::pods::{self, ContainerView, Links, Pid1, Role};
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
    /// `httpd-foreground`, `apache2 -DFOREGROUND`, directly or through a shell that `exec`s;
    /// `apachectl` is a shell script that does not, LD008's),
    /// or runs an entrypoint script whose last foreground server is Apache (`apache2 -D
    /// FOREGROUND`, `httpd -DFOREGROUND`; a script that does not `exec` it is LD020's too), on
    /// a distribution base and sets no STOPSIGNAL, or sets another one. It does not fire when
    /// PID 1 is `lameduck run` or supervisord, or when the signal is not known. A supervisord
    /// `[program:…]` that runs Apache is checked for `stopsignal=WINCH` (supervisord's default
    /// is TERM).
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
    /// CMD ["/bin/sh", "-c", ". /etc/apache2/envvars && exec apache2 -DFOREGROUND"]
    /// ```
    ///
    /// ### After
    ///
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// RUN apt-get update && apt-get install -y apache2 libapache2-mod-php
    /// STOPSIGNAL SIGWINCH
    /// CMD ["/bin/sh", "-c", ". /etc/apache2/envvars && exec apache2 -DFOREGROUND"]
    /// ```
    ///
    /// or, in the pod spec (Kubernetes 1.33+): `lifecycle: {stopSignal: SIGWINCH}`.
    pub static RULE = { id: "LD021", name: "apache-stop-signal", severity: Error, check: check };
}

const FIX: &str =
    "Apache's graceful stop is SIGWINCH: set `STOPSIGNAL SIGWINCH` in the image or lifecycle.stopSignal: SIGWINCH";

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    check_images(ctx, sink);
    check_scripts(ctx, sink);
    check_supervisord(ctx, sink);
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

/// Entrypoint scripts that start Apache (the last server they start in the foreground), in
/// images no scanned workload runs: the image's stop signal reaches Apache once the script
/// `exec`s it (without `exec`, LD020 reports the script too).
fn check_scripts(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let project = ctx.project;
    let links = Links::new(project);
    for script in &project.scripts {
        if pods::dockerfile_in_use(ctx.pods, script.dockerfile) {
            continue;
        }
        let Some(facts) = pods::image_facts(project, &links, script.dockerfile) else { continue };
        if Role::of_words(&facts.argv).is_some() {
            continue; // the command line names the server: check_images' case
        }
        let source = project.sources.get(script.file);
        let last_server = (1..=source.line_count())
            .rev()
            .find_map(|n| server_line(source.line_text(n)).map(|(program, _)| (n, program)));
        let Some((line, program)) = last_server else { continue };
        if Role::of_words(&[program.to_string()]) != Some(Role::Apache) {
            continue;
        }
        let graceful = |signal: &String| Role::Apache.stops_gracefully_on(signal);
        let Some(signal) = image_signal(&facts).filter(|s| !graceful(s)) else { continue };
        let df = &project.dockerfiles[script.dockerfile];
        let Some(command) =
            df.parsed.final_stage().and_then(|s| s.cmd.as_ref().or(s.entrypoint.as_ref()))
        else {
            continue;
        };
        let start = source.line_start(line);
        let text = source.line_text(line);
        let lead = text.len() - text.trim_start().len();
        let base = facts.root.as_ref().map_or(String::new(), ImageRef::name);
        sink.report(
            Span::new(df.file, command.range.start, command.range.end),
            format!("this image's entrypoint script starts Apache (`{program}`) on `{base}` and the image is stopped with {signal}: Apache ends every request in flight on it; {FIX}"),
        )
        .with(Some(Span::new(script.file, start + lead, start + text.len())), "starts Apache");
    }
}

/// supervisord programs that run Apache: supervisord stops them with `stopsignal` (TERM by
/// default).
fn check_supervisord(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for config in &ctx.project.supervisord {
        for program in &config.programs {
            if program.any_server() != Some(Role::Apache) {
                continue;
            }
            let (signal, span) = match &program.stop_signal {
                Some((s, _)) if Role::Apache.stops_gracefully_on(s) => continue,
                Some((s, span)) => (s.clone(), *span),
                None => ("TERM (the default)".to_string(), program.header),
            };
            sink.report(
                span,
                format!(
                    "supervisord stops [program:{}] (Apache) with {signal}: Apache ends every request in flight on it; set stopsignal=WINCH, Apache's graceful stop",
                    program.name
                ),
            );
        }
    }
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
