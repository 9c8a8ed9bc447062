//! LD007: a preStop hook runs a program the image does not have.
use super::{Ctx, Sink};
use crate::shell::{basename, is_shell};

declare_rule! {
    /// A preStop hook runs `sleep`, `sh` or `bash` in an image that does not have it.
    ///
    /// An exec hook runs inside the container's image. Distroless, Chainguard and `FROM scratch`
    /// images have no shell and no `sleep`; Alpine-based images (`nginx:*-alpine`,
    /// `php:*-fpm-alpine`) have busybox `sh` but no `bash`. The hook then fails at once, the kubelet
    /// logs a FailedPreStopHook event that nobody reads, and the container is stopped with no
    /// delay at all: the endpoint race of LD003 is back.
    ///
    /// Images are judged by the image table (see docs/check.md) and by the base image of a
    /// linked Dockerfile; images lameduck knows nothing about are not reported.
    ///
    /// ### Before
    ///
    /// ```yaml
    /// image: php:8.3-fpm-alpine
    /// lifecycle:
    ///   preStop: {exec: {command: ["/bin/bash", "-c", "sleep 5; kill -QUIT 1"]}}
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// image: php:8.3-fpm-alpine
    /// lifecycle:
    ///   preStop: {sleep: {seconds: 5}}   # Kubernetes 1.30+, needs nothing in the image
    /// ```
    ///
    /// or copy the static `lameduck` binary into the image and use `lameduck prestop`.
    pub static RULE = { id: "LD007", name: "prestop-binary-missing", severity: Warning, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for pod in ctx.pods.iter() {
        for c in &pod.containers {
            let (Some(hook), Some(pre_stop)) = (&c.hook, &c.container.pre_stop) else { continue };
            let program = basename(&hook.program);
            let image = c.container.image.as_ref().map_or("?", |(i, _)| i.as_str());
            let missing = if c.shell_less {
                let mut wanted = vec![program.to_string()];
                wanted.extend(hook.needs.iter().cloned());
                wanted
                    .into_iter()
                    .find(|p| is_shell(p) || matches!(p.as_str(), "sleep" | "kill" | "pkill"))
                    .map(|p| (p, "has no shell or coreutils"))
            } else if c.alpine && (program == "bash" || hook.needs.iter().any(|n| n == "bash")) {
                Some(("bash".to_string(), "is Alpine-based: it has busybox sh, not bash"))
            } else {
                None
            };
            let Some((missing, why)) = missing else { continue };
            sink.report_in(
                pod,
                pre_stop.span(),
                format!(
                    "preStop in container `{}` runs `{missing}`, but image `{image}` {why}: the hook fails and the container stops with no delay; use the native `sleep` action (Kubernetes 1.30+) or `lameduck prestop`",
                    c.container.name
                ),
            );
        }
    }
}
