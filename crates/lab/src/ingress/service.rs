//! The `service` data plane: no proxy in the path. Clients in the lab's network namespace,
//! which plays the node, connect to a ClusterIP (10.96.0.10:80) that real nftables rules,
//! written as kube-proxy's nftables mode writes them ([`rules`]), DNAT to one pod picked at
//! random per new connection. (Scenarios running at the same time get 10.96.0.11, .12, ...) The kernel does the rest:
//!
//! - **conntrack keeps established flows.** A keep-alive connection DNATed to a pod keeps going
//!   to it after the pod left the rules: NAT is decided on a flow's first packet and stored in
//!   its conntrack entry. Nothing here flushes conntrack; kube-proxy itself only clears entries
//!   of UDP Services (`conntrack.CleanStaleEntries(...)`, "clear stale conntrack entries for
//!   UDP Services").
//! - **Rule syncs come at kube-proxy's cadence.** kube-proxy syncs through a
//!   `BoundedFrequencyRunner` ("Runs of the function will have at least minInterval between
//!   them ... except that up to bursts may be allowed", with `burstSyncs := 2` in
//!   `NewProxier` of `pkg/proxy/nftables/proxier.go`), whose limiter is a token bucket of
//!   `qps := float32(time.Second) / float32(minInterval)`. `minSyncPeriod` is 1 s here:
//!   `obj.IPTables.MinSyncPeriod = metav1.Duration{Duration: 1 * time.Second}` in
//!   `pkg/proxy/apis/config/v1alpha1/defaults.go` (the copy read predates the nftables mode,
//!   whose own default is taken to be the same). So an endpoint change is applied at the
//!   next sync the bucket allows, together with every change that arrived meanwhile.
//! - **Terminating endpoints are a fallback** (KEP-1669, ProxyTerminatingEndpoints, GA in
//!   1.28): with no ready endpoint left, the Service goes to endpoints that are serving and
//!   terminating (`CategorizeEndpoints` in `pkg/proxy/topology.go`: "If we didn't get any
//!   endpoints, try again using terminating endpoints", `if ep.IsServing() &&
//!   ep.IsTerminating()`). With none of those either, the VIP rejects new connections.
//!
//! Every sync is one `nft -f` transaction, run with `nsenter` into the lab's network namespace
//! after checking that it is not the one `lameduck lab` was started in: no rule ever reaches
//! the host, and all of them vanish with the lab's namespace. Each transaction is kept as
//! `ingress-service/sync-N.nft` and summed up in `ingress-service/syncs.log`.
//!
//! There is no proxy to see upstream failures, so [`DataPlane::failures`] is always empty; the
//! clients see refusals, resets and timeouts themselves.
mod cadence;
mod node;
mod rules;

use std::collections::BTreeMap;
use std::io;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{watch, Notify};

use super::{Backend, DataPlane, Settled, UpstreamFailure};
use crate::events::EventLog;
use crate::sys::netns::NetNs;
use cadence::Limiter;
use lameduck_core::schema::EventKind;
use node::Node;
use rules::{Service, Target};

/// kube-proxy's default `minSyncPeriod` (see the module documentation).
pub const MIN_SYNC_PERIOD: Duration = Duration::from_secs(1);

/// Services started so far in this lab: the n-th gets 10.96.0.(10 + n) and a table of its own.
static STARTED: AtomicU8 = AtomicU8::new(0);
/// Whether the Service CIDR is routed yet (once per lab).
static ROUTED: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);

/// One pod as the EndpointSlice shows it.
#[derive(Debug, Clone)]
struct Endpoint {
    backend: Backend,
    ready: bool,
    serving: bool,
    terminating: bool,
}

#[derive(Default)]
struct State {
    endpoints: BTreeMap<String, Endpoint>,
    /// Bumped by every change; a sync applies all changes up to the value it read.
    generation: u64,
}

