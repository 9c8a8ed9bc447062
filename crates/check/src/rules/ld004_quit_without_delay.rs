//! LD004: a preStop hook stops the server with no delay before it.
use super::{Ctx, Sink};
use crate::shell::SignalSent;

declare_rule! {
    /// A preStop hook runs `nginx -s quit` or `kill -QUIT 1` with no delay before it.
    ///
    /// The hook starts at the same moment the pod is removed from the endpoints. Stopping the
    /// server right away, even gracefully, closes its listening socket while the ingress and
    /// kube-proxy still route new requests to the pod: they are refused, and the ingress answers
    /// 502 or 503. A graceful stop finishes the requests already in flight; it does nothing for
    /// the ones still on their way. Sleep first, then send the signal.
    ///
    /// ### Before
    ///
    /// ```yaml
    /// lifecycle:
    ///   preStop:
    ///     exec:
    ///       command: ["/usr/sbin/nginx", "-s", "quit"]
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// lifecycle:
    ///   preStop:
    ///     exec:
    ///       command: ["/bin/sh", "-c", "sleep 5 && /usr/sbin/nginx -s quit"]
    /// ```
    ///
    /// or `lameduck prestop --drain fixed:5s`, which waits, stops the server with SIGQUIT and
    /// waits for it to exit.
    pub static RULE = { id: "LD004", name: "quit-without-delay", severity: Error, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        for c in pod.containers.iter().filter(|c| !c.container.plain_init) {
            let (Some(hook), Some(pre_stop)) = (&c.hook, &c.container.pre_stop) else { continue };
            let Some((signal, command, _)) = hook.first_signal() else { continue };
            if hook.delay_before_signal() > 0.0 || matches!(signal, SignalSent::Other(_)) {
                continue;
            }
            let kind = match signal {
                SignalSent::Quit => "stops the server gracefully".to_string(),
                SignalSent::Fast(s) => format!("stops the server with {s}, a fast shutdown,"),
                SignalSent::Other(_) => continue,
            };
            sink.report_in(
                pod,
                pre_stop.span(),
                format!(
                    "preStop `{command}` in container `{}` {kind} the moment the pod starts terminating, while new requests are still routed to it; sleep a few seconds first (`sleep 5 && {command}`)",
                    c.container.name
                ),
            );
        }
    }
}
