//! LD005: php-fpm can stop before the nginx, Apache or Caddy in front of it in the same pod.
use super::{Ctx, Sink};
use crate::duration::show;
use crate::pods::{ContainerView, Delay, PodView, Role};
use crate::settings::RuleSetting;

declare_rule! {
    /// php-fpm can stop before the nginx, Apache or Caddy that proxies to it.
    ///
    /// The kubelet runs every container's preStop hook and sends the stop signals in parallel,
    /// in no particular order. If php-fpm stops while nginx still accepts requests, nginx's
    /// `fastcgi_pass` fails and nginx itself answers 502. The same holds for Caddy's
    /// `php_fastcgi` and Apache's `proxy_fcgi` (`SetHandler "proxy:fcgi://…"`, `ProxyPass …
    /// fcgi://`): whichever web server container the pod has is "nginx" below. php-fpm must keep serving at least as
    /// long as nginx: its preStop delay must be at least nginx's. Or run php-fpm as a native
    /// sidecar (an init container with `restartPolicy: Always`, Kubernetes 1.29+), which the
    /// kubelet stops only after the main containers have exited.
    ///
    /// Or give php-fpm the hook `lameduck prestop --drain none --after-port 80`: it waits until
    /// nothing listens on nginx's port any more, an order by observation rather than by equal
    /// sleeps, so it never fires when php-fpm's `--after-port` names a port the nginx container
    /// declares.
    ///
    /// Fires when php-fpm's delay is shorter than nginx's, when neither waits (the order is then
    /// random; when neither has any delay at all, LD003's one finding for both says so instead),
    /// or when nginx is the native sidecar and php-fpm a main container (then a php-fpm
    /// `--after-port` wait cannot help: nginx stops only after php-fpm has exited).
    ///
    /// ### Before
    ///
    /// ```yaml
    /// - name: nginx
    ///   lifecycle: {preStop: {exec: {command: ["sh", "-c", "sleep 5 && nginx -s quit"]}}}
    /// - name: fpm
    ///   lifecycle: {preStop: {exec: {command: ["sh", "-c", "sleep 2 && kill -QUIT 1"]}}}
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// - name: nginx
    ///   lifecycle: {preStop: {exec: {command: ["sh", "-c", "sleep 5 && nginx -s quit"]}}}
    /// - name: fpm
    ///   lifecycle: {preStop: {exec: {command: ["sh", "-c", "sleep 5 && kill -QUIT 1"]}}}
    /// ```
    pub static RULE = { id: "LD005", name: "fpm-stops-before-nginx", severity: Error, check: check };
}

/// Where Caddy's `php_fastcgi` or Apache's `proxy:fcgi://` hands requests to php-fpm, when a
/// linked config says (nginx's `fastcgi_pass` is not kept: its pod is the common case).
fn fastcgi_pass(front: &ContainerView<'_>) -> Option<crate::source::Span> {
    match front.role {
        Some(Role::Caddy) => front.caddy.iter().find_map(|c| c.php_fastcgi),
        Some(Role::Apache) => front.apache.iter().find_map(|c| c.proxies_fcgi),
        _ => None,
    }
}

/// The web server container php-fpm sits behind: the pod's first nginx, Apache or Caddy that is
/// not a plain init container.
fn front<'p, 'a>(pod: &'p PodView<'a>) -> Option<&'p ContainerView<'a>> {
    pod.containers
        .iter()
        .filter(|c| !c.container.plain_init)
        .find(|c| c.role.is_some_and(Role::is_front))
}

/// Whether this rule reports php-fpm container `fpm` of `pod`, unless it is turned off or the
/// workload ignores it: LD003 then leaves `fpm` to it (one cause, one finding).
pub(super) fn reports(ctx: &Ctx<'_>, pod: &PodView<'_>, fpm: &ContainerView<'_>) -> bool {
    if ctx.project.config.rules.get(RULE.id) == Some(&RuleSetting::Off)
        || pod.workload.ignored.iter().any(|id| id == RULE.id)
        || fpm.role != Some(Role::PhpFpm)
        || fpm.container.plain_init
    {
        return false;
    }
    front(pod).is_some_and(|nginx| !std::ptr::eq(fpm, nginx) && message(pod, nginx, fpm).is_some())
}

/// What is wrong with the stop order of `fpm` behind `nginx`, if anything.
fn message(
    pod: &PodView<'_>,
    nginx: &ContainerView<'_>,
    fpm: &ContainerView<'_>,
) -> Option<String> {
    let web = nginx.role.map_or("nginx", Role::label);
    let (fpm_sidecar, nginx_sidecar) =
        (fpm.container.native_sidecar, nginx.container.native_sidecar);
    if fpm_sidecar && !nginx_sidecar {
        return None;
    }
    if nginx_sidecar && !fpm_sidecar {
        return Some(format!(
            "{web} (`{}`) is a native sidecar, so the kubelet stops php-fpm (`{}`) first while {web} still proxies to it; make php-fpm the sidecar instead",
            nginx.container.name, fpm.container.name
        ));
    }
    if pod.waits_for(fpm).is_some_and(|c| c.role.is_some_and(Role::is_front))
        || (pod.waits_for(fpm).is_none() && pod.after_port_holds(fpm))
    {
        return None;
    }
    let (Delay::Seconds(_) | Delay::Absent, Delay::Seconds(_) | Delay::Absent) =
        (fpm.delay, nginx.delay)
    else {
        return None;
    };
    let (f, n) = (fpm.delay.seconds(), nginx.delay.seconds());
    // nginx's port for the suggested hook: declared, else its config's, else 80.
    let port = nginx
        .container
        .ports
        .first()
        .map(|(p, _)| *p)
        .or_else(|| nginx.nginx.iter().find_map(|c| c.listens.first().copied()))
        .unwrap_or(80);
    if f > n || (f == n && f > 0.0) {
        return None;
    }
    if f == 0.0 && n == 0.0 && pod.needs_delay(nginx) && pod.needs_delay(fpm) {
        return None; // one cause: LD003 reports both containers, and says so
    }
    Some(if f == 0.0 && n == 0.0 {
        format!(
            "neither php-fpm (`{}`) nor {web} (`{}`) waits before stopping, and the kubelet stops them in no particular order: php-fpm can be gone while {web} still proxies to it; give php-fpm a preStop delay at least as long as {web}'s, or the hook `lameduck prestop --drain none --after-port {port}`, or run it as a native sidecar",
            fpm.container.name, nginx.container.name
        )
    } else {
        format!(
            "php-fpm (`{}`) waits {} before stopping but {web} (`{}`) waits {}: for {} {web} proxies to a php-fpm that is gone; make php-fpm's delay at least {web}'s, or use the hook `lameduck prestop --drain none --after-port {port}`, or run it as a native sidecar",
            fpm.container.name,
            show(f),
            nginx.container.name,
            show(n),
            show(n - f)
        )
    })
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        let Some(nginx) = front(pod) else { continue };
        let web = nginx.role.map_or("nginx", Role::label);
        for fpm in pod.role(Role::PhpFpm) {
            if std::ptr::eq(fpm, nginx) {
                continue;
            }
            let Some(message) = message(pod, nginx, fpm) else { continue };
            let span = fpm.container.pre_stop.as_ref().map_or(fpm.container.span, |p| p.span());
            let related =
                nginx.container.pre_stop.as_ref().map_or(nginx.container.span, |p| p.span());
            sink.report_in(pod, span, message)
                .with(Some(related), format!("{web}'s stop"))
                .with(fastcgi_pass(nginx), "passes requests to php-fpm");
        }
    }
}