struct Shared {
    state: Mutex<State>,
    wake: Notify,
    /// The generation the last sync applied.
    applied: watch::Sender<u64>,
}

impl Shared {
    fn pending(&self) -> bool {
        let generation = self.state.lock().unwrap_or_else(|e| e.into_inner()).generation;
        generation != *self.applied.borrow()
    }

    fn change(&self, f: impl FnOnce(&mut BTreeMap<String, Endpoint>)) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state.endpoints);
        state.generation += 1;
        self.wake.notify_one();
    }
}

/// The ClusterIP Service and the task that syncs its rules.
pub struct ServiceIngress {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl ServiceIngress {
    /// Checks the namespace, routes the Service CIDR and writes the first (empty) rules.
    pub async fn start(
        home: NetNs,
        log: Arc<EventLog>,
        dir: &Path,
        seed: u64,
    ) -> io::Result<Arc<dyn DataPlane>> {
        let node = Node::enter(home)?;
        let dir = dir.join("ingress-service");
        std::fs::create_dir_all(&dir)?;
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        if n >= 200 {
            return Err(io::Error::other("more than 200 `service` scenarios in one lab"));
        }
        let service = Service {
            table: if n == 0 { "kube-proxy".into() } else { format!("kube-proxy-{n}") },
            vip: Ipv4Addr::new(10, 96, 0, 10 + n),
            port: 80,
            cluster_cidr: "10.200.0.0/16",
            seed,
        };
        let mut routed = ROUTED.lock().await;
        if !*routed {
            node.route_service_cidr().await?;
            *routed = true;
        }
        drop(routed);
        let (applied, _) = watch::channel(0);
        let shared = Arc::new(Shared { state: Mutex::default(), wake: Notify::new(), applied });
        let addr = SocketAddr::from((service.vip, service.port));
        let mut syncer = Syncer::new(node, service, dir, log);
        syncer.sync(&shared).await?;
        let task = tokio::spawn(syncer.run(shared.clone()));
        Ok(Arc::new(Self { addr, shared, task }))
    }
}

impl DataPlane for ServiceIngress {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn add_endpoint(&self, backend: Backend) {
        self.shared.change(|eps| {
            let ep = Endpoint { backend, ready: true, serving: true, terminating: false };
            eps.insert(ep.backend.pod.clone(), ep);
        });
    }

    /// Readiness failed on a pod that is not terminating: not ready, so not serving either.
    fn remove_endpoint(&self, pod: &str) {
        self.shared.change(|eps| {
            if let Some(ep) = eps.get_mut(pod) {
                (ep.ready, ep.serving) = (false, false);
            }
        });
    }

    fn remove_terminating(&self, pod: &str, serving: bool) {
        self.shared.change(|eps| {
            if let Some(ep) = eps.get_mut(pod) {
                (ep.ready, ep.serving, ep.terminating) = (false, serving, true);
            }
        });
    }

    fn terminating_serving(&self, pod: &str, serving: bool) {
        self.shared.change(|eps| {
            if let Some(ep) = eps.get_mut(pod).filter(|ep| ep.terminating) {
                ep.serving = serving;
            }
        });
    }

    fn settled(&self) -> Settled<'_> {
        let wanted = self.shared.state.lock().unwrap_or_else(|e| e.into_inner()).generation;
        let mut applied = self.shared.applied.subscribe();
        Box::pin(async move {
            let _ = applied.wait_for(|&g| g >= wanted).await;
        })
    }

    /// Empty: no proxy sits in the path (see the module documentation).
    fn failures(&self) -> Vec<UpstreamFailure> {
        Vec::new()
    }

    /// Stops syncing; the rules go with the lab's network namespace.
    fn stop(&self) {
        self.task.abort();
    }
}

