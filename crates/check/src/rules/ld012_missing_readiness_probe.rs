//! LD012: a container behind a Service has no readiness probe.
use super::{Ctx, Sink};
use crate::pods::ContainerView;

declare_rule! {
    /// A container behind a Service has no readiness probe.
    ///
    /// Without a readiness probe a container counts as ready as soon as it starts, so a rolling
    /// update sends it traffic before nginx listens or php-fpm has spawned workers, and the old
    /// pods are stopped on the strength of new ones that cannot serve yet. The rollout drops
    /// requests at the other end from the shutdown bugs. Reported for containers with ports in
    /// pods that a Service in the scanned files selects: the containers whose port the Service
    /// targets, and the others (php-fpm behind nginx), which the pod's readiness must wait for
    /// too, worded as such. Databases, caches and queues (as for LD003) are left out.
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
        let services: Vec<_> =
            pod.services.iter().map(|&i| &ctx.project.objects.services[i]).collect();
        let serving = |c: &ContainerView<'_>| {
            !c.container.plain_init && !c.container.ports.is_empty() && !c.is_datastore()
        };
        // The Service that sends a container traffic, and the port it targets.
        let target = |c: &ContainerView<'_>| {
            services.iter().find_map(|s| {
                let (port, _) =
                    c.container.ports.iter().find(|(p, name)| s.targets(*p, name.as_deref()))?;
                Some((s.name.as_str(), *port))
            })
        };
        let front = pod
            .containers
            .iter()
            .filter(|c| serving(c))
            .find_map(|c| target(c).map(|(s, _)| (s, c.container.name.as_str())));
        for c in pod.containers.iter().filter(|c| serving(c)) {
            if c.container.has_readiness {
                continue;
            }
            let message = match (target(c), front) {
                (Some((service, port)), _) => format!(
                    "container `{}` is behind Service `{service}` (port {port}) but has no readinessProbe: it gets traffic before it can serve it; add one (tcpSocket or httpGet on its port)",
                    c.container.name
                ),
                (None, Some((service, through))) => format!(
                    "container `{}` has no readinessProbe, and Service `{service}` sends this pod traffic (through `{through}`) as soon as the containers with probes are ready: requests reach it before it can serve them; add one (tcpSocket on its port)",
                    c.container.name
                ),
                (None, None) => continue,
            };
            sink.report_in(pod, c.container.span, message);
        }
    }
}
