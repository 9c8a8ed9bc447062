//! The load a scenario sends: its `uris` in turn, or a mix of request kinds (method, body,
//! client keep-alive) with durations drawn from a distribution, each send's kind and duration
//! drawn in advance from the scenario's seed so that a run sends the same sequence every time.
//!
//! A mix becomes the load engine's ammo, one request per send in order, and each finished
//! request is counted under its kind, so a POST lost where GETs were retried shows as such.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use lameduck_core::schema::KindResult;
use lameduck_load::ammo::Missile;
use lameduck_load::{Plan, RequestRecord, Schedule};

use crate::rng::Rng;
use crate::scenario::spread::pick_weighted;
use crate::scenario::{LoadSpec, RequestSpec};

/// Most requests drawn in advance; a longer schedule sends them again from the start.
const MAX_DRAWN: u64 = 20_000;
/// Keeps the mix's draws apart from the jitter and container-order draws of the same seed.
const MIX_STREAM: u64 = 0x6d69_7820_6472_6177;

/// The load plan for `load` through the ingress at `addr`, and how to count its requests per
/// kind (`None` without a mix: the plan sends `uris` in turn, as it always has).
pub fn plan(
    load: &LoadSpec,
    addr: SocketAddr,
    seed: u64,
    schedule: Schedule,
) -> Result<(Plan, Option<Kinds>), String> {
    if load.requests.is_empty() && load.duration.is_none() {
        let urls: Vec<String> = load.uris.iter().map(|u| format!("http://{addr}{u}")).collect();
        let mut plan = Plan::new(&urls, schedule).map_err(|e| e.to_string())?;
        plan.keepalive = load.keepalive;
        plan.timeout = load.timeout.0;
        return Ok((plan, None));
    }
    let specs = request_kinds(load);
    let mut rng = Rng::new(seed ^ MIX_STREAM);
    let weights: Vec<u64> = specs.iter().map(|r| u64::from(r.weight)).collect();
    let drawn = schedule.total_requests().clamp(1, MAX_DRAWN);
    let mut kind_of = Vec::with_capacity(drawn as usize);
    let mut ammo = Vec::with_capacity(drawn as usize);
    for _ in 0..drawn {
        let kind = pick_weighted(&weights, &mut rng);
        let ms = load.duration.as_ref().map(|d| d.sample(&mut rng).as_millis());
        ammo.push(missile(&specs[kind], load.keepalive, ms));
        kind_of.push(kind);
    }
    let mut plan = Plan::new(&[format!("http://{addr}/")], schedule).map_err(|e| e.to_string())?;
    // Connections are kept or not per request kind (a `Connection: close` request gets one
    // of its own); the pool serves the kinds that keep them. With none, no pool: a connection
    // opened ahead for it would sit idle on one pod to the end of the load (nginx's graceful
    // stop waits for it).
    plan.keepalive = specs.iter().any(|r| r.keepalive.unwrap_or(load.keepalive));
    plan.timeout = load.timeout.0;
    plan.ammo = ammo;
    let tallies = specs
        .iter()
        .map(|r| KindResult {
            method: r.method.as_str().into(),
            keepalive: r.keepalive.unwrap_or(load.keepalive),
            ..KindResult::default()
        })
        .collect();
    Ok((plan, Some(Kinds { kind_of, tallies: Arc::new(Mutex::new(tallies)) })))
}

/// The mix's kinds: `requests`, or `uris` as GETs of equal weight.
fn request_kinds(load: &LoadSpec) -> Vec<RequestSpec> {
    if !load.requests.is_empty() {
        return load.requests.clone();
    }
    load.uris
        .iter()
        .map(|uri| RequestSpec {
            method: Default::default(),
            uri: uri.clone(),
            body: Default::default(),
            weight: 1,
            keepalive: None,
        })
        .collect()
}

fn missile(spec: &RequestSpec, keepalive: bool, ms: Option<u128>) -> Missile {
    let uri = match ms {
        Some(ms) if spec.uri.contains('?') => format!("{}&ms={ms}", spec.uri),
        Some(ms) => format!("{}?ms={ms}", spec.uri),
        None => spec.uri.clone(),
    };
    let headers = if spec.keepalive.unwrap_or(keepalive) {
        Vec::new()
    } else {
        vec![("Connection".to_string(), "close".to_string())]
    };
    Missile::Request {
        method: spec.method.as_str(),
        uri,
        headers: Arc::new(headers),
        // A byte that is not a line end, so a body reads the same in every log.
        body: vec![b'x'; spec.body.0 as usize],
    }
}

/// Per-kind counts of a running mix.
#[derive(Clone)]
pub struct Kinds {
    /// The kind of each drawn request (the ammo index).
    kind_of: Vec<usize>,
    tallies: Arc<Mutex<Vec<KindResult>>>,
}

impl Kinds {
    /// Counts one finished request under its kind. One a stop abandoned has no known kind and
    /// is counted only in the totals.
    pub fn count(&self, record: &RequestRecord) {
        let Some(request) = record.request else { return };
        let Some(kind) = self.kind_of.get(request % self.kind_of.len().max(1)) else { return };
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tally) = tallies.get_mut(*kind) {
            tally.requests += 1;
            tally.failed += u64::from(!record.outcome.is_ok());
        }
    }

    /// The counts so far, kinds of the same method and keep-alive merged.
    pub fn results(&self) -> Vec<KindResult> {
        let tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        let mut merged: Vec<KindResult> = Vec::new();
        for t in tallies.iter() {
            match merged.iter_mut().find(|m| m.method == t.method && m.keepalive == t.keepalive) {
                Some(m) => {
                    m.requests += t.requests;
                    m.failed += t.failed;
                }
                None => merged.push(t.clone()),
            }
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(load: &str) -> Plan {
        let load: LoadSpec = serde_yaml::from_str(load).unwrap();
        let schedule = Schedule::parse(&load.schedule).unwrap();
        plan(&load, "127.0.0.1:80".parse().unwrap(), 1, schedule).unwrap().0
    }

    #[test]
    fn a_mix_keeps_a_pool_only_if_a_kind_keeps_connections() {
        let mix = |first: bool| {
            format!(
                "{{schedule: 'const(10, 1s)', duration: {{uniform: [200ms, 2s]}}, requests: \
                 [{{keepalive: {first}}}, {{method: POST, keepalive: false}}]}}"
            )
        };
        assert!(plan_of(&mix(true)).keepalive);
        assert!(!plan_of(&mix(false)).keepalive, "every request closes its connection");
    }
}
