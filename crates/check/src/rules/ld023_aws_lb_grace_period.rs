//! LD023: a pod an AWS ALB or NLB sends to directly has a grace period shorter than the load
//! balancer's lag plus the longest request plus lameduck's reserve, or stops serving before the
//! lag is over.
use std::collections::{HashMap, HashSet};

use lameduck_core::drain::{DEFAULT_SAFETY_MARGIN, STOP_RESERVE};

use super::alb::{self, DirectLoadBalancer};
use super::{Ctx, Sink};
use crate::duration::show;
use crate::finding::Severity;
use crate::lameduck_flags::{DrainSpec, LameduckCall};
use crate::pods::{ContainerView, Pid1, PodView};
use crate::settings::RuleSetting;
use crate::shell::Hook;

declare_rule! {
    /// An AWS ALB or NLB sends straight to the pod, and `terminationGracePeriodSeconds` (or the pod's wait) is shorter than the load balancer's lag allows.
    ///
    /// With target type `ip` the load balancer sends to the pod's own IP. When the pod is deleted
    /// the AWS Load Balancer Controller deregisters the target, but the load balancer keeps
    /// routing *new* requests to it for a while: users of the controller measure 10–60 s for an
    /// ALB, and about 2 minutes for an NLB whatever its deregistration delay. The pod has to keep
    /// serving that long and then finish its requests, all inside the grace period; whatever is
    /// still running when it ends is killed, and every request the load balancer sends after the
    /// server stopped listening gets a 502. lameduck's default drain (`--drain auto`) serves
    /// until the requests stop, for up to grace period − 2 s safety margin − 5 s stop reserve. So
    /// the safe minimum is
    ///
    /// **grace ≥ lag + longest request + 7 s**, with lag = 60 s behind an ALB and 120 s behind an
    /// NLB.
    ///
    /// The longest request is the server's own bound when a linked config sets one (php-fpm's
    /// `process_control_timeout`, nginx's `worker_shutdown_timeout`, Apache's
    /// `GracefulShutdownTimeout`, Caddy's `grace_period`), else 0: a pod with no such bound
    /// needs at least 67 s behind an ALB; 90 s leaves room for 20 s requests, and the 35 s
    /// graceful stops of deploy/examples need 102 s (they set 105 s).
    /// A container whose preStop and drain already take longer (a preStop `sleep 70`) needs
    /// those plus its drain; that case is LD006's, and LD006 leaves a pod it reports here to
    /// this rule: one cause (too short a grace period), one finding, with the larger minimum,
    /// reported as an error as LD006 would (the kubelet kills the container mid-request whatever
    /// the load balancer does).
    ///
    /// The pod must also keep taking requests through the lag, so the rule fires too when the
    /// container that serves longest stops earlier: its preStop wait, with `lameduck prestop`'s
    /// or `lameduck run`'s drain at its longest (or Caddy's `shutdown_delay`), is shorter than
    /// the lag. A preStop `sleep 5` stops listening while the ALB still sends; so does a lameduck
    /// left at its default `--grace-period` of 30 s, whose drain ends after 23 s at the latest
    /// whatever the pod's grace period: lameduck cannot read it, pass the same value
    /// (`--grace-period` or `LAMEDUCK_GRACE_PERIOD`). A pod with no wait at all is LD003's; an
    /// httpGet hook, or a drain in a lameduck.toml the checker does not read, is not judged.
    /// Both shortfalls of one pod are one finding.
    ///
    /// The deregistration delay (`deregistration_delay.timeout_seconds`, 300 s unless set) does
    /// not shorten the lag: it bounds how long the load balancer lets in-flight requests run after
    /// deregistration, not how soon it stops sending new ones. With it at 30 s a user still needed a
    /// 25 s preStop wait; with it at 5 s another saw requests arrive for about 2 minutes. Keep it at least the pod's drain: LD015.
    ///
    /// Reported for pods that a Service selects when that Service is the backend of an ALB Ingress
    /// (an `alb.ingress.kubernetes.io/*` annotation or class `alb`) with
    /// `alb.ingress.kubernetes.io/target-type: ip` on the Service or the Ingress, or when the
    /// Service itself asks for an NLB with IP targets
    /// (`service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip`, or
    /// `service.beta.kubernetes.io/aws-load-balancer-type: nlb-ip`). With instance targets (the
    /// ALB's default) the load balancer sends to node ports and kube-proxy picks a ready pod, so
    /// a deleted pod stops getting requests within about a second: LD003's short wait covers it.
    /// Jobs are skipped.
    ///
    /// Sources:
    ///
    /// - ALB, 30 s deregistration delay, a preStop sleep of 5 s not enough, 25 s and a 60 s grace
    ///   period were:
    ///   <https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1064>
    /// - ALB, a 60 s preStop sleep was needed to stop the 502s:
    ///   <https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/2106#issuecomment-1155117280>
    /// - NLB with IP targets, deregistration takes at least 2 minutes whatever the delay, with new
    ///   connections meanwhile:
    ///   <https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/2366>,
    ///   <https://github.com/aws/containers-roadmap/issues/470>
    /// - a 5 s deregistration delay and requests still sent for about 2 minutes:
    ///   <https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3270>
    /// - the deregistration delay and its 300 s default:
    ///   <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#deregistration-delay>
    /// - pod readiness gates (the other half of a zero-loss rollout, for the new pods):
    ///   <https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/pod_readiness_gate/>
    ///
    /// ### Before
    ///
    /// ```yaml
    /// # Ingress: alb.ingress.kubernetes.io/target-type: ip
    /// terminationGracePeriodSeconds: 30
    /// containers:
    ///   - name: nginx
    ///     lifecycle: {preStop: {exec: {command: ["/lameduck", "prestop"]}}}
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// # Ingress: alb.ingress.kubernetes.io/target-type: ip
    /// terminationGracePeriodSeconds: 90
    /// containers:
    ///   - name: nginx
    ///     lifecycle: {preStop: {exec: {command: ["/lameduck", "prestop", "--grace-period", "90s"]}}}
    /// ```
    pub static RULE = { id: "LD023", name: "aws-lb-grace-period", severity: Warning, check: check };
}

