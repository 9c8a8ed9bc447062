//! The nftables transaction of one sync, shaped as kube-proxy's nftables proxier writes it
//! (kubernetes/kubernetes `pkg/proxy/nftables/proxier.go`, read November 2026), for one
//! ClusterIP Service with `internalTrafficPolicy: Cluster` and no session affinity. Every sync
//! writes the whole table, as a full sync of kube-proxy does: base chains and ordinary chains
//! are added and flushed, the maps flushed and refilled, so `nft -f` applies all of it or none.
//!
//! What each part follows, in kube-proxy's words:
//!
//! ```text
//! {"nat-output", knftables.NATType, knftables.OutputHook, knftables.DNATPriority},
//! {"nat-postrouting", knftables.NATType, knftables.PostroutingHook, knftables.SNATPriority},
//! {servicesChain, natOutputChain, ""},
//! ipX, "daddr", ".", "meta l4proto", ".", "th dport", "vmap", "@", serviceIPsMap,
//! ipX, "daddr", svcInfo.ClusterIP(), protocol, "dport", svcInfo.Port(),
//!     proxier.localDetector.IfNotLocalNFT(), "jump", markMasqChain,
//! "numgen random mod", len(endpoints), "vmap", "{", elements, "}",
//! ipX, "saddr", epInfo.IP(), "jump", markMasqChain,
//! "meta l4proto", protocol, "dnat to", epInfo.String(),
//! "mark", "and", proxier.masqueradeMark, "==", "0", "return",
//! "masquerade fully-random",
//! {serviceEndpointsCheckChain, filterOutputChain, "ct state new"},
//! internalTrafficFilterVerdict = fmt.Sprintf("goto %s", rejectChain)
//! ```
//!
//! One change, for reproducible runs: kube-proxy picks an endpoint with `numgen random`, the
//! kernel's random numbers, which nothing can seed. The lab writes the same uniform pick as a
//! sequence drawn from the scenario's seed: `numgen inc mod 256` (the new connections since
//! the sync, counted) into a map of 256 endpoints drawn uniformly. Each connection still goes
//! to an endpoint chosen uniformly at random, and the same scenario's connections are spread
//! the same way in every run, as its drawn lags are.
//!
//! Left out: chain names carry no hash prefix (kube-proxy adds one to keep truncated names
//! unique; these are short), and the `prerouting`, NodePort, firewall and ClusterIP-check
//! parts, which only traffic from other pods or nodes would meet. Priorities are numbers
//! (`dstnat` is -100, `srcnat` 100) because Debian's nft 1.0.6 rejects the `dstnat` keyword
//! in an `ip` table's `output` hook.
use std::net::Ipv4Addr;

/// kube-proxy's default `masqueradeBit` is 14.
const MASQUERADE_MARK: &str = "0x4000";

/// The one Service the lab programs: namespace/name/protocol/port name, as kube-proxy names
/// its chains.
const SERVICE: &str = "default/lab/tcp/http";

/// An endpoint as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub ip: Ipv4Addr,
    pub port: u16,
}

/// The Service and its pods' network, fixed for a run.
#[derive(Debug, Clone)]
pub struct Service {
    /// The nftables table: `kube-proxy`, with a suffix for each further Service running at the
    /// same time in the lab (one table per Service, as if each had a node of its own).
    pub table: String,
    pub vip: Ipv4Addr,
    pub port: u16,
    /// The pods' addresses (`--cluster-cidr`): traffic from outside is masqueraded.
    pub cluster_cidr: &'static str,
    /// The scenario's seed, from which each sync's endpoint picks are drawn.
    pub seed: u64,
}

/// How many seeded picks a sync's map holds before the sequence repeats: more new connections
/// than come to one Service between two syncs in any scenario the lab runs.
const PICKS: usize = 256;

/// The table's chains that hold this sync's endpoints, each endpoint chain once.
pub fn service_chain() -> String {
    format!("service-{SERVICE}")
}

pub fn endpoint_chain(t: &Target) -> String {
    format!("endpoint-{SERVICE}__{}/{}", t.ip, t.port)
}

