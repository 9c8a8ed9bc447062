//! What to run: targets, request shape, schedule and limits, as one plain struct.
use std::time::Duration;

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
    /// At most this many requests outstanding; a send due while the limit is reached is
    /// counted as `dropped`, never delayed.
    pub max_in_flight: usize,
    /// Limit for connect plus response, per request.
    pub timeout: Duration,
    /// Skip TLS certificate verification for https targets.
    pub insecure: bool,
    /// Shell commands run at offsets into the run; their start and exit become events.
    pub exec_at: Vec<ExecAt>,
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
            timeout: DEFAULT_TIMEOUT,
            insecure: false,
            exec_at: Vec::new(),
        })
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
