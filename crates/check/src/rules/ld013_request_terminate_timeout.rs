//! LD013: php-fpm's `request_terminate_timeout` is longer than the grace period allows.
use super::{Ctx, Sink};
use crate::duration::show;
use crate::role::Role;

declare_rule! {
    /// php-fpm's `request_terminate_timeout` is longer than the grace period leaves for a request.
    ///
    /// `request_terminate_timeout` is the longest php-fpm lets a request run. During shutdown, a
    /// request has what is left of `terminationGracePeriodSeconds` after the preStop delay; a
    /// request allowed to run longer is SIGKILLed by the kubelet instead of finishing. Either the
    /// timeout promises something shutdown cannot keep, or the grace period is too short. Keep
    /// `request_terminate_timeout` ≤ grace period − preStop delay (and set
    /// `process_control_timeout` to match).
    ///
    /// ### Before
    ///
    /// ```ini
    /// ; terminationGracePeriodSeconds: 30, preStop sleep 5
    /// [www]
    /// request_terminate_timeout = 60s
    /// ```
    ///
    /// ### After
    ///
    /// ```ini
    /// [www]
    /// request_terminate_timeout = 20s
    /// ```
    pub static RULE = { id: "LD013", name: "request-terminate-timeout", severity: Warning, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        let grace = pod.workload.grace_seconds();
        for c in pod.role(Role::PhpFpm) {
            let available = grace - c.delay.seconds();
            for fpm in &c.fpm {
                for (seconds, span) in &fpm.request_terminate_timeouts {
                    if *seconds <= available {
                        continue;
                    }
                    sink.report_in(
                        pod,
                        *span,
                        format!(
                            "request_terminate_timeout is {} but a request in container `{}` has at most {} during shutdown (grace period {} − preStop delay {}): longer requests are SIGKILLed mid-way; lower it or raise terminationGracePeriodSeconds",
                            show(*seconds),
                            c.container.name,
                            show(available.max(0.0)),
                            show(grace),
                            show(c.delay.seconds())
                        ),
                    )
                    .with(Some(pod.workload.grace_period.map_or(pod.workload.span, |(_, s)| s)), "grace period");
                }
            }
        }
    }
}
