//! The model's targets as an ALB target group holds them (docs/lab.md quotes the AWS
//! documentation followed): registration through health checks, `healthy` / `unhealthy` with
//! fail-open, and deregistration — no new requests at once, the requests in flight cut when
//! the deregistration delay ends.
use std::io;
use std::net::Ipv4Addr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::watch;

use super::ModelIngress;
use crate::ingress::Backend;
use crate::scenario::alb::HealthCheck;
use crate::scenario::IngressModel;
use lameduck_core::schema::EventKind;

/// Where a target stands in its target group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Health {
    /// Registered, initial health checks not passed yet: no traffic.
    Initial,
    Healthy,
    /// Failed `unhealthyThreshold` checks in a row: traffic only if no target is healthy.
    Unhealthy,
    /// Deregistering: no new requests; those in flight until the deregistration delay ends.
    Draining,
}

pub(super) struct Target {
    pub backend: Backend,
    /// The pod's own address in the lab's namespace (`None`: reached inside its namespace).
    pub addr: Option<Ipv4Addr>,
    pub health: Health,
    /// Tells apart a target registered again after a deregistration.
    generation: u64,
    registered: watch::Sender<bool>,
    /// Becomes true when the deregistration delay is over.
    cut: watch::Sender<bool>,
}

/// The target an attempt goes to.
pub(super) struct Picked {
    pub backend: Backend,
    pub addr: Option<Ipv4Addr>,
    pub cut: watch::Receiver<bool>,
}

impl ModelIngress {
    /// Registers `ep` reached inside its own namespace (see [`Self::add_target`]).
    pub fn add_endpoint(self: &Arc<Self>, ep: Backend) {
        self.add_target(ep, None);
    }

    /// Registers `ep` (at `addr` when given). Without `ingress.healthCheck` the target is
    /// healthy at once; with it, it receives traffic after `healthyThreshold` checks in a row.
    pub fn add_target(self: &Arc<Self>, ep: Backend, addr: Option<Ipv4Addr>) {
        let health_check = self.spec.health_check.clone().filter(|_| self.is_alb());
        let generation = {
            let mut targets = self.lock_targets();
            if targets.iter().any(|t| t.backend.pod == ep.pod && t.health != Health::Draining) {
                return;
            }
            // A target registered again replaces its draining self.
            targets.retain(|t| t.backend.pod != ep.pod);
            let generation = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as u64;
            let health = if health_check.is_some() { Health::Initial } else { Health::Healthy };
            targets.push(Target {
                backend: ep.clone(),
                addr,
                health,
                generation,
                registered: watch::channel(health == Health::Healthy).0,
                cut: watch::channel(false).0,
            });
            generation
        };
        let at = match addr {
            Some(ip) => format!("{ip}:{}", ep.port),
            None => format!("127.0.0.1:{} in the pod", ep.port),
        };
        let detail = match &health_check {
            None => format!("ingress now sends traffic to {at}"),
            Some(hc) => format!(
                "registered with the target group ({at}): initial health checks (GET {} every {}, {} in a row)",
                hc.path, hc.interval, hc.healthy_threshold
            ),
        };
        self.log.record(&ep.pod, "", EventKind::EndpointAdded, detail);
        if let Some(hc) = health_check {
            tokio::spawn(health_checks(Arc::downgrade(self), generation, hc));
        }
    }

