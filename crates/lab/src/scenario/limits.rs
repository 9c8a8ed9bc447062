//! The lab's limits for one scenario, checked when it is loaded.
//!
//! A scenario file is something users download and share, and every count in it turns into
//! processes, memory or time on this machine: `replicas: 1000000000` would start pods until the
//! machine falls over, and a grace period of 2^64−1 seconds overflows the clock. So every count
//! that multiplies is bounded here, with an error naming the line (see `parse.rs`).
use std::time::Duration;

use super::{PodSpec, Scenario};

/// Pods of one scenario that exist at the same time (replicas, scale targets, rollout surge).
pub const MAX_PODS: u32 = 64;
/// Pods one scenario may start over its whole run (rollouts replace every pod).
pub const MAX_PODS_STARTED: u32 = 256;
/// Containers (main, init and sidecar) in one pod.
pub const MAX_CONTAINERS_PER_POD: usize = 16;
/// Containers of one scenario that exist at the same time.
pub const MAX_CONTAINERS: u64 = 256;
/// Any duration or number of seconds in a scenario (grace period, hooks, delays, load).
pub const MAX_DURATION: Duration = Duration::from_secs(3600);
/// Requests one scenario's load schedule may send (requests/s × duration).
pub const MAX_REQUESTS: u64 = 1_000_000;
/// Entries of `load.uris`.
pub const MAX_URIS: usize = 1000;
/// Bytes of a scenario or manifest file.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Bytes of one ConfigMap's data: Kubernetes' own limit.
pub const MAX_CONFIG_MAP_BYTES: u64 = 1 << 20;
/// Bytes of ConfigMap files the lab stages (in memory) for all the pods a scenario starts.
pub const MAX_STAGED_BYTES: u64 = 256 << 20;

use super::Invalid as Exceeded;

/// The most pods and containers a scenario has at once, and how many pods it starts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodCounts {
    pub peak: u64,
    pub started: u64,
    pub containers_per_pod: u64,
}

impl PodCounts {
    pub fn peak_containers(&self) -> u64 {
        self.peak * self.containers_per_pod
    }
}

/// Follows the actions (in time order, as the runner does) to count pods.
pub fn pod_counts(s: &Scenario) -> PodCounts {
    let mut actions: Vec<_> = s.actions.iter().collect();
    actions.sort_by_key(|a| a.at);
    let mut live = u64::from(s.replicas);
    let (mut peak, mut started) = (live, live);
    for a in actions {
        if let Some(n) = a.scale {
            let n = u64::from(n);
            started += n.saturating_sub(live);
            live = n;
        } else if a.delete.is_some() {
            live = live.saturating_sub(1);
        } else if let Some(r) = &a.rollout {
            // Each step starts up to maxSurge new pods before deleting as many old ones.
            let step = u64::from(r.max_surge.max(1)).min(live);
            peak = peak.max(live + step);
            started += live;
        }
        peak = peak.max(live);
    }
    let containers_per_pod = (s.pod.containers.len() + s.pod.init_containers.len()) as u64;
    PodCounts { peak, started, containers_per_pod }
}

/// Checks every bounded count and duration of `s`.
pub fn check(s: &Scenario) -> Result<(), Exceeded> {
    check_pods(s)?;
    check_config_maps(s)?;
    check_pod_seconds(&s.pod)?;
    check_load(s)
}

fn check_pods(s: &Scenario) -> Result<(), Exceeded> {
    let hint = format!(
        "the lab runs at most {MAX_PODS} pods per scenario (and starts at most {MAX_PODS_STARTED} in all): lower replicas, scale targets or maxSurge"
    );
    if s.replicas > MAX_PODS {
        return Err((
            format!("replicas: {} is more than the lab's limit of {MAX_PODS} pods", s.replicas),
            Some("replicas".into()),
            hint,
        ));
    }
    for a in &s.actions {
        if let Some(n) = a.scale.filter(|n| *n > MAX_PODS) {
            return Err((
                format!("scale: {n} is more than the lab's limit of {MAX_PODS} pods"),
                Some(format!("scale: {n}")),
                hint,
            ));
        }
    }
    let counts = pod_counts(s);
    if counts.peak > u64::from(MAX_PODS) || counts.started > u64::from(MAX_PODS_STARTED) {
        return Err((
            format!(
                "the actions run up to {} pods at once and start {} in all; the limits are {MAX_PODS} and {MAX_PODS_STARTED}",
                counts.peak, counts.started
            ),
            Some("actions".into()),
            hint,
        ));
    }
    if counts.containers_per_pod > MAX_CONTAINERS_PER_POD as u64 {
        return Err((
            format!(
                "the pod has {} containers; the lab's limit is {MAX_CONTAINERS_PER_POD}",
                counts.containers_per_pod
            ),
            Some("containers".into()),
            "put fewer containers in the pod".into(),
        ));
    }
    if counts.peak_containers() > MAX_CONTAINERS {
        return Err((
            format!(
                "{} pods × {} containers is more than the lab's limit of {MAX_CONTAINERS} containers at once",
                counts.peak, counts.containers_per_pod
            ),
            Some("replicas".into()),
            "lower replicas or put fewer containers in the pod".into(),
        ));
    }
    Ok(())
}