/// Which endpoints the Service uses, as `CategorizeEndpoints` chooses them for Cluster traffic
/// policy without topology: the ready ones, else the serving and terminating ones.
fn categorize(endpoints: &BTreeMap<String, Endpoint>) -> (Vec<&Endpoint>, &'static str) {
    let ready: Vec<_> = endpoints.values().filter(|ep| ep.ready).collect();
    if !ready.is_empty() {
        return (ready, "ready");
    }
    let fallback: Vec<_> = endpoints.values().filter(|ep| ep.serving && ep.terminating).collect();
    if fallback.is_empty() {
        (fallback, "none: the VIP rejects new connections")
    } else {
        (fallback, "no ready endpoint: serving, terminating ones (KEP-1669 fallback)")
    }
}
/// Syncs the rules, one transaction per sync, at kube-proxy's cadence.
struct Syncer {
    node: Node,
    service: Service,
    dir: PathBuf,
    log: Arc<EventLog>,
    limiter: Limiter,
    syncs: u64,
    /// Pod → its address on the lab's side of its link.
    addresses: BTreeMap<String, Ipv4Addr>,
    /// Pods in the rules after the last sync.
    in_rules: Vec<String>,
    /// Endpoint chains of the last sync, and those flushed since, by when.
    chains: Vec<String>,
    stale: BTreeMap<String, Instant>,
}

impl Syncer {
    fn new(node: Node, service: Service, dir: PathBuf, log: Arc<EventLog>) -> Self {
        Self {
            node,
            service,
            dir,
            log,
            limiter: Limiter::new(MIN_SYNC_PERIOD),
            syncs: 0,
            addresses: BTreeMap::new(),
            in_rules: Vec::new(),
            chains: Vec::new(),
            stale: BTreeMap::new(),
        }
    }

    async fn run(mut self, shared: Arc<Shared>) {
        loop {
            shared.wake.notified().await;
            // A wake-up for changes the last sync already applied asks for no sync (and takes
            // no token), as kube-proxy asks for one only when an update changed something.
            if !shared.pending() {
                continue;
            }
            let asked = Instant::now();
            let at = self.limiter.grant(asked);
            tokio::time::sleep_until(at.into()).await;
            if let Err(e) = self.sync(&shared).await {
                self.log.record("", "", EventKind::Action, format!("kube-proxy sync failed: {e}"));
                // Nothing waits forever on a sync that failed: the next change tries again.
                let generation = shared.state.lock().unwrap_or_else(|e| e.into_inner()).generation;
                shared.applied.send_replace(generation);
            }
        }
    }

    /// Applies every change made so far in one transaction.
    async fn sync(&mut self, shared: &Shared) -> io::Result<()> {
        let (generation, endpoints) = {
            let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            (state.generation, state.endpoints.clone())
        };
        if generation > 0 && generation == *shared.applied.borrow() {
            return Ok(());
        }
        for ep in endpoints.values() {
            if !self.addresses.contains_key(&ep.backend.pod) {
                let ip = super::podnet::link(&ep.backend.netns).await?;
                self.addresses.insert(ep.backend.pod.clone(), ip);
            }
        }
        let (chosen, why) = categorize(&endpoints);
        let targets: Vec<Target> = chosen
            .iter()
            .map(|ep| Target { ip: self.addresses[&ep.backend.pod], port: ep.backend.port })
            .collect();
        let chains: Vec<String> = targets.iter().map(rules::endpoint_chain).collect();
        // A chain in use again is no longer stale (kube-proxy: `delete(proxier.staleChains, chain)`).
        self.stale.retain(|chain, _| !chains.contains(chain));
        self.delete_stale().await;
        let flushed: Vec<String> =
            self.chains.iter().filter(|c| !chains.contains(c)).cloned().collect();
        self.syncs += 1;
        let file = self.dir.join(format!("sync-{}.nft", self.syncs));
        std::fs::write(&file, rules::transaction(&self.service, self.syncs, &targets, &flushed))?;
        self.node.nft(&file).await?;
        let now = Instant::now();
        for chain in flushed {
            self.stale.insert(chain, now);
        }
        self.chains = chains;
        let pods: Vec<String> = chosen.iter().map(|ep| ep.backend.pod.clone()).collect();
        self.report(&endpoints, &pods, why, generation)?;
        self.in_rules = pods;
        shared.applied.send_replace(generation);
        Ok(())
    }

