//! What to run: targets, request shape, schedule and limits, as one plain struct.
use std::time::Duration;

use crate::ammo::Missile;
use crate::schedule::Schedule;
use crate::target::{Target, TargetError};

/// Default for [`Plan::max_in_flight`]: high enough for any server that answers in under a
/// second at 1,000 rps, low enough that a stalled server cannot exhaust file descriptors.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;
/// Default for [`Plan::timeout`], as in Yandex.Tank.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(11);

/// A complete description of a load run. Build it with [`Plan::new`] and adjust the public
/// fields; [`crate::run`] checks it before sending anything.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Requests go to these in turn (round-robin).
    pub targets: Vec<Target>,
    /// HTTP method, `GET` by default.
    pub method: String,
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    /// Request body (a `Content-Length` header is added).
    pub body: Vec<u8>,
    /// Value of the `Host` header instead of the URL's host (e.g. to hit an ingress by IP).
    pub host: Option<String>,
    pub schedule: Schedule,
    /// Reuse connections (HTTP keep-alive). `false` sends `Connection: close` and opens a new
    /// connection per request.
    pub keepalive: bool,
    /// At most this many requests outstanding (with keep-alive, also the most connections
    /// open); what becomes of a send due while the limit is reached is [`Plan::when_full`].
    pub max_in_flight: usize,
    /// What a send does when it falls due while `max_in_flight` requests are outstanding.
    pub when_full: WhenFull,
    /// Limit for connect plus response, per request.
    pub timeout: Duration,
    /// Skip TLS certificate verification for https targets.
    pub insecure: bool,
    /// Shell commands run at offsets into the run; their start and exit become events.
    pub exec_at: Vec<ExecAt>,
    /// Send only this slice of the schedule (see [`Shard`]); `None` sends all of it.
    pub shard: Option<Shard>,
    /// Requests from a Tank ammo file (see [`crate::ammo`]), sent round-robin to the first
    /// target's server instead of the targets' own requests. Empty: the targets' requests.
    pub ammo: Vec<Missile>,
}

/// What becomes of a send that falls due while `max_in_flight` requests are outstanding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum WhenFull {
    /// It waits for a request to finish and leaves late, counted as `late`, with its latency
    /// still counted from its scheduled instant (as wrk2 and oha's `-q` with latency
    /// correction do). A send that would leave more than the request timeout late is counted
    /// as `dropped` instead, which bounds how far behind its schedule a run can fall. Waiting
    /// sends are the schedule's next offsets, not yet taken from it, so they cost no memory.
    #[default]
    #[value(help = "leave late, once a request finishes (dropped only past --timeout)")]
    Wait,
    /// It is counted as `dropped` at once, never delayed.
    #[value(help = "count it dropped at once, never delayed")]
    Drop,
}

/// Most bytes the requests of an ammo may take once written out (headers repeat on every
/// request of `uri` ammo, so this can exceed the file's size).
pub const MAX_AMMO_REQUEST_BYTES: usize = 256 * 1024 * 1024;

/// One of `count` interleaved slices of a schedule: send k (from 0) belongs to shard
/// `k % count`, so `count` processes, each given its own `index`, together send exactly the
/// schedule, and each of them sends it evenly spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses `I/N` (`0/3`, `1/3`, `2/3`): I from 0 to N-1.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let parsed = text.split_once('/').and_then(|(i, n)| {
            Some(Shard { index: i.trim().parse().ok()?, count: n.trim().parse().ok()? })
        });
        match parsed {
            Some(shard) if shard.count > 0 && shard.index < shard.count => Ok(shard),
            _ => Err(format!(
                "`{text}` must be I/N with N at least 1 and I from 0 to N-1, e.g. 0/3, 1/3, 2/3"
            )),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A shell command to run `at` into the run (see `--exec-at`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExecAt {
    pub at: Duration,
    pub command: String,
}

impl Plan {
    /// A GET plan for `urls` with every default.
    pub fn new<S: AsRef<str>>(urls: &[S], schedule: Schedule) -> Result<Plan, TargetError> {
        let targets = urls.iter().map(|u| Target::parse(u.as_ref())).collect::<Result<_, _>>()?;
        Ok(Plan {
            targets,
            method: "GET".into(),
            headers: Vec::new(),
            body: Vec::new(),
            host: None,
            schedule,
            keepalive: true,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            when_full: WhenFull::Wait,
            timeout: DEFAULT_TIMEOUT,
            insecure: false,
            exec_at: Vec::new(),
            shard: None,
            ammo: Vec::new(),
        })
    }

    /// The send offsets this run uses: the schedule's, or its shard's slice of them.
    pub fn send_offsets(&self) -> impl Iterator<Item = Duration> + '_ {
        let Shard { index, count } = self.shard.unwrap_or(Shard { index: 0, count: 1 });
        self.schedule.offsets().skip(index as usize).step_by(count as usize)
    }

    /// Checks the parts that parsing alone cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.targets.is_empty() {
            return Err("no target URL given".into());
        }
        if self.max_in_flight == 0 {
            return Err("max_in_flight must be at least 1".into());
        }
        if self.schedule.total_requests() == 0 {
            return Err("the schedule sends no requests".into());
        }
        if self.timeout.is_zero() {
            return Err("the timeout must be greater than 0".into());
        }
        if self.method.is_empty() || !self.method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("method `{}` must be upper-case letters, e.g. GET", self.method));
        }
        let headers: usize = self.headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
        let ammo_bytes = self.ammo.iter().map(|m| m.size() + headers).sum::<usize>();
        if ammo_bytes > MAX_AMMO_REQUEST_BYTES {
            return Err(format!(
                "the ammo's {} requests take more than {} MiB once written out; use fewer \
                 distinct requests (they are sent round-robin) or fewer headers",
                self.ammo.len(),
                MAX_AMMO_REQUEST_BYTES >> 20
            ));
        }
        for exec in &self.exec_at {
            if exec.at > self.schedule.duration() {
                return Err(format!(
                    "--exec-at {}s is after the end of the schedule ({}s)",
                    exec.at.as_secs_f64(),
                    self.schedule.duration().as_secs_f64()
                ));
            }
        }
        Ok(())
    }
}
