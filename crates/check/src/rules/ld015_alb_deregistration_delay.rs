//! LD015: the ALB target group's deregistration delay is shorter than the pod's drain.
use super::alb::{self, Route};
use super::{Ctx, Sink};
use crate::duration::show;

declare_rule! {
    /// The AWS ALB target group's `deregistration_delay` is shorter than the pod takes to drain.
    ///
    /// When a pod leaves the endpoints, the AWS Load Balancer Controller deregisters its target.
    /// The ALB stops sending it new requests and waits `deregistration_delay.timeout_seconds`
    /// (300 s unless set) for in-flight ones, then closes those connections itself. If the pod is
    /// still sleeping in preStop and draining when that happens, the ALB cuts the very requests
    /// the drain was protecting: the client gets a 502 from the load balancer. The delay must be
    /// at least the pod's preStop time plus drain (see LD006 for how that is summed).
    ///
    /// Read from `alb.ingress.kubernetes.io/target-group-attributes` on the backend Service (which
    /// wins) or the Ingress, for pods those Services select.
    ///
    /// ### Before
    ///
    /// ```yaml
    /// alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=5
    /// # pod: preStop sleep 5, process_control_timeout = 20s
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=30
    /// ```
    pub static RULE = { id: "LD015", name: "alb-deregistration-delay", severity: Warning, check: check };
}

const ANNOTATION: &str = "alb.ingress.kubernetes.io/target-group-attributes";

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for Route { ingress, service, pod } in alb::routes(ctx) {
        // A Service's own annotation overrides the Ingress's for its target group.
        let attribute = service
            .annotations
            .iter()
            .chain(&ingress.annotations)
            .find(|(k, _, _)| k == ANNOTATION)
            .and_then(|(_, value, span)| {
                Some((alb::attribute(value, "deregistration_delay.timeout_seconds")?, *span))
            });
        let Some((delay, span)) = attribute else { continue };
        let Some(worst) =
            pod.containers.iter().max_by(|a, b| a.needed_seconds().total_cmp(&b.needed_seconds()))
        else {
            continue;
        };
        let need = worst.needed_seconds();
        if need <= delay {
            continue;
        }
        sink.report(
            span,
            format!(
                "deregistration_delay.timeout_seconds={} for Service `{}` (Ingress `{}`) but {} `{}` takes {} to drain (container `{}`): the ALB closes in-flight connections first; set it to at least {}",
                delay,
                service.name,
                ingress.name,
                pod.workload.kind,
                pod.workload.name,
                show(need),
                worst.container.name,
                need.ceil()
            ),
        )
        .with(Some(pod.workload.span), "the workload");
    }
}