/// What lameduck keeps back from the grace period after the drain: the safety margin and the stop
/// reserve.
fn reserve() -> f64 {
    (DEFAULT_SAFETY_MARGIN + STOP_RESERVE).as_secs_f64()
}

/// The grace period a pod needs behind `lb`, and the container that needs it.
struct Shortfall<'p, 'a> {
    minimum: f64,
    worst: &'p ContainerView<'a>,
}

/// What container `c` needs: the load balancer's lag, its longest request and lameduck's reserve;
/// or its preStop plus drain (LD006's sum) when that is longer. A container whose hook waits
/// for another's port (php-fpm after nginx) stops once that one has finished the requests, so
/// only its own sum counts.
fn needs(pod: &PodView<'_>, c: &ContainerView<'_>, lb: &DirectLoadBalancer) -> f64 {
    if pod.after_port_holds(c) {
        return c.needed_seconds();
    }
    (lb.lag + c.server_drain_seconds() + reserve()).max(c.needed_seconds())
}

fn shortfall<'p, 'a>(pod: &'p PodView<'a>, lb: &DirectLoadBalancer) -> Option<Shortfall<'p, 'a>> {
    let worst = pod
        .containers
        .iter()
        .filter(|c| !c.container.plain_init)
        // NaN: a drain set by a placeholder (`${TIMEOUT}`) nobody can read here.
        .filter(|c| !c.needed_seconds().is_nan())
        .max_by(|a, b| needs(pod, a, lb).total_cmp(&needs(pod, b, lb)))?;
    let minimum = needs(pod, worst, lb);
    (minimum > pod.workload.grace_seconds()).then_some(Shortfall { minimum, worst })
}

/// The pods (by workload index) this rule reports, unless it is turned off or the workload
/// ignores it: LD006 leaves them to it.
pub(super) fn reported_pods(ctx: &Ctx<'_>) -> HashSet<usize> {
    if ctx.project.config.rules.get(RULE.id) == Some(&RuleSetting::Off) {
        return HashSet::new();
    }
    let lbs = alb::direct_load_balancers(ctx);
    ctx.pods
        .iter()
        .filter(|p| !p.workload.is_batch())
        .filter(|p| !p.workload.ignored.iter().any(|id| id == RULE.id))
        .filter(|p| lbs.get(&p.index).is_some_and(|lb| shortfall(p, lb).is_some()))
        .map(|p| p.index)
        .collect()
}

