//! What the AWS load balancer rules share: which pods each Ingress routes to through which
//! Service, which pods an ALB or NLB sends to directly (target type `ip`) and how long it may keep
//! doing so after the pod is deleted, and how to read one number out of a `key=value,…`
//! attributes annotation.
use std::collections::HashMap;

use super::Ctx;
use crate::k8s::{Ingress, Service};
use crate::pods::PodView;
use crate::source::Span;

/// Seconds an ALB may keep sending new requests to a deleted pod: the upper end of what users of
/// the AWS Load Balancer Controller measure (issues 1064, 2106, 2366; LD023's doc has the links).
pub(super) const ALB_LAG: f64 = 60.0;

/// The same for an NLB, whose deregistration takes about two minutes whatever the delay is set to
/// (controller issue 2366, aws/containers-roadmap issue 470).
pub(super) const NLB_LAG: f64 = 120.0;

/// One Ingress → Service → pod route.
pub(super) struct Route<'a> {
    pub ingress: &'a Ingress,
    pub service: &'a Service,
    pub pod: &'a PodView<'a>,
}

/// Every route from an Ingress through a Service it names (in its own namespace) to a pod that
/// Service selects, Ingress by Ingress.
pub(super) fn routes<'a>(ctx: &'a Ctx<'a>) -> Vec<Route<'a>> {
    let objects = &ctx.project.objects;
    let mut pods_of: HashMap<usize, Vec<usize>> = HashMap::new();
    for (p, pod) in ctx.pods.iter().enumerate() {
        for &s in &pod.services {
            pods_of.entry(s).or_default().push(p);
        }
    }
    let service_index: HashMap<(&str, &str), usize> = objects
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.namespace.as_str(), s.name.as_str()), i))
        .collect();
    let mut routes = Vec::new();
    for ingress in &objects.ingresses {
        for name in &ingress.services {
            let Some(&s) = service_index.get(&(ingress.namespace.as_str(), name.as_str())) else {
                continue;
            };
            for &p in pods_of.get(&s).into_iter().flatten() {
                routes.push(Route { ingress, service: &objects.services[s], pod: &ctx.pods[p] });
            }
        }
    }
    routes
}

/// `KEY=N` from an attributes annotation value such as
/// `deregistration_delay.timeout_seconds=30,stickiness.enabled=false`.
pub(super) fn attribute(value: &str, key: &str) -> Option<f64> {
    value.split(',').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.trim() == key).then(|| v.trim().parse::<f64>().ok()).flatten()
    })
}

/// Whether the Ingress is served by the AWS Load Balancer Controller: an `alb.ingress.kubernetes.io/*`
/// annotation, or class `alb`.
pub(super) fn is_alb(ingress: &Ingress) -> bool {
    ingress.annotations.iter().any(|(k, v, _)| {
        k.starts_with("alb.ingress.kubernetes.io/")
            || (k == "kubernetes.io/ingress.class" && v == "alb")
    }) || ingress.class.as_deref() == Some("alb")
}

/// An AWS load balancer that sends straight to a pod's IP, and how long it may keep doing so after
/// the pod is deleted.
#[derive(Debug, Clone)]
pub(super) struct DirectLoadBalancer {
    /// "the ALB of Ingress `shop`", "the NLB of Service `shop`".
    pub what: String,
    pub lag: f64,
    /// The annotation that makes the targets pod IPs.
    pub span: Span,
}

/// For each pod (by workload index) the AWS load balancer with the longest lag among those that
/// send to its IP: an ALB Ingress with `alb.ingress.kubernetes.io/target-type: ip` (on the Service,
/// which wins, or the Ingress), or a Service whose `service.beta.kubernetes.io/aws-load-balancer-*`
/// annotations ask for an NLB with IP targets. With instance targets the load balancer sends to
/// node ports and kube-proxy picks a ready pod, so a deleted pod stops getting requests within
/// about a second: that is LD003's short wait, not this.
pub(super) fn direct_load_balancers(ctx: &Ctx<'_>) -> HashMap<usize, DirectLoadBalancer> {
    let mut found: HashMap<usize, DirectLoadBalancer> = HashMap::new();
    let mut keep = |pod: &PodView<'_>, lb: DirectLoadBalancer| {
        let entry = found.entry(pod.index).or_insert_with(|| lb.clone());
        if lb.lag > entry.lag {
            *entry = lb;
        }
    };
    for Route { ingress, service, pod } in routes(ctx) {
        if !is_alb(ingress) {
            continue;
        }
        let target_type = service
            .annotations
            .iter()
            .chain(&ingress.annotations)
            .find(|(k, _, _)| k == "alb.ingress.kubernetes.io/target-type");
        if let Some((_, _, span)) = target_type.filter(|(_, v, _)| v.trim() == "ip") {
            let what = format!("the ALB of Ingress `{}`", ingress.name);
            keep(pod, DirectLoadBalancer { what, lag: ALB_LAG, span: *span });
        }
    }
    for pod in ctx.pods {
        for &s in &pod.services {
            let service = &ctx.project.objects.services[s];
            if let Some(span) = nlb_ip_annotation(service) {
                let what = format!("the NLB of Service `{}`", service.name);
                keep(pod, DirectLoadBalancer { what, lag: NLB_LAG, span });
            }
        }
    }
    found
}

/// The annotation by which a Service asks the AWS Load Balancer Controller for an NLB with IP
/// targets: `aws-load-balancer-nlb-target-type: ip`, or the older `aws-load-balancer-type: nlb-ip`.
fn nlb_ip_annotation(service: &Service) -> Option<Span> {
    service.annotations.iter().find_map(|(k, v, span)| {
        let key = k.strip_prefix("service.beta.kubernetes.io/aws-load-balancer-")?;
        let ip = match key {
            "nlb-target-type" => v.trim() == "ip",
            "type" => v.trim() == "nlb-ip",
            _ => false,
        };
        ip.then_some(*span)
    })
}
