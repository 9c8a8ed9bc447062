//! Open-loop HTTP load generator with a per-second timeline of status codes and network errors.
//!
//! Requests leave at the instants the [`Schedule`] dictates, whatever the server does, and
//! latency is measured from those *intended* instants, so a stalling server shows up as
//! latency and errors rather than as a quietly slower sender. Every outcome has a name: each
//! exact HTTP status, and `refused`, `reset`, `closed`, `timeout`, `aborted`, `other:<errno>`
//! for requests that got no complete response. Nothing is retried.
//!
//! # Library use
//!
//! ```no_run
//! use lameduck_load::{run, Plan, RunHooks, Schedule, StopHandle};
//!
//! let schedule = Schedule::parse("line(1,100,10s) const(100,20s)")?;
//! let mut plan = Plan::new(&["http://127.0.0.1:8080/"], schedule)?;
//! plan.max_in_flight = 256;
//! let stop = StopHandle::new(); // call stop.stop() from any thread to end early
//! let hooks = RunHooks {
//!     on_start: Some(Box::new(|start| println!("t=0 is {start:?}"))),
//!     on_second: Some(Box::new(|s| println!("t={} sent={} failed={}", s.t, s.sent, s.failed))),
//!     stop: Some(stop.clone()),
//!     ..RunHooks::default()
//! };
//! let report = run(&plan, hooks)?;
//! println!("{}", serde_json::to_string(&report)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`run`] blocks the calling thread (it creates its own single-threaded runtime), so run it on
//! a thread of its own when you need to do other work meanwhile. The [`Report`] it returns is
//! exactly what `lameduck load --format json` prints.
pub mod ammo;
pub mod cli;
mod client;
pub mod durations;
mod engine;
mod exec;
mod exit;
#[doc(hidden)]
pub mod fuzzing;
mod hooks;
mod insecure;
pub mod live;
mod outcome;
mod plan;
mod preconnect;
mod prepare;
mod report;
mod response;
mod schedule;
pub mod tank;
mod target;
pub mod thresholds;
mod timeline;
mod timer;
pub mod windows;

pub use exec::ExecLine;
pub use hooks::{
    EventLog, OnEvent, OnExecOutput, OnRequest, OnSecond, RequestRecord, RunHooks, StopHandle,
};
pub use outcome::{NetError, Outcome};
pub use plan::{ExecAt, Plan, Shard, WhenFull, DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT};
pub use report::{Event, ExecResult, LatencyMs, Report, SecondRecord};
pub use schedule::{Schedule, ScheduleError, Segment};
pub use target::{Target, TargetError};

/// Why a run could not happen at all. Failed *requests* are never errors: they are counted in
/// the [`Report`].
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The plan is inconsistent (no targets, zero limits, exec-at after the end...).
    #[error("invalid load plan: {0}")]
    Plan(String),
    /// A target URL could not be used (bad TLS name, host that does not resolve).
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The runtime or timer could not be created (e.g. out of file descriptors).
    #[error("cannot start the load engine: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Runs `plan` to completion (or until `hooks.stop` fires) in the calling thread and returns
/// what it measured.
pub fn run(plan: &Plan, hooks: RunHooks<'_>) -> Result<Report, LoadError> {
    plan.validate().map_err(LoadError::Plan)?;
    raise_open_file_limit(plan.max_in_flight);
    let prepared = prepare::prepare(plan)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(LoadError::Runtime)?;
    runtime.block_on(engine::drive(plan, &prepared, hooks)).map_err(LoadError::Runtime)
}

/// Each outstanding request holds a socket, and the usual soft limit of 1024 open files would
/// turn a large `max_in_flight` into `other:EMFILE` failures that are the generator's fault,
/// not the server's. Raise the soft limit towards the hard one when needed; if that is not
/// allowed the run goes on and such failures stay visible under their errno name.
fn raise_open_file_limit(max_in_flight: usize) {
    let wanted = max_in_flight as libc::rlim_t + 64;
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit with a valid, initialised struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
