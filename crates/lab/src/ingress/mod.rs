//! The ingress in front of the pods, as one interface over its data planes.
//!
//! A data plane listens on the lab's loopback, sends each request to one of the endpoints it was
//! given, and reports every upstream failure with its cause. The runner starts one per scenario
//! ([`start`]), adds a pod when it is ready, removes it when the endpoint removal reaches the
//! ingress, and stops it when the scenario ends. A new data plane is one new module
//! implementing [`DataPlane`] plus its arm in [`start`].
//!
//! - [`model`]: the in-process models (`alb`, `nginx-model`), see docs/lab.md.
//! - [`nginx`]: the real nginx, configured as ingress-nginx configures it.
//! - [`haproxy`]: the real HAProxy with haproxy-ingress's defaults, changed through its
//!   runtime API.
//! - [`service`]: no proxy at all: a ClusterIP Service VIP, programmed with real nftables rules
//!   as kube-proxy's nftables mode programs them.
mod haproxy;
pub mod model;
mod nginx;
mod podnet;
mod process;
mod service;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::events::EventLog;
use crate::scenario::{IngressModel, IngressSpec};
use crate::sys::netns::NetNs;
use lameduck_core::schema::EventKind;

pub use lameduck_core::schema::{Cause, UpstreamFailure};
pub use model::ModelIngress;

/// A pod the ingress may send traffic to.
#[derive(Debug, Clone)]
pub struct Backend {
    pub pod: String,
    pub netns: NetNs,
    pub port: u16,
}

/// A running ingress. Endpoint changes are applied when called: the propagation lag is the
/// caller's (the runner waits `ingress.delay` + jitter before removing a pod).
pub trait DataPlane: Send + Sync {
    /// Where clients connect: the lab's loopback, or the Service VIP the lab programmed in its
    /// own network namespace (`service`).
    fn addr(&self) -> SocketAddr;
    /// Starts sending traffic to `ep` (a pod already present is left as it is).
    fn add_endpoint(&self, ep: Backend);
    /// Stops sending new requests to `pod`.
    fn remove_endpoint(&self, pod: &str);
    /// The EndpointSlice update of a deleted pod reached the data plane: the endpoint is no
    /// longer ready and is terminating; `serving` says whether its readiness probe still passes.
    /// Only a data plane with kube-proxy's fallback to serving, terminating endpoints looks at
    /// `serving`; for the others this is [`DataPlane::remove_endpoint`].
    fn remove_terminating(&self, pod: &str, serving: bool) {
        let _ = serving;
        self.remove_endpoint(pod);
    }
    /// The readiness of a terminating `pod` changed (`serving`; `false` too once its
    /// containers are gone). Ignored by data planes without that fallback.
    fn terminating_serving(&self, _pod: &str, _serving: bool) {}
    /// Resolves when every endpoint change made so far is in effect (a data plane that applies
    /// them as it is called is always settled).
    fn settled(&self) -> Settled<'_> {
        Box::pin(std::future::ready(()))
    }
    /// Resolves when `pod`, added before, receives traffic: at once, unless the data plane
    /// registers targets through health checks (`alb` with `ingress.healthCheck`). A pod
    /// readiness gate waits for it.
    fn registered(&self, _pod: &str) -> Settled<'_> {
        Box::pin(std::future::ready(()))
    }
    /// Every upstream failure so far, in the order seen.
    fn failures(&self) -> Vec<UpstreamFailure>;
    /// The first endpoint change the data plane could not apply: the run's traffic did not go
    /// where the scenario says, so its verdict is a lab error, not a finding.
    fn fault(&self) -> Option<String> {
        None
    }
    /// Stops listening and ends whatever the data plane runs.
    fn stop(&self);
}

/// What [`DataPlane::settled`] returns.
pub type Settled<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

/// Starts the data plane the scenario's `ingress.model` names; `seed` is the scenario's, for a
/// data plane that draws its own picks (nginx's round robin start, kube-proxy's endpoint pick).
pub async fn start(
    spec: IngressSpec,
    home: NetNs,
    log: Arc<EventLog>,
    dir: &Path,
    seed: u64,
) -> std::io::Result<Arc<dyn DataPlane>> {
    match spec.model {
        IngressModel::Alb | IngressModel::NginxModel => ModelIngress::start(spec, home, log).await,
        IngressModel::Nginx => nginx::NginxIngress::start(spec, log, dir, seed).await,
        IngressModel::Haproxy => haproxy::HaproxyIngress::start(spec, log, dir).await,
        IngressModel::Service => service::ServiceIngress::start(home, log, dir, seed).await,
    }
}

/// The kubelet has torn down `pod`'s sandbox: its address (if a data plane gave it one) stops
/// answering, so connects to it time out as in a cluster.
pub async fn sandbox_gone(pod: &str, netns: &NetNs, log: &EventLog) {
    match podnet::sandbox_gone(netns).await {
        Ok(Some(ip)) => log.record(
            pod,
            "",
            EventKind::Gone,
            format!("pod sandbox gone: {ip} no longer answers (connects to it time out)"),
        ),
        Ok(None) => {}
        Err(e) => log.record(
            pod,
            "",
            EventKind::Gone,
            format!("pod sandbox gone, but its address could not be made silent: {e}"),
        ),
    }
}

/// Logs one upstream failure, seen `at`, as the event log shows them, whichever data plane saw
/// it.
fn report_failure(
    log: &EventLog,
    at: std::time::Instant,
    plane: &str,
    pod: &str,
    cause: Cause,
    sent: bool,
    status: Option<u16>,
) {
    let outcome =
        status.map(|s| format!("→ {s} to the client")).unwrap_or_else(|| "→ next upstream".into());
    log.record_at(
        at,
        pod,
        "",
        EventKind::UpstreamFailure,
        format!(
            "{plane}: {} (request {}) {outcome}",
            cause.describe(),
            if sent { "sent" } else { "not sent" }
        ),
    );
}
