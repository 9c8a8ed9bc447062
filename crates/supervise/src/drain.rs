//! The drain: the wait between "shutdown begins" and "stop the servers", during which the load
//! balancer is still learning that the pod is going away.
//!
//! `fixed:5s` waits a fixed time. `auto` watches the kernel's socket table for the watched ports
//! and ends once nothing has happened for `quiet`. Activity is any of:
//! - a connection to a watched port that was not there at the previous sample (new connection);
//! - a connection waiting in a listener's accept queue;
//! - more bytes received on a connection (`tcpi_bytes_received` from `sock_diag`, which also sees
//!   new requests on keep-alive connections), or a changed receive queue when only
//!   `/proc/net/tcp` is available.
//!
//! Quiet is not counted for a window in which lameduck itself was not scheduled, or waited
//! for a CPU ([`crate::stall`]): silence it could not observe is no evidence.
//!
//! The quiet needed grows with the traffic's own silences: it is at least `adapt` times the
//! longest gap between activity seen so far, in the kernel's record of the last minute
//! ([`crate::traffic_gaps`]) and during the drain. One second of silence proves nothing on a
//! pod that gets a request every two seconds. A gap that regular traffic has since shown to be
//! an exception, such as the wait for a new target's health checks before an ALB sends it
//! anything, stops counting (see [`crate::traffic_gaps`]).
//!
//! The drain waits at least `min` and at most `max`, and never past the deadline it is given.
//! By default there is no `max` of its own: behind a load balancer that takes 20 or 40 s to
//! stop routing to a deleted pod (an AWS ALB's deregistration), any fixed cap shorter than that
//! stops the servers under live traffic. The drain ends on quiet, or at the deadline it is given:
//! the grace period less the time the stops need ([`STOP_RESERVE`] at least). A drain that ends
//! at its limit with traffic still arriving is reported ([`crate::cut_short`]).
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::cut_short::{Activity, CutShort, Recent};
use crate::duration;
use crate::netstat::{self, TcpSocket, TCP_LISTEN};
use crate::stall::Observer;
use crate::traffic_gaps::{self, TrafficGaps};
pub use lameduck_core::drain::{DrainSpec, STOP_RESERVE};

/// How often the socket table is sampled during an auto drain.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(100);
/// The latest instant a drain may end: `reserve` (at least [`STOP_RESERVE`]) before `deadline`,
/// and not before `now`.
pub fn cap(now: Instant, deadline: Instant, reserve: Duration) -> Instant {
    deadline.checked_sub(reserve.max(STOP_RESERVE)).unwrap_or(now).max(now)
}

/// Why a drain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainEnd {
    /// The fixed time passed.
    Elapsed,
    /// No activity for the quiet needed.
    Quiet,
    /// `max` reached while traffic still came in.
    Max,
    /// The shutdown deadline left no more time.
    Deadline,
    /// A second shutdown signal asked to skip it.
    Skipped,
}

impl DrainEnd {
    /// Name for the log.
    pub fn name(self) -> &'static str {
        match self {
            DrainEnd::Elapsed => "elapsed",
            DrainEnd::Quiet => "quiet",
            DrainEnd::Max => "max",
            DrainEnd::Deadline => "deadline",
            DrainEnd::Skipped => "skipped",
        }
    }
}

/// A drain in progress.
#[derive(Debug)]
pub struct Drain {
    spec: DrainSpec,
    ports: Vec<u16>,
    started: Instant,
    /// The drain ends by this instant whatever happens.
    cap: Instant,
    /// Observed time without activity since the last activity (stalls not counted).
    quiet_observed: Duration,
    /// The gaps between activity known so far (kernel history, then the drain's own).
    gaps: TrafficGaps,
    /// The longest of them that counts, as of the latest sample.
    longest_gap: Duration,
    /// Silence from the latest activity before the drain to its start: part of the first gap
    /// the drain sees end, which began before it.
    silence_before: Duration,
    observer: Observer,
    /// Connection identity → bytes received (or receive queue) at the previous sample.
    seen: HashMap<(u16, String), u64>,
    /// Count of activity events, for the log.
    events: u64,
    /// Activity of the last second, for the warning of a drain cut short.
    recent: Recent,
}

