//! Cluster profiles: what stands in front of the pods in a real cluster, as one name. A profile
//! sets the data plane (`ingress.model`) and the endpoint lag, a distribution drawn per
//! endpoint change, and behind an ALB the target group's health checks, with the source of
//! each number in docs/lab.md ("Cluster profiles").
//!
//! `profile: NAME` in a scenario fills in the `ingress:` fields the scenario does not give
//! (`delay`, `jitter` and `lag` count as one: a scenario that gives any of them keeps its own
//! lag). `--profile NAME` on the command line replaces them, seeds included, since that is
//! what it is for: the same experiment behind another cluster's ingress.
use std::time::Duration;

use super::spread::Spread;
use super::{Dur, IngressModel, IngressSpec, Invalid, Scenario};

/// One cluster profile.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub name: &'static str,
    pub model: IngressModel,
    /// Endpoint lag bounds in ms, drawn uniformly (seeded).
    lag_ms: [u64; 2],
    /// One line for `--list-profiles` and the matrix's header.
    pub about: &'static str,
}

/// Every profile, in the matrix's column order.
pub const PROFILES: &[Profile] = &[
    Profile {
        name: "eks-alb",
        model: IngressModel::Alb,
        lag_ms: [10_000, 60_000],
        about: "AWS ALB via the Load Balancer Controller: lag 10–60 s",
    },
    Profile {
        name: "ingress-nginx",
        model: IngressModel::Nginx,
        // The controller's part only: each nginx worker's Lua balancer adds its own one-second
        // sync (`BACKENDS_SYNC_INTERVAL`), which the `nginx` data plane runs itself.
        lag_ms: [100, 3_500],
        about: "ingress-nginx: real nginx, sync ≤3.3 s, then its Lua balancer's 1 s: lag 0.1–3.5 s + ≤1 s",
    },
    Profile {
        name: "haproxy",
        model: IngressModel::Haproxy,
        lag_ms: [200, 2_200],
        about: "haproxy-ingress: real HAProxy, 200 ms wait + ≤1 update/2 s: lag 0.2–2.2 s",
    },
    Profile {
        name: "service",
        model: IngressModel::Service,
        // The watch's delay only: kube-proxy's own sync cadence (minSyncPeriod) is applied by
        // the `service` data plane itself.
        lag_ms: [100, 1_000],
        about: "in-cluster clients via a Service VIP, kube-proxy minSyncPeriod 1 s: lag 0.1–1 s",
    },
];

impl Profile {
    /// The profile named `name`, or an error that lists them and offers the closest.
    pub fn find(name: &str) -> Result<Profile, String> {
        PROFILES.iter().find(|p| p.name == name).copied().ok_or_else(|| {
            format!(
                "unknown cluster profile `{name}`{}; the profiles are {}",
                crate::suggest::did_you_mean(name, PROFILES.iter().map(|p| p.name)),
                names()
            )
        })
    }

    pub fn lag(&self) -> Spread {
        let [low, high] = self.lag_ms;
        Spread::Uniform([Dur::from_millis(low), Dur::from_millis(high)])
    }

    /// `ingress` with this profile's settings in the fields `given` does not name (the keys of
    /// the scenario's `ingress:` mapping); with `given` empty, every field the profile sets.
    pub fn apply(&self, ingress: &mut IngressSpec, given: &[String]) {
        let has = |key: &str| given.iter().any(|g| g == key);
        if !has("model") {
            ingress.model = self.model;
        }
        if !has("lag") && !has("delay") && !has("jitter") {
            ingress.lag = Some(self.lag());
        }
        // Behind the profile's ALB (a scenario may name another model), new targets register
        // through the AWS Load Balancer Controller's default health checks (docs/lab.md).
        let alb = self.model == IngressModel::Alb && ingress.model == IngressModel::Alb;
        if alb && !has("healthCheck") {
            ingress.health_check = Some(super::alb::HealthCheck::default());
        }
    }

    /// Stretches a scenario's load so that it still runs when the slowest endpoint removal
    /// arrives: a lag of a minute after a scale-down at 2 s needs a load of over a minute, or
    /// the requests the late removal fails are never sent. The last segment's rate goes on.
    pub fn stretch_load(&self, s: &mut Scenario) {
        let Ok(schedule) = lameduck_load::Schedule::parse(&s.load.schedule) else { return };
        let last_action = s.actions.iter().map(|a| a.at.0).max().unwrap_or_default();
        let needed = last_action + self.lag().max() + STRETCH_MARGIN;
        let Some(extra) = needed.checked_sub(schedule.duration()).filter(|d| !d.is_zero()) else {
            return;
        };
        let rate = match schedule.segments().last() {
            Some(lameduck_load::Segment::Const { rps, .. }) => *rps,
            Some(lameduck_load::Segment::Line { to, .. }) => *to,
            None => return,
        };
        s.load.schedule =
            format!("{} const({rate}, {}ms)", s.load.schedule, extra.as_millis().max(1));
    }
}

/// After the last endpoint removal, the load goes on this long: the seeds' longest request
/// (2 s) and the ingress's answer to it.
const STRETCH_MARGIN: Duration = Duration::from_secs(4);

