//! LD003: a container that serves traffic has no preStop delay.
use super::{Ctx, Sink};
use crate::pods::Delay;
use crate::shell::Signal;

declare_rule! {
    /// A container that serves traffic stops the moment the pod terminates: no preStop delay.
    ///
    /// Kubernetes removes a terminating pod from the Service's endpoints *at the same time* as it
    /// runs the preStop hook and signals the containers. kube-proxy, the ingress controller and
    /// cloud load balancers learn about the removal seconds later, and keep sending new requests
    /// to the pod meanwhile. A server that has already stopped listening refuses them (502/503).
    /// A short wait before the stop signal lets the endpoint removal propagate.
    ///
    /// A container serves traffic when it declares ports or runs nginx or php-fpm. The delay may
    /// come from a preStop `sleep` (exec or the native action), `lameduck prestop --drain`, or
    /// `lameduck run --drain` as PID 1. An httpGet hook is assumed to wait. Jobs are skipped. A hook
    /// that sends the stop signal with no delay is reported by LD004 instead.
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
        for c in pod.containers.iter().filter(|c| c.serves()) {
            if c.container.native_sidecar && pod.has_main_container_besides(c) {
                continue;
            }
            if pod.after_port_holds(c) {
                continue;
            }
            let zero = match c.delay {
                Delay::Absent => true,
                Delay::Seconds(s) => s <= 0.0,
                Delay::Unknown => false,
            };
            if !zero {
                continue;
            }
            let signals_now = c
                .hook
                .as_ref()
                .and_then(|h| h.first_signal())
                .is_some_and(|(s, _, _)| matches!(s, Signal::Quit | Signal::Fast(_)));
            if signals_now {
                continue; // LD004
            }
            let span = c.container.pre_stop.as_ref().map_or(c.container.span, |p| p.span());
            let what = if c.container.pre_stop.is_some() {
                "its preStop hook does not wait"
            } else {
                "it has no preStop hook"
            };
            sink.report_in(
                pod,
                span,
                format!(
                    "container `{}` serves traffic but {what}: Kubernetes removes the pod from endpoints at the same time as it stops the container, and the ingress keeps sending requests for seconds after; add a preStop sleep of about 5s",
                    c.container.name
                ),
            );
        }
    }
}