impl Drain {
    /// Starts a drain at `now` that ends by `cap` at the latest.
    pub fn start(spec: DrainSpec, ports: Vec<u16>, now: Instant, cap: Instant) -> Drain {
        let mut drain = Drain {
            spec,
            ports,
            started: now,
            cap,
            quiet_observed: Duration::ZERO,
            gaps: TrafficGaps::default(),
            longest_gap: Duration::ZERO,
            silence_before: Duration::ZERO,
            observer: Observer::new(now, SAMPLE_INTERVAL),
            seen: HashMap::new(),
            events: 0,
            recent: Recent::default(),
        };
        if matches!(drain.spec, DrainSpec::Auto { .. }) {
            // The first sample is the baseline: connections already open are not "new".
            if let Ok(sockets) = netstat::tcp_sockets_with_time_wait() {
                drain.observe(&sockets, now);
                if let Some(mut traffic) = traffic_gaps::recent_traffic(&sockets, &drain.ports, now)
                {
                    drain.longest_gap = traffic.longest_gap(now);
                    drain.silence_before = traffic.since_latest;
                    drain.gaps = traffic.gaps;
                }
            }
            drain.events = 0;
            drain.recent = Recent::default();
            drain.quiet_observed = Duration::ZERO;
        }
        drain
    }

    /// Samples the socket table (auto drain) and says whether the drain is over.
    pub fn poll(&mut self, now: Instant) -> Option<DrainEnd> {
        if matches!(self.spec, DrainSpec::Auto { .. }) {
            if let Ok(sockets) = netstat::tcp_sockets() {
                let credit = self.observer.credit(now);
                if self.observe(&sockets, now).any() {
                    let gap = std::mem::take(&mut self.silence_before) + self.quiet_observed;
                    self.gaps.record(gap, now);
                    self.quiet_observed = Duration::ZERO;
                } else {
                    self.quiet_observed += credit;
                }
                // Until the drain sees activity, the silence before it counts as a gap.
                let silence = self.silence_before + self.quiet_observed;
                self.longest_gap = self.gaps.longest(now, silence).max(self.silence_before);
            }
        }
        decide(&self.spec, self.started, self.quiet_observed, self.quiet_needed(), self.cap, now)
    }

    /// Fields of the `drain begin` log line.
    pub fn begin_fields(&self) -> Vec<(&'static str, String)> {
        let ports: Vec<String> = self.ports.iter().map(u16::to_string).collect();
        let mut fields = vec![
            ("mode", self.spec.to_string()),
            ("ports", ports.join(",")),
            ("budget", duration::seconds(self.cap.saturating_duration_since(self.started))),
        ];
        fields.extend(self.gap_fields());
        fields
    }

    /// Fields of the `drain done` log line, for a drain that ended at `now` for `end`.
    pub fn done_fields(&self, end: DrainEnd, now: Instant) -> Vec<(&'static str, String)> {
        let (unobserved, stalls) = self.unobserved();
        let mut fields = vec![
            ("reason", end.name().into()),
            ("seconds", duration::seconds(self.elapsed(now))),
            ("activity_samples", self.events.to_string()),
            ("unobserved_seconds", duration::seconds(unobserved)),
            ("stalls", stalls.to_string()),
        ];
        fields.extend(self.gap_fields());
        fields
    }

    /// The auto drain's longest gap known and the quiet it calls for.
    fn gap_fields(&self) -> Vec<(&'static str, String)> {
        match self.spec {
            DrainSpec::Auto { .. } => vec![
                ("longest_gap", duration::seconds(self.longest_gap)),
                ("quiet_needed", duration::seconds(self.quiet_needed())),
            ],
            DrainSpec::Fixed(_) => Vec::new(),
        }
    }

    /// The silence that ends an auto drain: `quiet`, or `adapt` times the longest gap.
    pub fn quiet_needed(&self) -> Duration {
        match self.spec {
            DrainSpec::Auto { quiet, adapt, .. } => quiet.max(self.longest_gap * adapt),
            DrainSpec::Fixed(_) => Duration::ZERO,
        }
    }

    /// Records one sample taken at `now`: what it shows since the previous one.
    fn observe(&mut self, sockets: &[TcpSocket], now: Instant) -> Activity {
        let mut activity = Activity::default();
        let mut current = HashMap::with_capacity(self.seen.len());
        for socket in sockets.iter().filter(|s| self.ports.contains(&s.local_port)) {
            if socket.state == TCP_LISTEN {
                // Connections waiting to be accepted are new ones, not yet in the table.
                activity.new_connections =
                    activity.new_connections.saturating_add(socket.receive_queue);
                continue;
            }
            if !socket.is_connection() {
                continue;
            }
            let key = (socket.local_port, socket.remote.clone());
            let counter = socket.bytes_received.unwrap_or(u64::from(socket.receive_queue));
            match self.seen.get(&key) {
                None => activity.new_connections = activity.new_connections.saturating_add(1),
                Some(&previous) if previous != counter && counter != 0 => {
                    activity.requests = activity.requests.saturating_add(1)
                }
                Some(_) => {}
            }
            current.insert(key, counter);
        }
        self.seen = current;
        if activity.any() {
            self.events += 1;
        }
        self.recent.record(now, activity);
        activity
    }

