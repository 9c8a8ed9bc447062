//! A drain cut short while traffic still arrives: the load balancer was still routing to the pod
//! when the grace period (or `max`) forced the servers to stop, and requests after this point are
//! refused or reset. This cannot be fixed from inside the pod, only by a longer grace period, so
//! it is said loudly, with the numbers needed to size the grace period.
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::duration::seconds;

/// How far back the traffic counted in the warning goes.
pub const WINDOW: Duration = Duration::from_secs(1);

/// What one sample of the socket table showed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    /// Connections that were not there at the previous sample (or waiting to be accepted).
    pub new_connections: u32,
    /// Open connections that received bytes since the previous sample: new requests, mostly.
    pub requests: u32,
}

impl Activity {
    /// True if the sample showed anything at all.
    pub fn any(self) -> bool {
        self.new_connections > 0 || self.requests > 0
    }
}

/// The activity of the last [`WINDOW`].
#[derive(Debug, Default)]
pub struct Recent {
    samples: VecDeque<(Instant, Activity)>,
}

impl Recent {
    /// Records a sample taken at `now` and forgets those older than the window.
    pub fn record(&mut self, now: Instant, activity: Activity) {
        self.samples.push_back((now, activity));
        while self
            .samples
            .front()
            .is_some_and(|(at, _)| now.saturating_duration_since(*at) > WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// The activity of the last window, added up.
    pub fn total(&self) -> Activity {
        self.samples.iter().fold(Activity::default(), |sum, (_, a)| Activity {
            new_connections: sum.new_connections.saturating_add(a.new_connections),
            requests: sum.requests.saturating_add(a.requests),
        })
    }
}

/// The figures of a drain that ended at its limit while traffic still came.
#[derive(Debug, Clone, PartialEq)]
pub struct CutShort {
    /// What ended it: `max` or `deadline`.
    pub reason: &'static str,
    pub drain: Duration,
    pub budget: Duration,
    pub last_second: Activity,
}

impl CutShort {
    /// The warning, with the numbers and what to do.
    pub fn warning(&self) -> String {
        let remedy = if self.reason == "max" {
            "Drop the drain's max= (the default drains as long as the grace period allows) or \
             raise it above the load balancer's deregistration time"
        } else {
            "Raise terminationGracePeriodSeconds and --grace-period above the load balancer's \
             deregistration time plus the longest request"
        };
        format!(
            "drain cut short at its {} after {}s (budget {}s) with traffic still arriving: {} new \
             connections and {} requests on open connections in the last {}s. The load balancer \
             was still routing to this pod; requests it sends from now on are refused. {remedy}",
            self.reason,
            seconds(self.drain),
            seconds(self.budget),
            self.last_second.new_connections,
            self.last_second.requests,
            WINDOW.as_secs(),
        )
    }

    /// Fields for the log line.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("reason", self.reason.into()),
            ("seconds", seconds(self.drain)),
            ("budget", seconds(self.budget)),
            ("new_connections_last_second", self.last_second.new_connections.to_string()),
            ("requests_last_second", self.last_second.requests.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_second_is_counted() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut recent = Recent::default();
        recent.record(at(0), Activity { new_connections: 5, requests: 1 });
        recent.record(at(600), Activity { new_connections: 1, requests: 2 });
        recent.record(at(1500), Activity { new_connections: 0, requests: 3 });
        assert_eq!(recent.total(), Activity { new_connections: 1, requests: 5 });
        let cut = CutShort {
            reason: "deadline",
            drain: Duration::from_secs(23),
            budget: Duration::from_secs(23),
            last_second: recent.total(),
        };
        let warning = cut.warning();
        assert!(warning.contains("after 23.000s (budget 23.000s)"), "{warning}");
        assert!(warning.contains("1 new connections and 5 requests"), "{warning}");
        assert!(warning.contains("Raise terminationGracePeriodSeconds"), "{warning}");
        let at_max = CutShort { reason: "max", ..cut };
        assert!(at_max.warning().contains("Drop the drain's max="), "{}", at_max.warning());
    }
}