/// The whole transaction of sync number `sync`: `endpoints` is what kube-proxy's
/// `CategorizeEndpoints` chose (empty: the VIP rejects new connections); `stale` are chains of
/// earlier syncs to flush now.
pub fn transaction(svc: &Service, sync: u64, endpoints: &[Target], stale: &[String]) -> String {
    let tb = &svc.table;
    let mut tx = String::new();
    let mut line = |s: String| {
        tx.push_str(&s);
        tx.push('\n');
    };
    line(format!("add table ip {tb} {{ comment \"rules for kube-proxy\" ; }}"));
    let base = [
        ("filter-output", "filter", "output", -110),
        ("nat-output", "nat", "output", -100),
        ("nat-postrouting", "nat", "postrouting", 100),
    ];
    for (name, kind, hook, priority) in base {
        line(format!(
            "add chain ip {tb} {name} {{ type {kind} hook {hook} priority {priority} ; }}"
        ));
        line(format!("flush chain ip {tb} {name}"));
    }
    let ordinary = [
        "service-endpoints-check",
        "services",
        "masquerading",
        "mark-for-masquerade",
        "reject-chain",
    ];
    for name in ordinary {
        add_flushed_chain(&mut line, tb, name);
    }
    line(format!("add rule ip {tb} filter-output ct state new jump service-endpoints-check"));
    line(format!("add rule ip {tb} nat-output jump services"));
    line(format!("add rule ip {tb} nat-postrouting jump masquerading"));
    line(format!("add rule ip {tb} mark-for-masquerade mark set mark or {MASQUERADE_MARK}"));
    line(format!("add rule ip {tb} masquerading mark and {MASQUERADE_MARK} == 0 return"));
    line(format!("add rule ip {tb} masquerading mark set mark xor {MASQUERADE_MARK}"));
    line(format!("add rule ip {tb} masquerading masquerade fully-random"));
    line(format!("add rule ip {tb} reject-chain reject"));
    let vmap = "type ipv4_addr . inet_proto . inet_service : verdict";
    for (map, comment) in [
        ("no-endpoint-services", "vmap to drop or reject packets to services with no endpoints"),
        ("service-ips", "ClusterIP, ExternalIP and LoadBalancer IP traffic"),
    ] {
        line(format!("add map ip {tb} {map} {{ {vmap} ; comment \"{comment}\" ; }}"));
        line(format!("flush map ip {tb} {map}"));
    }
    line(format!("add rule ip {tb} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services"));
    line(format!("add rule ip {tb} services ip daddr . meta l4proto . th dport vmap @service-ips"));
    let key = format!("{} . tcp . {}", svc.vip, svc.port);
    if endpoints.is_empty() {
        line(format!(
            "add element ip {tb} no-endpoint-services {{ {key} comment \"{SERVICE}\" : goto reject-chain }}"
        ));
    } else {
        service_rules(&mut line, svc, sync, endpoints, &key);
    }
    for chain in stale {
        line(format!("flush chain ip {tb} {chain}"));
    }
    tx
}

fn add_flushed_chain(line: &mut impl FnMut(String), tb: &str, name: &str) {
    line(format!("add chain ip {tb} {name}"));
    line(format!("flush chain ip {tb} {name}"));
}

/// The Service's chain, one chain per endpoint, and the VIP's entry in `service-ips`.
fn service_rules(
    line: &mut impl FnMut(String),
    svc: &Service,
    sync: u64,
    endpoints: &[Target],
    key: &str,
) {
    let (tb, service) = (&svc.table, service_chain());
    for t in endpoints {
        let chain = endpoint_chain(t);
        add_flushed_chain(line, tb, &chain);
        line(format!("add rule ip {tb} {chain} ip saddr {} jump mark-for-masquerade", t.ip));
        line(format!("add rule ip {tb} {chain} meta l4proto tcp dnat to {}:{}", t.ip, t.port));
    }
    add_flushed_chain(line, tb, &service);
    line(format!(
        "add rule ip {tb} {service} ip daddr {} tcp dport {} ip saddr != {} jump mark-for-masquerade",
        svc.vip, svc.port, svc.cluster_cidr
    ));
    let picks = seeded_picks(svc.seed, sync, endpoints.len());
    let elements: Vec<String> = picks
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{i} : goto {}", endpoint_chain(&endpoints[*e])))
        .collect();
    line(format!(
        "add rule ip {tb} {service} numgen inc mod {} vmap {{ {} }}",
        picks.len(),
        elements.join(", ")
    ));
    line(format!("add element ip {tb} service-ips {{ {key} : goto {service} }}"));
}