/// The container that serves longest stops taking requests before the load balancer's lag is
/// over: it, and how long it serves. `None` when no container waits at all (LD003's case) or
/// one serves for a time nobody can tell here.
fn stops_early<'p, 'a>(
    pod: &'p PodView<'a>,
    lb: &DirectLoadBalancer,
) -> Option<(&'p ContainerView<'a>, f64)> {
    let mut longest: Option<(&ContainerView<'a>, f64)> = None;
    for c in pod.containers.iter().filter(|c| c.serves()) {
        let serving = c.longest_serving_seconds()?;
        if longest.is_none_or(|(_, s)| serving > s) {
            longest = Some((c, serving));
        }
    }
    longest.filter(|&(_, s)| s > 0.0 && s < lb.lag)
}

/// The lameduck that makes the container wait: its `prestop` hook, or `run` as PID 1.
fn waiting_lameduck<'c>(c: &'c ContainerView<'_>) -> Option<&'c LameduckCall> {
    c.hook.as_ref().and_then(Hook::lameduck).or(match &c.pid1 {
        Pid1::Lameduck(call) => Some(call.as_ref()),
        _ => None,
    })
}

/// Why the grace period is too short.
fn grace_reason(shortfall: &Shortfall<'_, '_>, lb: &DirectLoadBalancer) -> String {
    let worst = shortfall.worst;
    if worst.needed_seconds() >= shortfall.minimum {
        return format!(
            "container `{}` needs {} to stop (preStop {} + drain {})",
            worst.container.name,
            show(worst.needed_seconds()),
            show(worst.hook_seconds()),
            show(worst.drain_seconds())
        );
    }
    let request = worst.server_drain_seconds();
    let longest = if request > 0.0 {
        format!(
            "the longest request container `{}` allows ({})",
            worst.container.name,
            show(request)
        )
    } else {
        "the longest request (no linked config bounds it; add yours)".to_string()
    };
    format!(
        "it needs {} lag + {longest} + 7s for lameduck's safety margin and stop reserve",
        show(lb.lag)
    )
}

/// How to make container `c` serve through the lag, given the grace period the pod will have.
fn serving_fix(c: &ContainerView<'_>, lb: &DirectLoadBalancer, grace: f64) -> String {
    if let Some(call) = waiting_lameduck(c) {
        // A drain with a bound of its own (`fixed:`, `max=`) keeps it whatever the grace period.
        let bounded = call.drain.as_ref().and_then(DrainSpec::max).is_some();
        if bounded {
            format!(
                "give lameduck's --drain a max of at least {} (now `{}`) and pass it --grace-period {}",
                show(lb.lag),
                call.drain_text.as_deref().unwrap_or_default(),
                show(grace)
            )
        } else {
            format!(
                "pass --grace-period {} to lameduck (it cannot read the pod's grace period, and its drain lasts at most that − 7s)",
                show(grace)
            )
        }
    } else {
        format!(
            "make its preStop wait at least {}, or use `lameduck prestop --grace-period {}`, which waits until the requests stop",
            show(lb.lag),
            show(grace)
        )
    }
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let lbs: HashMap<usize, DirectLoadBalancer> = alb::direct_load_balancers(ctx);
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        let Some(lb) = lbs.get(&pod.index) else { continue };
        let short = shortfall(pod, lb);
        let early = stops_early(pod, lb);
        let opening = format!(
            "{} sends to this pod's IP and may keep sending new requests for up to {} after the pod is deleted",
            lb.what,
            show(lb.lag)
        );
        let stops = |(c, s): (&ContainerView<'_>, f64)| {
            format!("container `{}` stops taking them after {}", c.container.name, show(s))
        };
        let (span, message) = match (&short, early) {
            (None, None) => continue,
            (Some(short), early) => {
                let minimum = short.minimum.ceil();
                let mut message = format!(
                    "{opening}, but {}: {}",
                    pod.workload.grace_text(),
                    grace_reason(short, lb)
                );
                match early {
                    Some(early) => message.push_str(&format!(
                        ", and {}; raise the grace period to at least {} and {}",
                        stops(early),
                        show(minimum),
                        serving_fix(early.0, lb, minimum)
                    )),
                    None => message.push_str(&format!(
                        "; raise it to at least {} and pass the same --grace-period to lameduck",
                        show(minimum)
                    )),
                }
                (pod.workload.grace_span(), message)
            }
            (None, Some(early)) => {
                let c = early.0;
                let span = c.container.pre_stop.as_ref().map_or(c.container.span, |p| p.span());
                let grace = pod.workload.grace_seconds();
                let fix = serving_fix(c, lb, grace);
                (span, format!("{opening}, but {}: later requests get 502s; {fix}", stops(early)))
            }
        };
        // LD006's case (the kubelet kills the container mid-request whatever the load balancer
        // does) is certain, so it keeps LD006's severity.
        let killed = needed_now_exceeds(pod);
        let pre_stop = short.as_ref().and_then(|s| s.worst.container.pre_stop.as_ref());
        let finding = sink
            .report_in(pod, span, message)
            .with(Some(lb.span), "target type ip")
            .with(pre_stop.map(|p| p.span()), "preStop");
        if killed && short.is_some() {
            finding.severity = Severity::Error;
        }
    }
}

/// Whether a container's preStop plus drain alone exceed the grace period (what LD006 reports).
fn needed_now_exceeds(pod: &PodView<'_>) -> bool {
    let grace = pod.workload.grace_seconds();
    pod.containers.iter().filter(|c| !c.container.plain_init).any(|c| c.needed_seconds() > grace)
}
