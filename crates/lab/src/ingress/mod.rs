//! The ingress in front of the pods, as one interface over its data planes.
//!
//! A data plane listens on the lab's loopback, sends each request to one of the endpoints it was
//! given, and reports every upstream failure with its cause. The runner starts one per scenario
//! ([`start`]), adds a pod when it is ready, removes it when the endpoint removal reaches the
//! ingress, and stops it when the scenario ends. A new data plane is one new module
//! implementing [`DataPlane`] plus its arm in [`start`].
//!
//! - [`model`]: the in-process models (`alb`, `nginx`), see docs/lab.md.
pub mod model;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::events::EventLog;
use crate::scenario::IngressSpec;
use crate::sys::netns::NetNs;

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
    /// Where clients connect (the lab's loopback).
    fn addr(&self) -> SocketAddr;
    /// Starts sending traffic to `ep` (a pod already present is left as it is).
    fn add_endpoint(&self, ep: Backend);
    /// Stops sending new requests to `pod`.
    fn remove_endpoint(&self, pod: &str);
    /// Every upstream failure so far, in the order seen.
    fn failures(&self) -> Vec<UpstreamFailure>;
    /// Stops listening and ends whatever the data plane runs.
    fn stop(&self);
}

/// Starts the data plane the scenario's `ingress.model` names.
pub async fn start(
    spec: IngressSpec,
    home: NetNs,
    log: Arc<EventLog>,
) -> std::io::Result<Arc<dyn DataPlane>> {
    ModelIngress::start(spec, home, log).await
}