    /// The figures for a warning if the drain ended (`end`, at `now`) at its limit while the
    /// traffic had not gone quiet; `None` if it ended any other way.
    pub fn cut_short(&self, end: DrainEnd, now: Instant) -> Option<CutShort> {
        let reason = match end {
            DrainEnd::Max | DrainEnd::Deadline => end.name(),
            DrainEnd::Quiet | DrainEnd::Elapsed | DrainEnd::Skipped => return None,
        };
        let still_arriving = matches!(self.spec, DrainSpec::Auto { .. })
            && self.quiet_observed < self.quiet_needed();
        still_arriving.then(|| CutShort {
            reason,
            drain: self.elapsed(now),
            budget: self.cap.saturating_duration_since(self.started),
            last_second: self.recent.total(),
        })
    }

    /// When to look again.
    pub fn next_wakeup(&self, now: Instant) -> Duration {
        match self.spec {
            DrainSpec::Fixed(duration) => {
                (self.started + duration).min(self.cap).saturating_duration_since(now)
            }
            DrainSpec::Auto { .. } => SAMPLE_INTERVAL,
        }
    }

    /// Time not counted as quiet because lameduck was starved (see [`crate::stall`]), and
    /// the number of sampling windows in which lameduck itself was not scheduled in time.
    fn unobserved(&self) -> (Duration, u64) {
        (self.observer.unobserved, self.observer.stalls)
    }

    /// Time since the drain started.
    pub fn elapsed(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.started)
    }
}

