//! LD003: a container that serves traffic has no preStop delay.
use super::{ld005_fpm_stops_before_nginx, Ctx, Sink};
use crate::pods::{ContainerView, Role};

declare_rule! {
    /// A container that serves traffic stops the moment the pod terminates: no preStop delay.
    ///
    /// Kubernetes removes a terminating pod from the Service's endpoints *at the same time* as it
    /// runs the preStop hook and signals the containers. kube-proxy, the ingress controller and
    /// cloud load balancers learn about the removal seconds later, and keep sending new requests
    /// to the pod meanwhile. A server that has already stopped listening refuses them (502/503).
    /// A short wait before the stop signal lets the endpoint removal propagate.
    ///
    /// A container serves traffic when it declares ports or runs nginx, php-fpm, Apache or
    /// Caddy; a database, cache or queue (postgres, mysql, redis… by image name, or ports that
    /// are all such servers') does not: only the application reaches it. The delay may
    /// come from a preStop `sleep` (exec or the native action), `lameduck prestop --drain`, or
    /// `lameduck run --drain` as PID 1, or Caddy's global `shutdown_delay` (Caddy keeps serving
    /// normally that long after its stop signal). An httpGet hook is assumed to wait. Jobs are
    /// skipped. A hook
    /// that sends the stop signal with no delay is reported by LD004 instead. The containers of
    /// one pod that lack a delay are one finding (at nginx, the others as related locations);
    /// when they are nginx and php-fpm, LD005's "neither waits" is the same cause and is not
    /// reported separately. A php-fpm with no delay behind a web server that waits is LD005's
    /// alone: it stops before the server that proxies to it, and that finding says so.
    ///
    /// Not reported, because the container cannot stop before another one has:
    ///
    /// - a container whose hook is `lameduck prestop --after-port N` where another container of
    ///   the pod declares port N (or its nginx config listens on it), or declares no ports at
    ///   all and so may listen on it: php-fpm with `--drain none --after-port 80` waits until
    ///   nginx has stopped listening, so it is covered by nginx's own drain, which this rule
    ///   checks (an `--after-port` naming the container's own port keeps it serving until the
    ///   grace period is almost over: LD014 reports that);
    /// - a native sidecar (an init container with `restartPolicy: Always`) in a pod with main
    ///   containers: the kubelet stops it only after they have all exited.
    ///
    /// ### Before
    ///
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx:1.25
    ///     ports: [{containerPort: 80}]
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx:1.25
    ///     ports: [{containerPort: 80}]
    ///     lifecycle:
    ///       preStop:
    ///         sleep: {seconds: 5}     # Kubernetes 1.30+; else exec: ["/bin/sleep", "5"]
    /// ```
    pub static RULE = { id: "LD003", name: "missing-prestop-delay", severity: Error, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        // One cause, one finding: the containers of a pod that all stop at once are reported
        // together, at the first (nginx first), the others as related locations.
        // A php-fpm whose only fault is stopping before the web server in front of it (which
        // waits) is LD005's: the same cause, said there with the order it breaks.
        let mut bare: Vec<&ContainerView<'_>> = pod
            .containers
            .iter()
            .filter(|c| pod.needs_delay(c) && !ld005_fpm_stops_before_nginx::reports(ctx, pod, c))
            .collect();
        bare.sort_by_key(|c| !c.role.is_some_and(Role::is_front));
        let Some((first, others)) = bare.split_first() else { continue };
        let span_of = |c: &ContainerView<'_>| {
            c.container.pre_stop.as_ref().map_or(c.container.span, |p| p.span())
        };
        let what = |c: &ContainerView<'_>| {
            if c.container.pre_stop.is_some() {
                "its preStop hook does not wait"
            } else {
                "it has no preStop hook"
            }
        };
        let mut message = if others.is_empty() {
            format!("container `{}` serves traffic but {}", first.container.name, what(first))
        } else {
            let names: Vec<String> =
                bare.iter().map(|c| format!("`{}`", c.container.name)).collect();
            format!(
                "containers {} serve traffic but none of them waits before stopping (no preStop hook, or one that does not wait)",
                names.join(" and ")
            )
        };
        message.push_str(": Kubernetes removes the pod from endpoints at the same time as it stops the containers, and the ingress keeps sending requests for seconds after");
        let front = bare.iter().find_map(|c| c.role.filter(|r| r.is_front()));
        let fpm = bare.iter().any(|c| c.role == Some(Role::PhpFpm));
        if let (Some(front), true) = (front, fpm) {
            message.push_str(&format!(
                ", and php-fpm can stop before the {} that proxies to it (LD005, same cause)",
                front.label()
            ));
        }
        message.push_str("; add a preStop sleep of about 5s, or `lameduck prestop`, which waits until the load balancer lets go (with `--drain none --after-port PORT` in php-fpm's container, to stop it after nginx)");
        let finding = sink.report_in(pod, span_of(first), message);
        for other in others {
            finding.with(
                Some(span_of(other)),
                format!("`{}` has no delay either", other.container.name),
            );
        }
    }
}
