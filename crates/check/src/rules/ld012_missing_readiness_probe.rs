//! LD012: a container behind a Service has no readiness probe.
use super::{Ctx, Sink};

declare_rule! {
    /// A container behind a Service has no readiness probe.
    ///
    /// Without a readiness probe a container counts as ready as soon as it starts, so a rolling
    /// update sends it traffic before nginx listens or php-fpm has spawned workers, and the old
    /// pods are stopped on the strength of new ones that cannot serve yet. The rollout drops
    /// requests at the other end from the shutdown bugs. Reported for containers with ports in
    /// pods that a Service in the scanned files selects.
    ///
    /// ### Before
    ///
    /// ```yaml
    /// - name: web
    ///   ports: [{containerPort: 80}]
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// - name: web
    ///   ports: [{containerPort: 80}]
    ///   readinessProbe:
    ///     tcpSocket: {port: 80}
    /// ```
    pub static RULE = { id: "LD012", name: "missing-readiness-probe", severity: Warning, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for pod in ctx.pods.iter().filter(|p| !p.services.is_empty() && !p.workload.is_batch()) {
        let service = &ctx.project.objects.services[pod.services[0]].name;
        for c in pod
            .containers
            .iter()
            .filter(|c| !c.container.plain_init && !c.container.ports.is_empty())
        {
            if c.container.has_readiness {
                continue;
            }
            sink.report_in(
                pod,
                c.container.span,
                format!(
                    "container `{}` is behind Service `{service}` but has no readinessProbe: it gets traffic before it can serve it; add one (tcpSocket or httpGet on its port)",
                    c.container.name
                ),
            );
        }
    }
}