/// The drain's decision, separated from the sampling so that it can be tested on its own.
fn decide(
    spec: &DrainSpec,
    started: Instant,
    quiet_observed: Duration,
    quiet_needed: Duration,
    cap: Instant,
    now: Instant,
) -> Option<DrainEnd> {
    let elapsed = now.saturating_duration_since(started);
    let outcome = match spec {
        DrainSpec::Fixed(duration) if elapsed >= *duration => Some(DrainEnd::Elapsed),
        DrainSpec::Fixed(_) => None,
        DrainSpec::Auto { max: Some(max), .. } if elapsed >= *max => Some(DrainEnd::Max),
        DrainSpec::Auto { min, .. } if elapsed >= *min && quiet_observed >= quiet_needed => {
            Some(DrainEnd::Quiet)
        }
        DrainSpec::Auto { .. } => None,
    };
    outcome.or_else(|| (now >= cap).then_some(DrainEnd::Deadline))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(
            "fixed:5s".parse::<DrainSpec>().unwrap(),
            DrainSpec::Fixed(Duration::from_secs(5))
        );
        assert_eq!("none".parse::<DrainSpec>().unwrap(), DrainSpec::Fixed(Duration::ZERO));
        let auto = "auto:quiet=500ms,max=20s,adapt=0".parse::<DrainSpec>().unwrap();
        assert_eq!(
            auto,
            DrainSpec::Auto {
                quiet: Duration::from_millis(500),
                min: Duration::ZERO,
                max: Some(Duration::from_secs(20)),
                adapt: 0,
            }
        );
        assert_eq!(auto.to_string().parse::<DrainSpec>().unwrap(), auto);
        assert!("auto:min=5s,max=1s".parse::<DrainSpec>().is_err());
        // The default has no max of its own: it drains until the deadline it is given.
        assert_eq!("auto".parse::<DrainSpec>().unwrap(), DrainSpec::default());
        assert_eq!(DrainSpec::default().max(), None);
        let text = DrainSpec::default().to_string();
        assert!(text.contains("max=deadline"), "{text}");
        assert_eq!(text.parse::<DrainSpec>().unwrap(), DrainSpec::default());
        assert_eq!(
            "auto:max=5s,max=deadline,min=60s".parse::<DrainSpec>().unwrap().max(),
            None,
            "min has no max to exceed"
        );
        assert!("sleep:5".parse::<DrainSpec>().is_err());
        let error = "auto:adapt=2x".parse::<DrainSpec>().unwrap_err();
        assert!(error.to_string().contains("adapt=2x is not a whole number"), "{error}");
    }

    #[test]
    fn auto_waits_for_quiet_between_min_and_max() {
        let spec = DrainSpec::Auto {
            quiet: Duration::from_secs(1),
            min: Duration::from_secs(2),
            max: Some(Duration::from_secs(10)),
            adapt: 2,
        };
        let t0 = Instant::now();
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        let cap = at(100.0);
        let secs = Duration::from_secs_f64;
        let needed = secs(1.0);
        // Quiet from the start, but min not reached.
        assert_eq!(decide(&spec, t0, secs(1.5), needed, cap, at(1.5)), None);
        assert_eq!(decide(&spec, t0, secs(2.0), needed, cap, at(2.0)), Some(DrainEnd::Quiet));
        // Activity at 4.5 s keeps it going until 5.5 s.
        assert_eq!(decide(&spec, t0, secs(0.5), needed, cap, at(5.0)), None);
        assert_eq!(decide(&spec, t0, secs(1.0), needed, cap, at(5.5)), Some(DrainEnd::Quiet));
        // Silence during a stall is not quiet: 3 s since the last activity, 0.4 s observed.
        assert_eq!(decide(&spec, t0, secs(0.4), needed, cap, at(6.0)), None);
        // Traffic with 2 s gaps needs 4 s of quiet.
        assert_eq!(decide(&spec, t0, secs(3.0), secs(4.0), cap, at(6.0)), None);
        assert_eq!(decide(&spec, t0, secs(4.0), secs(4.0), cap, at(7.0)), Some(DrainEnd::Quiet));
        // Constant activity ends at max; the deadline cap ends it sooner.
        assert_eq!(decide(&spec, t0, secs(0.1), needed, cap, at(10.0)), Some(DrainEnd::Max));
        assert_eq!(
            decide(&spec, t0, secs(0.1), needed, at(3.0), at(3.0)),
            Some(DrainEnd::Deadline)
        );
        // Without a max, constant activity goes on until the deadline; quiet still ends it.
        let until_deadline = DrainSpec::Auto {
            quiet: Duration::from_secs(1),
            min: Duration::from_secs(2),
            max: None,
            adapt: 2,
        };
        assert_eq!(decide(&until_deadline, t0, secs(0.1), needed, cap, at(40.0)), None);
        assert_eq!(
            decide(&until_deadline, t0, secs(0.1), needed, cap, at(100.0)),
            Some(DrainEnd::Deadline)
        );
        assert_eq!(
            decide(&until_deadline, t0, secs(1.0), needed, cap, at(2.0)),
            Some(DrainEnd::Quiet)
        );
    }

    #[test]
    fn a_drain_that_ends_at_its_limit_before_quiet_is_cut_short() {
        let now = Instant::now();
        let cap = now + Duration::from_secs(23);
        let mut drain = Drain::start(DrainSpec::default(), vec![], now, cap);
        drain.recent.record(cap, Activity { new_connections: 2, requests: 7 });
        let cut = drain.cut_short(DrainEnd::Deadline, cap).expect("traffic had not gone quiet");
        assert_eq!(cut.budget, Duration::from_secs(23));
        assert_eq!(cut.last_second, Activity { new_connections: 2, requests: 7 });
        assert_eq!(drain.cut_short(DrainEnd::Quiet, cap), None);
        drain.quiet_observed = drain.quiet_needed();
        assert_eq!(drain.cut_short(DrainEnd::Deadline, cap), None, "quiet, just at the limit");
        let fixed = Drain::start(DrainSpec::Fixed(Duration::from_secs(5)), vec![], now, cap);
        assert_eq!(fixed.cut_short(DrainEnd::Deadline, cap), None, "a fixed drain sees nothing");
    }

    #[test]
    fn the_quiet_needed_follows_the_longest_gap() {
        let spec = |adapt| DrainSpec::Auto {
            quiet: Duration::from_secs(1),
            min: Duration::ZERO,
            max: None,
            adapt,
        };
        let now = Instant::now();
        let cap = now + Duration::from_secs(60);
        let mut drain = Drain::start(spec(2), vec![], now, cap);
        drain.longest_gap = Duration::from_millis(300);
        assert_eq!(drain.quiet_needed(), Duration::from_secs(1));
        drain.longest_gap = Duration::from_millis(2500);
        assert_eq!(drain.quiet_needed(), Duration::from_secs(5));
        let mut fixed_factor = Drain::start(spec(0), vec![], now, cap);
        fixed_factor.longest_gap = Duration::from_secs(5);
        assert_eq!(fixed_factor.quiet_needed(), Duration::from_secs(1));
    }

    #[test]
    fn the_first_gap_includes_the_silence_before_the_drain() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let now = Instant::now();
        let mut drain =
            Drain::start(DrainSpec::default(), vec![port], now, now + Duration::from_secs(60));
        // The latest request came 0.5 s before the drain, the next 1.5 s into it.
        drain.silence_before = Duration::from_millis(500);
        drain.quiet_observed = Duration::from_millis(1500);
        let _client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        assert_eq!(drain.poll(Instant::now()), None);
        assert_eq!(drain.longest_gap, Duration::from_secs(2));
        assert_eq!(drain.quiet_needed(), Duration::from_secs(4));
        // Counted once: the next gap starts at that request.
        drain.quiet_observed = Duration::from_millis(300);
        let _second = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        drain.poll(Instant::now());
        assert_eq!(drain.longest_gap, Duration::from_secs(2));
    }
}
