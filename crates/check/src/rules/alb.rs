//! What the AWS ALB rules share: which pods each Ingress routes to through which Service, and
//! how to read one number out of a `key=value,…` attributes annotation.
use std::collections::HashMap;

use super::Ctx;
use crate::k8s::{Ingress, Service};
use crate::pods::PodView;

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