    /// Deregisters `pod`: no new requests from now on; idle pooled connections to it are
    /// closed. On an ALB the requests in flight may go on until the deregistration delay ends.
    pub fn remove_endpoint(self: &Arc<Self>, pod: &str) {
        let generation = {
            let mut targets = self.lock_targets();
            let Some(t) =
                targets.iter_mut().find(|t| t.backend.pod == pod && t.health != Health::Draining)
            else {
                return;
            };
            t.health = Health::Draining;
            t.generation
        };
        self.pools.lock().unwrap_or_else(|e| e.into_inner()).remove(pod);
        let detail = if self.is_alb() {
            format!(
                "applied at the ingress: no new requests go to this pod; requests in flight until the deregistration delay ({}) ends",
                self.spec.deregistration_delay
            )
        } else {
            "applied at the ingress: no new requests go to this pod".into()
        };
        self.log.record(pod, "", EventKind::EndpointRemoved, detail);
        if !self.is_alb() {
            // ingress-nginx has no deregistration delay: requests in flight run to their end.
            self.lock_targets().retain(|t| t.generation != generation);
            return;
        }
        let (me, pod) = (Arc::downgrade(self), pod.to_string());
        let delay = self.spec.deregistration_delay.0;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let Some(me) = me.upgrade() else { return };
            let mut targets = me.lock_targets();
            if let Some(t) = targets.iter().find(|t| t.generation == generation) {
                let _ = t.cut.send(true);
                me.log.record(
                    &pod,
                    "",
                    EventKind::EndpointRemoved,
                    "deregistration delay over: requests still in flight are closed",
                );
            }
            targets.retain(|t| t.generation != generation);
        });
    }

    /// Resolves to true once `pod`'s target is healthy (`None`: not registered).
    pub fn registered(&self, pod: &str) -> Option<watch::Receiver<bool>> {
        let targets = self.lock_targets();
        targets
            .iter()
            .find(|t| t.backend.pod == pod && t.health != Health::Draining)
            .map(|t| t.registered.subscribe())
    }

    /// True while `pod` has a target that may get new requests (pooled connections are kept
    /// only for those).
    pub(super) fn routable(&self, pod: &str) -> bool {
        self.lock_targets().iter().any(|t| {
            t.backend.pod == pod && matches!(t.health, Health::Healthy | Health::Unhealthy)
        })
    }

    /// Picks the next target round-robin among the healthy ones not in `tried`; when none is
    /// healthy, among the unhealthy ones ("the load balancer fails open").
    pub(super) fn pick(&self, tried: &[String]) -> Option<Picked> {
        let targets = self.lock_targets();
        let with = |health: Health| -> Vec<&Target> {
            targets
                .iter()
                .filter(|t| t.health == health && !tried.contains(&t.backend.pod))
                .collect()
        };
        let mut candidates = with(Health::Healthy);
        if candidates.is_empty() {
            candidates = with(Health::Unhealthy);
        }
        if candidates.is_empty() {
            return None;
        }
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % candidates.len();
        let t = candidates[i];
        Some(Picked { backend: t.backend.clone(), addr: t.addr, cut: t.cut.subscribe() })
    }

    /// Opens a connection to the target: to its address from the lab's namespace, or inside
    /// its own namespace.
    pub(super) async fn connect(
        &self,
        backend: &Backend,
        addr: Option<Ipv4Addr>,
        timeout: Duration,
    ) -> io::Result<TcpStream> {
        let Some(ip) = addr else {
            return crate::probe::connect_in(&backend.netns, &self.home, backend.port, timeout)
                .await;
        };
        match tokio::time::timeout(timeout, TcpStream::connect((ip, backend.port))).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
        }
    }

    pub(super) fn is_alb(&self) -> bool {
        self.spec.model == IngressModel::Alb
    }

    fn lock_targets(&self) -> std::sync::MutexGuard<'_, Vec<Target>> {
        self.targets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The target `generation` while it is registered and not draining.
    fn checked_target(&self, generation: u64) -> Option<(Backend, Option<Ipv4Addr>)> {
        self.lock_targets()
            .iter()
            .find(|t| t.generation == generation && t.health != Health::Draining)
            .map(|t| (t.backend.clone(), t.addr))
    }

    /// One health check: `GET path` answered 200 (the ALB's default matcher) within `timeout`;
    /// the error says what went wrong.
    async fn health_check(
        &self,
        backend: &Backend,
        addr: Option<Ipv4Addr>,
        hc: &HealthCheck,
    ) -> Result<(), String> {
        let check = async {
            let stream = self
                .connect(backend, addr, hc.timeout.0)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let host = format!("{}:{}", backend.pod, backend.port);
            let agent = "ELB-HealthChecker/2.0";
            match crate::probe::http_get(stream, &host, &hc.path, agent, hc.timeout.0).await {
                Some(200) => Ok(()),
                Some(status) => Err(format!("answered {status}, not 200")),
                None => Err("no response".to_string()),
            }
        };
        let timed_out = || Err(format!("no response within the timeout ({})", hc.timeout));
        tokio::time::timeout(hc.timeout.0, check).await.unwrap_or_else(|_| timed_out())
    }

    /// Logs a health check's result while the target is not healthy, and every failure: the
    /// way to a target's registration, or why it has none.
    fn log_check(
        &self,
        generation: u64,
        hc: &HealthCheck,
        result: &Result<(), String>,
        passed: u32,
    ) {
        let targets = self.lock_targets();
        let Some(t) = targets.iter().find(|t| t.generation == generation) else { return };
        let detail = match result {
            Ok(()) if t.health == Health::Healthy => return,
            Ok(()) => format!(
                "alb: health check passed (GET {}): {passed} of {} in a row",
                hc.path, hc.healthy_threshold
            ),
            Err(why) => format!("alb: health check failed (GET {}): {why}", hc.path),
        };
        self.log.record(&t.backend.pod, "", EventKind::EndpointAdded, detail);
    }

    /// Moves target `generation` to `health` when it is in one of `from`; logs the change.
    fn set_health(&self, generation: u64, from: &[Health], health: Health, why: String) {
        let mut targets = self.lock_targets();
        let Some(t) = targets.iter_mut().find(|t| t.generation == generation) else { return };
        if !from.contains(&t.health) {
            return;
        }
        t.health = health;
        // `send_replace`, not `send`: `send` keeps nothing when no one is subscribed, and the
        // readiness gate may subscribe only after the target turned healthy (the run's first
        // pods are gated one after the other); it would then wait for news already lost.
        let healthy = health == Health::Healthy || *t.registered.borrow();
        t.registered.send_replace(healthy);
        let kind = if health == Health::Healthy { EventKind::Ready } else { EventKind::Unready };
        self.log.record(&t.backend.pod, "", kind, why);
    }
}

/// Health checks of target `generation` every `interval` (the first at once) until it
/// deregisters or the model is gone.
async fn health_checks(me: Weak<ModelIngress>, generation: u64, hc: HealthCheck) {
    let mut tick = tokio::time::interval(hc.interval.0);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut passed, mut failed) = (0u32, 0u32);
    loop {
        tick.tick().await;
        let Some(me) = me.upgrade() else { return };
        let Some((backend, addr)) = me.checked_target(generation) else { return };
        let result = me.health_check(&backend, addr, &hc).await;
        if result.is_ok() {
            (passed, failed) = (passed + 1, 0);
        } else {
            (passed, failed) = (0, failed + 1);
        }
        me.log_check(generation, &hc, &result, passed);
        if passed >= hc.healthy_threshold {
            let why = format!(
                "alb: target healthy after {passed} health checks in a row (GET {}): it receives traffic",
                hc.path
            );
            me.set_health(generation, &[Health::Initial, Health::Unhealthy], Health::Healthy, why);
        }
        if failed >= hc.unhealthy_threshold {
            let why = format!(
                "alb: target unhealthy after {failed} failed health checks in a row (GET {})",
                hc.path
            );
            me.set_health(generation, &[Health::Healthy], Health::Unhealthy, why);
        }
    }
}