/// `eks-alb, ingress-nginx, haproxy, service`.
pub fn names() -> String {
    PROFILES.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// Applies the scenario's own `profile:` under the `ingress:` fields it gives (`given`).
pub fn apply_own(s: &mut Scenario, given: &[String]) -> Result<(), Invalid> {
    let Some(name) = s.profile.clone() else { return Ok(()) };
    let profile = Profile::find(&name).map_err(|message| {
        (message, Some(format!("profile: {name}")), "pick one of the names listed".to_string())
    })?;
    profile.apply(&mut s.ingress, given);
    Ok(())
}

/// Checks `ingress.lag`: a sound distribution, and not given together with `delay`/`jitter`.
pub fn check_lag(ingress: &IngressSpec, given: &[String]) -> Result<(), Invalid> {
    let Some(lag) = &ingress.lag else { return Ok(()) };
    if given.iter().any(|g| g == "delay" || g == "jitter") {
        return Err((
            "ingress has both lag and delay/jitter".into(),
            Some("lag:".into()),
            "lag replaces delay and jitter: keep one of them".into(),
        ));
    }
    match lag.problem() {
        Some(problem) => Err((
            format!("ingress.lag: {problem}"),
            Some("lag:".into()),
            "e.g. lag: {uniform: [10s, 60s]}".into(),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_str;

    fn scenario(top: &str, ingress: &str) -> Scenario {
        let text = format!(
            "name: t\n{top}ingress: {{{ingress}}}\nload: {{schedule: \"const(6, 10s)\"}}\nactions: [{{at: 2s, scale: 1}}]\npod:\n  containers:\n    - {{name: web, image: nginx, ports: [{{containerPort: 80}}]}}\n"
        );
        parse_str("t.yaml", &text).unwrap()
    }

    #[test]
    fn a_profile_fills_in_what_the_scenario_does_not_give() {
        let s = scenario("profile: ingress-nginx\n", "");
        assert_eq!(s.ingress.model, IngressModel::Nginx);
        assert_eq!(s.ingress.lag, Some(Profile::find("ingress-nginx").unwrap().lag()));
    }

    #[test]
    fn explicit_ingress_fields_win_over_the_profile() {
        let s = scenario("profile: eks-alb\n", "model: haproxy");
        assert_eq!(s.ingress.model, IngressModel::Haproxy);
        assert_eq!(s.ingress.lag.as_ref().map(Spread::max), Some(Duration::from_secs(60)));
        // Any of delay, jitter, lag keeps the scenario's own lag.
        let s = scenario("profile: eks-alb\n", "delay: 2s");
        assert_eq!((s.ingress.model, s.ingress.lag.clone()), (IngressModel::Alb, None));
        assert_eq!(s.ingress.delay, Dur::from_millis(2000));
        let s = scenario("profile: eks-alb\n", "lag: {uniform: [1s, 2s]}");
        assert_eq!(s.ingress.lag.as_ref().map(Spread::max), Some(Duration::from_secs(2)));
    }

    #[test]
    fn the_command_line_profile_replaces_the_scenarios_lag() {
        let mut s = scenario("", "model: alb, delay: 1s, jitter: 300ms");
        Profile::find("haproxy").unwrap().apply(&mut s.ingress, &[]);
        assert_eq!(s.ingress.model, IngressModel::Haproxy);
        assert_eq!(s.ingress.lag.as_ref().map(Spread::max), Some(Duration::from_millis(2200)));
    }

    #[test]
    fn a_long_lag_stretches_the_load_past_the_last_removal() {
        let mut s = scenario("", "");
        let eks = Profile::find("eks-alb").unwrap();
        eks.stretch_load(&mut s);
        let schedule = lameduck_load::Schedule::parse(&s.load.schedule).unwrap();
        // Scale-down at 2 s + lag up to 60 s + 4 s.
        assert_eq!(schedule.duration(), Duration::from_secs(66), "{}", s.load.schedule);
        assert!(s.load.schedule.starts_with("const(6, 10s) const(6, "), "{}", s.load.schedule);
        // A load that already spans the lag is left alone.
        let before = s.load.schedule.clone();
        eks.stretch_load(&mut s);
        assert_eq!(s.load.schedule, before);
    }

    #[test]
    fn eks_alb_registers_targets_through_the_controllers_default_health_checks() {
        let s = scenario("profile: eks-alb\n", "");
        let hc = s.ingress.health_check.expect("eks-alb sets healthCheck");
        assert_eq!((hc.interval, hc.healthy_threshold), (Dur::from_millis(15_000), 2));
        // A scenario's own model or health checks win; other profiles have none.
        assert!(scenario("profile: eks-alb\n", "model: haproxy").ingress.health_check.is_none());
        let own = scenario("profile: eks-alb\n", "healthCheck: {interval: 2s, timeout: 1s}");
        assert_eq!(own.ingress.health_check.map(|hc| hc.interval), Some(Dur::from_millis(2000)));
        assert!(scenario("profile: ingress-nginx\n", "").ingress.health_check.is_none());
        let mut s = scenario("", "model: alb");
        Profile::find("eks-alb").unwrap().apply(&mut s.ingress, &[]);
        assert!(s.ingress.health_check.is_some(), "--profile eks-alb too");
    }

    #[test]
    fn unknown_profiles_name_the_closest() {
        let e = Profile::find("eks-abl").unwrap_err();
        assert!(e.contains("did you mean eks-alb?") && e.contains("ingress-nginx"), "{e}");
    }
}
