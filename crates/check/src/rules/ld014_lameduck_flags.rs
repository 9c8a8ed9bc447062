//! LD014: lameduck's own flags do not match the pod.
use super::{Ctx, Sink};
use crate::duration::show;
use crate::pods::Pid1;
use crate::shell::{LameduckCall, Signal};

declare_rule! {
    /// `lameduck run` or `lameduck prestop` flags do not match the pod they run in.
    ///
    /// lameduck plans its drain against `--grace-period` (default 30s, Kubernetes' default). If
    /// the pod's `terminationGracePeriodSeconds` is shorter, the kubelet's SIGKILL arrives before
    /// lameduck's plan ends; a drain whose maximum (`--drain fixed:Ns`, or `max=` of
    /// `--drain auto`, 15s by default) reaches the grace period leaves no time for the servers
    /// to finish; `--signal` other than QUIT makes nginx and php-fpm stop fast.
    ///
    /// Recognised forms: `lameduck run [--grace-period D] [--drain none|fixed:D|auto[:quiet=D,min=D,max=D]] [--process …] -- cmd`
    /// and `lameduck prestop [--drain …] [--grace-period D] [--signal SIG] [--after-port N] [--pidfile P]`,
    /// with `--flag value` or `--flag=value`, in `command`/`args`, in the image's ENTRYPOINT/CMD,
    /// or in an exec preStop hook (also inside `sh -c`). Unknown flags are ignored.
    ///
    /// ### Before
    ///
    /// ```yaml
    /// terminationGracePeriodSeconds: 20
    /// containers:
    ///   - command: ["/lameduck", "run", "--drain", "fixed:5s", "--", "php-fpm", "-F"]
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// terminationGracePeriodSeconds: 20
    /// containers:
    ///   - command: ["/lameduck", "run", "--grace-period", "20s", "--drain", "fixed:5s", "--", "php-fpm", "-F"]
    /// ```
    pub static RULE = { id: "LD014", name: "lameduck-flags", severity: Error, check: check };
}

fn problems(call: &LameduckCall, grace: f64) -> Vec<String> {
    let mut out = Vec::new();
    let planned = call.grace_period.unwrap_or(30.0);
    if planned > grace {
        let given = if call.grace_period.is_some() {
            "--grace-period"
        } else {
            "the default --grace-period"
        };
        out.push(format!(
            "{given} is {} but terminationGracePeriodSeconds is {}: the kubelet kills the pod before lameduck's plan ends; pass --grace-period {}",
            show(planned),
            show(grace),
            show(grace)
        ));
    }
    let drain = call.drain_or_default().most();
    if drain >= grace.min(planned) {
        out.push(format!(
            "--drain {} can take {} of the {} grace period, leaving nothing for the servers to finish their requests",
            call.drain_text.as_deref().unwrap_or("auto (default)"),
            show(drain),
            show(grace.min(planned))
        ));
    }
    if let Some(signal) = &call.signal {
        if Signal::parse(signal) != Signal::Quit {
            out.push(format!(
                "--signal {signal} is a fast shutdown for nginx and php-fpm; use --signal QUIT"
            ));
        }
    }
    if call.drain_text.is_some() && call.drain.is_none() {
        out.push(format!(
            "--drain {} is not a drain lameduck understands (none, fixed:5s, auto, auto:quiet=1s,min=0s,max=15s)",
            call.drain_text.as_deref().unwrap_or("")
        ));
    }
    out
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        let grace = pod.workload.grace_seconds();
        for c in &pod.containers {
            let mut calls = Vec::new();
            if let Pid1::Lameduck(call) = &c.pid1 {
                calls.push((call, c.pid1_span.unwrap_or(c.container.span)));
            }
            if let (Some(hook), Some(pre_stop)) = (&c.hook, &c.container.pre_stop) {
                if let Some(call) = hook.lameduck() {
                    calls.push((call, pre_stop.span()));
                }
            }
            for (call, span) in calls {
                for problem in problems(call, grace) {
                    sink.report_in(
                        pod,
                        span,
                        format!(
                            "`lameduck {}` in container `{}`: {problem}",
                            call.subcommand, c.container.name
                        ),
                    );
                }
            }
        }
    }
}
