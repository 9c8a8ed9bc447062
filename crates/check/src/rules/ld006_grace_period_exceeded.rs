//! LD006: preStop plus drain time exceeds terminationGracePeriodSeconds.
use super::{Ctx, Sink};
use crate::duration::show;
use crate::role::Role;

declare_rule! {
    /// The preStop hook plus the servers' drain time do not fit in `terminationGracePeriodSeconds`.
    ///
    /// The grace period (30 s by default) counts from the moment the pod starts terminating,
    /// *including* the preStop hook. When it runs out, the kubelet sends SIGKILL to whatever is
    /// still running, mid-request. Each container needs its preStop time plus the time its server
    /// drains after the stop signal: php-fpm's `process_control_timeout`, nginx's
    /// `worker_shutdown_timeout`, Apache's `GracefulShutdownTimeout`, Caddy's `grace_period`
    /// (plus its `shutdown_delay`), or `lameduck run`'s drain. The largest of these must fit. (An
    /// Apache or Caddy graceful stop with no bound at all is LD022's; a pod an AWS ALB or NLB
    /// sends to directly needs more still, and LD023 reports it instead, with the larger minimum.)
    ///
    /// ### Before
    ///
    /// ```yaml
    /// terminationGracePeriodSeconds: 30
    /// containers:
    ///   - name: fpm
    ///     lifecycle: {preStop: {exec: {command: ["/bin/sleep", "30"]}}}
    /// # php-fpm.conf: process_control_timeout = 20s
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// terminationGracePeriodSeconds: 35
    /// containers:
    ///   - name: fpm
    ///     lifecycle: {preStop: {exec: {command: ["/bin/sleep", "5"]}}}
    /// ```
    pub static RULE = { id: "LD006", name: "grace-period-exceeded", severity: Error, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    // Same cause, one finding: LD023's minimum for these pods includes this rule's sum.
    let behind_aws_lb = super::ld023_aws_lb_grace_period::reported_pods(ctx);
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        if behind_aws_lb.contains(&pod.index) {
            continue;
        }
        let grace = pod.workload.grace_seconds();
        let Some(worst) = pod
            .containers
            .iter()
            .filter(|c| !c.container.plain_init)
            // NaN: a drain set by a placeholder (`${TIMEOUT}`) nobody can read here.
            .filter(|c| !c.needed_seconds().is_nan())
            .max_by(|a, b| a.needed_seconds().total_cmp(&b.needed_seconds()))
        else {
            continue;
        };
        let need = worst.needed_seconds();
        if need <= grace {
            continue;
        }
        let drain_name = match worst.role {
            Some(Role::PhpFpm) => "process_control_timeout",
            Some(Role::Nginx) => "worker_shutdown_timeout",
            Some(Role::Apache) => "GracefulShutdownTimeout",
            Some(Role::Caddy) => "grace_period",
            None => "drain",
        };
        let grace_text = pod.workload.grace_text();
        let span = pod.workload.grace_span();
        let drain_span = match worst.role {
            Some(Role::PhpFpm) => worst.process_control_timeout().map(|(_, s)| s),
            Some(Role::Nginx) => {
                worst.nginx.iter().find_map(|c| c.worker_shutdown_timeout).map(|(_, s)| s)
            }
            Some(Role::Apache | Role::Caddy) => worst.graceful_stop_bound().map(|(_, s)| s),
            None => None,
        };
        sink.report_in(
            pod,
            span,
            format!(
                "container `{}` needs {} to stop (preStop {} + {drain_name} {}) but {grace_text}: the kubelet will SIGKILL it mid-request; raise the grace period to at least {} or shorten the wait",
                worst.container.name,
                show(need),
                show(worst.hook_seconds()),
                show(worst.drain_seconds()),
                show(need.ceil()),
            ),
        )
        .with(worst.container.pre_stop.as_ref().map(|p| p.span()), "preStop")
        .with(drain_span, drain_name);
    }
}