/// The endpoint (an index into `count`) each new connection after sync `sync` goes to, in
/// turn: uniform draws from the scenario's seed. One endpoint needs one entry.
fn seeded_picks(seed: u64, sync: u64, count: usize) -> Vec<usize> {
    if count <= 1 {
        return vec![0; count];
    }
    let mut rng = crate::rng::Rng::new(seed ^ sync.wrapping_mul(0xA24B_AED4_963E_E407));
    (0..PICKS).map(|_| rng.below(count as u64) as usize).collect()
}

/// Deletes chains flushed by an earlier sync. kube-proxy waits a second before deleting them:
/// "with kernels before 6.2, if there is a map element pointing to a chain, and you delete that
/// map element, the kernel doesn't notice until a short amount of time later that the chain is
/// now unreferenced".
pub fn delete_chains(tb: &str, chains: &[String]) -> String {
    chains.iter().map(|c| format!("delete chain ip {tb} {c}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc() -> Service {
        Service {
            table: "kube-proxy".into(),
            vip: Ipv4Addr::new(10, 96, 0, 10),
            port: 80,
            cluster_cidr: "10.200.0.0/16",
            seed: 7,
        }
    }

    #[test]
    fn two_endpoints_are_picked_at_random_and_dnatted() {
        let eps = [
            Target { ip: Ipv4Addr::new(10, 200, 0, 2), port: 80 },
            Target { ip: Ipv4Addr::new(10, 200, 0, 6), port: 80 },
        ];
        let tx = transaction(&svc(), 1, &eps, &[]);
        assert!(
            tx.contains(
                "numgen inc mod 256 vmap { 0 : goto endpoint-default/lab/tcp/http__10.200.0."
            ),
            "{tx}"
        );
        for ep in ["10.200.0.2/80", "10.200.0.6/80"] {
            let picked = tx.matches(&format!("goto endpoint-default/lab/tcp/http__{ep}")).count();
            assert!((96..=160).contains(&picked), "{ep} picked {picked} of 256 times:\n{tx}");
        }
        assert!(tx.contains("meta l4proto tcp dnat to 10.200.0.6:80"), "{tx}");
        assert!(tx
            .contains("service-ips { 10.96.0.10 . tcp . 80 : goto service-default/lab/tcp/http }"));
        assert!(!tx.contains("goto reject-chain"), "{tx}");
    }

    #[test]
    fn picks_are_the_same_for_the_same_seed_and_sync_and_differ_otherwise() {
        assert_eq!(seeded_picks(7, 3, 4), seeded_picks(7, 3, 4));
        assert_ne!(seeded_picks(7, 3, 4), seeded_picks(7, 4, 4));
        assert_ne!(seeded_picks(7, 3, 4), seeded_picks(8, 3, 4));
        let picks = seeded_picks(7, 3, 4);
        for e in 0..4 {
            let n = picks.iter().filter(|p| **p == e).count();
            assert!((40..=90).contains(&n), "endpoint {e} picked {n} of 256 times");
        }
        assert_eq!(seeded_picks(7, 3, 1), [0]);
    }

    #[test]
    fn no_endpoints_rejects_at_the_vip() {
        let tx = transaction(&svc(), 1, &[], &[]);
        assert!(tx.contains("no-endpoint-services { 10.96.0.10 . tcp . 80 comment"), "{tx}");
        assert!(!tx.contains("numgen"), "{tx}");
    }
}