    /// Deletes the endpoint chains flushed at least a second ago, in a transaction of its own
    /// before the sync's, as kube-proxy does.
    async fn delete_stale(&mut self) {
        let now = Instant::now();
        let old: Vec<String> = self
            .stale
            .iter()
            .filter(|(_, at)| now.duration_since(**at) >= Duration::from_secs(1))
            .map(|(c, _)| c.clone())
            .collect();
        if old.is_empty() {
            return;
        }
        let file = self.dir.join(format!("sync-{}-stale.nft", self.syncs + 1));
        let deleted = std::fs::write(&file, rules::delete_chains(&self.service.table, &old))
            .is_ok()
            && self.node.nft(&file).await.is_ok();
        if deleted {
            for c in old {
                self.stale.remove(&c);
            }
        }
    }

    /// An event per pod that entered or left the rules, and a line in `syncs.log`.
    fn report(
        &self,
        endpoints: &BTreeMap<String, Endpoint>,
        pods: &[String],
        why: &str,
        generation: u64,
    ) -> io::Result<()> {
        let n = self.syncs;
        let vip = format!("{}:{}", self.service.vip, self.service.port);
        for pod in pods.iter().filter(|p| !self.in_rules.contains(p)) {
            let detail = format!("applied at the node: kube-proxy sync #{n} (nft) sends new connections to {vip} here; endpoints: {why}");
            self.log.record(pod, "", EventKind::EndpointAdded, detail);
        }
        for pod in self.in_rules.iter().filter(|p| !pods.contains(p)) {
            let detail = format!("applied at the node: kube-proxy sync #{n} (nft) sends no new connections here; established ones keep their conntrack entry");
            self.log.record(pod, "", EventKind::EndpointRemoved, detail);
        }
        let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let states: Vec<String> = endpoints
            .values()
            .map(|ep| {
                format!(
                    "{}:{}{}{}",
                    ep.backend.pod,
                    if ep.ready { "ready" } else { "not-ready" },
                    if ep.serving { ",serving" } else { "" },
                    if ep.terminating { ",terminating" } else { "" }
                )
            })
            .collect();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("syncs.log"))?;
        writeln!(
            file,
            "sync={n} unix={:.3} generation={generation} rules=[{}] endpoints=[{}] why={why}",
            unix.as_secs_f64(),
            pods.join(","),
            states.join(" "),
        )
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn ep(pod: &str, ready: bool, serving: bool, terminating: bool) -> (String, Endpoint) {
        let backend = Backend { pod: pod.into(), netns: NetNs::current().unwrap(), port: 80 };
        (pod.into(), Endpoint { backend, ready, serving, terminating })
    }

    #[test]
    fn terminating_endpoints_serve_only_when_none_is_ready() {
        let both: BTreeMap<_, _> =
            [ep("pod-1", true, true, false), ep("pod-2", false, true, true)].into();
        let (chosen, _) = categorize(&both);
        assert_eq!(chosen.iter().map(|e| e.backend.pod.as_str()).collect::<Vec<_>>(), ["pod-1"]);
        let terminating: BTreeMap<_, _> =
            [ep("pod-1", false, false, true), ep("pod-2", false, true, true)].into();
        let (chosen, why) = categorize(&terminating);
        assert_eq!(chosen.iter().map(|e| e.backend.pod.as_str()).collect::<Vec<_>>(), ["pod-2"]);
        assert!(why.contains("KEP-1669"));
        let gone: BTreeMap<_, _> = [ep("pod-1", false, false, true)].into();
        assert!(categorize(&gone).0.is_empty());
    }
}