/// Each pod gets its own copy of every ConfigMap volume, on the lab's tmpfs (memory).
fn check_config_maps(s: &Scenario) -> Result<(), Exceeded> {
    let size = |name: &str| -> u64 {
        s.config_maps.get(name).into_iter().flatten().map(|(k, v)| (k.len() + v.len()) as u64).sum()
    };
    for name in s.config_maps.keys() {
        if size(name) > MAX_CONFIG_MAP_BYTES {
            return Err((
                format!(
                    "configMap `{name}` holds {} bytes; Kubernetes' limit is 1 MiB",
                    size(name)
                ),
                Some(format!("{name}:")),
                "keep ConfigMaps small; mount large files another way".into(),
            ));
        }
    }
    let per_pod: u64 =
        s.pod.volumes.iter().filter_map(|v| v.config_map.as_ref()).map(|cm| size(&cm.name)).sum();
    let staged = per_pod.saturating_mul(pod_counts(s).started);
    if staged > MAX_STAGED_BYTES {
        return Err((
            format!(
                "the pods of this scenario would stage {} MiB of ConfigMap files; the lab's limit is {} MiB",
                staged >> 20,
                MAX_STAGED_BYTES >> 20
            ),
            Some("configMaps".into()),
            "use smaller ConfigMaps or fewer pods".into(),
        ));
    }
    Ok(())
}

fn too_long(field: &str, seconds: u64) -> Exceeded {
    (
        format!(
            "{field}: {seconds} is more than the lab's limit of {} seconds (1h)",
            MAX_DURATION.as_secs()
        ),
        Some(format!("{field}:")),
        "use at most 3600 seconds; the lab runs scenarios of minutes, not hours".into(),
    )
}

fn check_pod_seconds(pod: &PodSpec) -> Result<(), Exceeded> {
    let max = MAX_DURATION.as_secs();
    if let Some(g) = pod.termination_grace_period_seconds.filter(|g| *g > max) {
        return Err(too_long("terminationGracePeriodSeconds", g));
    }
    for c in pod.containers.iter().chain(&pod.init_containers) {
        let hook = c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref());
        if let Some(seconds) = hook.and_then(|h| h.sleep.as_ref()).map(|s| s.seconds) {
            if seconds > max {
                return Err(too_long("seconds", seconds));
            }
        }
        if let Some(p) = &c.readiness_probe {
            for (field, value) in [
                ("initialDelaySeconds", p.initial_delay_seconds),
                ("periodSeconds", p.period_seconds),
                ("timeoutSeconds", p.timeout_seconds),
            ] {
                if value > max {
                    return Err(too_long(field, value));
                }
            }
        }
    }
    Ok(())
}

fn check_load(s: &Scenario) -> Result<(), Exceeded> {
    if s.load.uris.len() > MAX_URIS {
        return Err((
            format!("load.uris has {} entries; the lab's limit is {MAX_URIS}", s.load.uris.len()),
            Some("uris".into()),
            "list fewer paths".into(),
        ));
    }
    // A schedule that does not parse is reported by the caller.
    let Ok(schedule) = lameduck_load::Schedule::parse(&s.load.schedule) else { return Ok(()) };
    if schedule.duration() > MAX_DURATION {
        return Err((
            format!(
                "the load schedule lasts {:.0}s; the lab's limit is {}s (1h)",
                schedule.duration().as_secs_f64(),
                MAX_DURATION.as_secs()
            ),
            Some("schedule".into()),
            "shorten the schedule".into(),
        ));
    }
    if schedule.total_requests() > MAX_REQUESTS {
        return Err((
            format!(
                "the load schedule sends {} requests; the lab's limit is {MAX_REQUESTS}",
                schedule.total_requests()
            ),
            Some("schedule".into()),
            "lower the rate or the duration (requests/s × seconds)".into(),
        ));
    }
    Ok(())
}
