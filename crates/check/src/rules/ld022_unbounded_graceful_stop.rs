//! LD022: Apache's `GracefulShutdownTimeout` or Caddy's `grace_period` is 0 or unset: the
//! graceful stop has no end but the kubelet's SIGKILL.
use super::{Ctx, Sink};
use crate::duration::show;
use crate::pods::{ContainerView, Role};

declare_rule! {
    /// Apache's `GracefulShutdownTimeout` or Caddy's `grace_period` is 0 or unset: the graceful
    /// stop waits for ever, so only the kubelet's SIGKILL ends it.
    ///
    /// Apache: "`GracefulShutdownTimeout` specifies how many seconds after receiving a
    /// 'graceful-stop' signal, a server should continue to run, handling the existing
    /// connections. Setting this value to zero means that the server will wait indefinitely until
    /// all remaining requests have been fully served." Its default is 0
    /// (<https://httpd.apache.org/docs/2.4/mod/mpm_common.html#gracefulshutdowntimeout>), and
    /// neither the official `httpd` image nor Debian's `apache2.conf` (which `php:*-apache` uses)
    /// sets it.
    ///
    /// Caddy: "`GracePeriod` is how long to wait for active connections when shutting down the
    /// servers. […] Once the grace period is over, connections will be forcefully closed. If
    /// zero, the grace period is eternal. Default: 0." (caddyserver/caddy,
    /// modules/caddyhttp/app.go; the Caddyfile's global option `grace_period`,
    /// <https://caddyserver.com/docs/caddyfile/options#grace-period>).
    ///
    /// In a pod, "for ever" ends when `terminationGracePeriodSeconds` runs out: the kubelet
    /// SIGKILLs the server with whatever requests it still holds, and nothing logs which. A
    /// bound shorter than the grace period (minus the preStop time) lets the server end the
    /// stragglers itself (Apache sends its children SIGTERM, Caddy closes the connections) and
    /// exit while there is time left, and makes the pod's stop time predictable. A bound that
    /// does not fit in the grace period is LD006's.
    ///
    /// Fires for each Apache or Caddy container (by its command, its image, or a linked
    /// config) whose linked configs set the bound to 0, or set none and the image's own config
    /// is the default. A Dockerfile that writes `GracefulShutdownTimeout` or `grace_period`
    /// itself counts as setting it, and one that copies in a config of the server from outside
    /// the scanned files (`COPY conf/Caddyfile /etc/caddy/`) as perhaps setting it.
    ///
    /// ### Before
    ///
    /// ```text
    /// # Caddyfile
    /// :80 {
    ///     php_fastcgi 127.0.0.1:9000
    /// }
    /// ```
    ///
    /// ### After
    ///
    /// ```text
    /// # Caddyfile
    /// {
    ///     grace_period 30s
    /// }
    /// :80 {
    ///     php_fastcgi 127.0.0.1:9000
    /// }
    /// ```
    ///
    /// For Apache: `GracefulShutdownTimeout 30` in the server config (outside `<VirtualHost>`).
    pub static RULE = { id: "LD022", name: "unbounded-graceful-stop", severity: Warning, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        let grace = pod.workload.grace_seconds();
        for c in pod.containers.iter().filter(|c| !c.container.plain_init) {
            let Some(role @ (Role::Apache | Role::Caddy)) = c.role else { continue };
            let (setting, example) = match role {
                Role::Apache => ("GracefulShutdownTimeout", "`GracefulShutdownTimeout N`"),
                _ => ("grace_period", "`grace_period Ns` in the Caddyfile's global options"),
            };
            let bound = c.graceful_stop_bound();
            if bound.is_some_and(|(s, _)| s > 0.0 || s.is_nan())
                || written_by_dockerfile(ctx, c, setting)
                || (bound.is_none() && config_from_outside(ctx, c, role))
            {
                continue;
            }
            let suggest = show((grace - c.hook_seconds() - 5.0).max(1.0).floor());
            let (span, what) = match bound {
                Some((_, span)) => (span, format!("{setting} 0 waits for ever")),
                None => (
                    c.container.image.as_ref().map_or(c.container.span, |(_, s)| *s),
                    format!("no config linked to container `{}` sets {setting}, and its default, 0, waits for ever", c.container.name),
                ),
            };
            sink.report_in(
                pod,
                span,
                format!(
                    "{what}: {} in container `{}` ends its graceful stop only when the kubelet SIGKILLs it at the end of the {} grace period, with the requests still in flight; set {example} below the grace period minus the preStop time (e.g. {suggest})",
                    role.label(),
                    c.container.name,
                    show(grace),
                ),
            );
        }
    }
}

/// Whether the image's Dockerfile copies a config of the server in (`COPY Caddyfile
/// /etc/caddy/`, `COPY apache/ /etc/apache2/`) and no scanned config of that server is linked:
/// it comes from outside the scanned files and may set the bound.
fn config_from_outside(ctx: &Ctx<'_>, c: &ContainerView<'_>, role: Role) -> bool {
    let linked = match role {
        Role::Apache => !c.apache.is_empty(),
        _ => !c.caddy.is_empty(),
    };
    let names: &[&str] = match role {
        Role::Apache => &["apache", "httpd"],
        _ => &["caddy"],
    };
    let copies = c.dockerfile.is_some_and(|(df, _)| {
        let parsed = &ctx.project.dockerfiles[df].parsed;
        parsed.stages.iter().flat_map(|s| &s.copies).any(|(_, dest)| {
            let dest = dest.to_ascii_lowercase();
            names.iter().any(|n| dest.contains(n))
        })
    });
    copies && !linked
}

/// Whether the Dockerfile that builds the container's image writes the setting itself (a `RUN
/// echo` or `sed`): set, in a way not worth guessing at.
fn written_by_dockerfile(ctx: &Ctx<'_>, c: &ContainerView<'_>, setting: &str) -> bool {
    c.dockerfile.is_some_and(|(df, _)| {
        let file = ctx.project.dockerfiles[df].file;
        ctx.project
            .sources
            .get(file)
            .text
            .to_ascii_lowercase()
            .contains(&setting.to_ascii_lowercase())
    })
}
