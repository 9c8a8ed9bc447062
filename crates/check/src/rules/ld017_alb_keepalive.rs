//! LD017: nginx closes keep-alive connections before the ALB does.
use std::collections::HashSet;

use super::alb::{self, Route};
use super::{Ctx, Sink};
use crate::duration::show;
use crate::role::Role;

declare_rule! {
    /// nginx's `keepalive_timeout` is not longer than the AWS ALB's idle timeout, so nginx closes connections the ALB reuses.
    ///
    /// The ALB keeps idle connections to its targets open for `idle_timeout.timeout_seconds`
    /// (60 s unless set) and reuses them for new requests. If nginx's `keepalive_timeout` is
    /// shorter or equal, nginx closes an idle connection just as the ALB sends a request on it;
    /// the request fails and the client gets a 502 from the load balancer, in steady state and
    /// far more often during rollouts, when connections are reshuffled. The articles' advice to
    /// send `Connection: close` works around the same race from the other side. Keep nginx's
    /// timeout above the ALB's.
    ///
    /// Read from nginx configs linked to pods (mounted ConfigMaps, or beside the Dockerfile) that
    /// Ingresses with `alb.ingress.kubernetes.io/*` annotations (or class `alb`) route to, and
    /// from `alb.ingress.kubernetes.io/load-balancer-attributes`.
    ///
    /// ### Before
    ///
    /// ```nginx
    /// http {
    ///     keepalive_timeout 30s;
    /// }
    /// ```
    ///
    /// ### After
    ///
    /// ```nginx
    /// http {
    ///     keepalive_timeout 75s;   # longer than the ALB's 60 s idle timeout
    /// }
    /// ```
    pub static RULE = { id: "LD017", name: "alb-keepalive", severity: Warning, check: check };
}

const LB_ATTRIBUTES: &str = "alb.ingress.kubernetes.io/load-balancer-attributes";

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let mut reported = HashSet::new();
    for Route { ingress, pod, .. } in alb::routes(ctx) {
        if !alb::is_alb(ingress) {
            continue;
        }
        let idle = ingress
            .annotations
            .iter()
            .find(|(k, _, _)| k == LB_ATTRIBUTES)
            .and_then(|(_, v, _)| alb::attribute(v, "idle_timeout.timeout_seconds"))
            .unwrap_or(60.0);
        for c in pod.role(Role::Nginx) {
            for nginx in &c.nginx {
                let Some((keepalive, span)) = nginx.keepalive_timeout else { continue };
                if keepalive > idle || !reported.insert(span) {
                    continue;
                }
                sink.report_in(
                    pod,
                    span,
                    format!(
                        "nginx in container `{}` closes idle keep-alive connections after {} but Ingress `{}`'s ALB keeps them {}: requests the ALB sends on a connection nginx is closing get 502s; set keepalive_timeout above {}",
                        c.container.name,
                        show(keepalive),
                        ingress.name,
                        show(idle),
                        show(idle)
                    ),
                );
            }
        }
    }
}
