//! Pod termination as the kubelet does it, following `pkg/kubelet/kuberuntime` (see
//! docs/lab.md for the sources):
//!
//! 1. the grace period, in whole seconds, starts at deletion (the caller publishes the endpoint
//!    removal at the same instant);
//! 2. every container, main or native sidecar, is stopped concurrently (in a seeded random
//!    order), as `killContainersWithSyncResult` runs one `killContainer` per container:
//! 3. its preStop hook runs first (`exec` inside the container, or `sleep`), unless the grace
//!    period is 0; the kubelet waits for it at most the grace period and subtracts the whole
//!    seconds it took (`executePreStopHook`); a hook still running then is abandoned;
//! 4. a native sidecar then waits for its turn (`terminationOrdering.waitForTurn`): every main
//!    container, then every sidecar declared after it, must have exited — for at most the
//!    grace left, whose whole seconds waited are subtracted too;
//! 5. the stop signal (`lifecycle.stopSignal` when the API server kept it, else the image's
//!    STOPSIGNAL) goes to PID 1 with what is left, at least `minimumGracePeriodInSeconds` = 2;
//! 6. what is still running after that gets SIGKILL (killing PID 1 of a PID namespace kills
//!    every process in it).
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::events::EventLog;
use crate::pod::{exec_spec, ContainerRt, LabEnv, PodRt};
use crate::procwatch::{self, Watched};
use crate::rng::Rng;
use crate::scenario::{images, ContainerSpec};
use crate::signals;
use crate::sys::{self, reaper, spawn};
use lameduck_core::schema::EventKind;

/// `minimumGracePeriodInSeconds`: the least time between stop signal and SIGKILL.
const MINIMUM_GRACE_PERIOD_SECONDS: i64 = 2;

pub use lameduck_core::schema::{ContainerPhases, PodPhases};

/// Which containers must have exited before a container gets its stop signal, as
/// `newTerminationOrdering` (kuberuntime_termination_order.go) builds it: a native sidecar
/// waits for every main container and for the sidecar declared right after it.
struct TerminationOrder {
    terminated: Vec<watch::Sender<bool>>,
    prereqs: Vec<Vec<usize>>,
}

impl TerminationOrder {
    fn new(pod: &PodRt) -> Self {
        let terminated: Vec<watch::Sender<bool>> = pod
            .containers
            .iter()
            // A container that is not running is not waited for.
            .map(|c| watch::channel(c.exited().is_some()).0)
            .collect();
        let mains: Vec<usize> =
            (0..pod.containers.len()).filter(|&i| !pod.containers[i].spec.is_sidecar()).collect();
        let mut prereqs = vec![Vec::new(); pod.containers.len()];
        let mut later_sidecar: Option<usize> = None;
        for i in (0..pod.containers.len()).rev().filter(|&i| pod.containers[i].spec.is_sidecar()) {
            prereqs[i] = mains.iter().copied().chain(later_sidecar).collect();
            later_sidecar = Some(i);
        }
        Self { terminated, prereqs }
    }

    /// Waits until every prerequisite of container `index` has exited, for at most
    /// `grace_seconds`; returns the seconds waited (`waitForTurn`).
    async fn wait_for_turn(&self, index: usize, grace_seconds: i64) -> f64 {
        if grace_seconds <= 0 {
            return 0.0;
        }
        let start = Instant::now();
        let all = async {
            for &p in &self.prereqs[index] {
                let _ = self.terminated[p].subscribe().wait_for(|done| *done).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(grace_seconds as u64), all).await;
        start.elapsed().as_secs_f64()
    }

    fn container_terminated(&self, index: usize) {
        self.terminated[index].send_replace(true);
    }

    fn waits(&self, index: usize) -> bool {
        !self.prereqs[index].is_empty()
    }
}

/// Terminates `pod`, deleted at `deleted` with a grace period of `grace_seconds`, and returns
/// its phases; an error if a container's stop task failed (a panic in the lab).
pub async fn terminate(
    pod: Arc<PodRt>,
    deleted: Instant,
    grace_seconds: u64,
    rng: &mut Rng,
    env: LabEnv,
    log: Arc<EventLog>,
) -> Result<PodPhases, String> {
    let watched: Vec<Watched> =
        pod.containers.iter().filter_map(|c| Watched::new(&c.spec.name, c.pid)).collect();
    let watching = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (name, log, done) = (pod.name.clone(), log.clone(), watching.clone());
        std::thread::Builder::new()
            .name("procwatch".into())
            .spawn(move || procwatch::watch(name, watched, log, done))
            .ok()
    };
    let order = Arc::new(TerminationOrder::new(&pod));
    let mut indices: Vec<usize> = (0..pod.containers.len()).collect();
    rng.shuffle(&mut indices);
    let mut tasks = Vec::new();
    for i in indices {
        let (pod, env, log, order) = (pod.clone(), env.clone(), log.clone(), order.clone());
        let grace = grace_seconds as i64;
        tasks.push(tokio::spawn(async move {
            kill_container(&pod, i, grace, &order, &env, &log).await
        }));
    }
    let stopped =
        crate::panics::join_all(tasks, &format!("pod {}: stop a container", pod.name)).await;
    let mut phases = stopped?;
    phases.sort_by_key(|p| pod.containers.iter().position(|c| c.spec.name == p.container));
    watching.store(true, Ordering::SeqCst);
    if let Some(w) = watcher {
        let _ = tokio::task::spawn_blocking(move || w.join()).await;
    }
    let gone = pod
        .containers
        .iter()
        .filter_map(|c| c.exited())
        .map(|e| e.at)
        .max()
        .unwrap_or_else(Instant::now);
    log.record_at(
        gone,
        &pod.name,
        "",
        EventKind::Gone,
        format!(
            "all containers exited {:.3}s after deletion",
            gone.duration_since(deleted).as_secs_f64()
        ),
    );
    Ok(PodPhases {
        pod: pod.name.clone(),
        deleted_ms: log.ms(deleted),
        endpoint_removed_ms: None,
        gone_ms: log.ms(gone),
        termination_seconds: gone.saturating_duration_since(deleted).as_secs_f64(),
        containers: phases,
    })
}

/// One container's `killContainer`: preStop, its turn (sidecars), stop signal, SIGKILL.
async fn kill_container(
    pod: &PodRt,
    index: usize,
    mut grace: i64,
    order: &TerminationOrder,
    env: &LabEnv,
    log: &EventLog,
) -> ContainerPhases {
    let c = &pod.containers[index];
    let name = &c.spec.name;
    let mut phases = ContainerPhases { container: name.clone(), ..Default::default() };
    let hook = c.spec.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref());
    if let (Some(hook), true, None) = (hook, grace > 0, c.exited()) {
        let start = Instant::now();
        phases.prestop_start_ms = Some(log.ms(start));
        let outcome = run_hook(pod, c, hook, Duration::from_secs(grace as u64), env, log).await;
        phases.prestop_end_ms = Some(log.ms(Instant::now()));
        // `int64(metav1.Now().Sub(start.Time).Seconds())`: whole seconds, truncated.
        grace -= start.elapsed().as_secs() as i64;
        log.record(
            &pod.name,
            name,
            EventKind::PrestopEnd,
            format!("{outcome}; {}s of grace left", grace.max(0)),
        );
    } else if hook.is_some() && grace <= 0 {
        log.record(
            &pod.name,
            name,
            EventKind::PrestopSkipped,
            "grace period 0: the kubelet skips the preStop hook",
        );
    }
    if grace > 0 && order.waits(index) {
        let waited = order.wait_for_turn(index, grace).await;
        grace -= waited as i64;
        log.record(
            &pod.name,
            name,
            EventKind::Turn,
            format!("native sidecar: waited {waited:.3}s for the main containers and later sidecars to exit; {}s of grace left", grace.max(0)),
        );
    }
    // "always give containers a minimal shutdown window to avoid unnecessary SIGKILLs"
    let grace = Duration::from_secs(grace.max(MINIMUM_GRACE_PERIOD_SECONDS) as u64);
    if c.exited().is_none() {
        stop_container(pod, c, grace, &mut phases, log).await;
    }
    let exit = c.wait_exit().await;
    order.container_terminated(index);
    phases.exit_ms = Some(log.ms(exit.at));
    phases.exit = Some(exit.describe());
    phases
}

/// The runtime's StopContainer: the stop signal, `grace` to exit, then SIGKILL.
async fn stop_container(
    pod: &PodRt,
    c: &ContainerRt,
    grace: Duration,
    phases: &mut ContainerPhases,
    log: &EventLog,
) {
    let name = &c.spec.name;
    let sig = signals::name(c.stop_signal);
    phases.signal = Some(sig.clone());
    let at = Instant::now();
    phases.signal_ms = Some(log.ms(at));
    let sent = sys::kill(c.pid, c.stop_signal);
    log.record_at(
        at,
        &pod.name,
        name,
        EventKind::Signal,
        format!(
            "{sig} → PID 1 (lab pid {}){}; {}s before SIGKILL",
            c.pid,
            sent.err().map(|e| format!(" failed: {e}")).unwrap_or_default(),
            grace.as_secs()
        ),
    );
    if tokio::time::timeout(grace, c.wait_exit()).await.is_err() {
        let at = Instant::now();
        phases.sigkill_ms = Some(log.ms(at));
        log.record_at(
            at,
            &pod.name,
            name,
            EventKind::Sigkill,
            format!(
                "grace period over: SIGKILL → every process in the container (PID 1 = lab pid {})",
                c.pid
            ),
        );
        let _ = sys::kill(c.pid, libc::SIGKILL);
    }
}

/// Runs a preStop hook until it ends or `limit` passes (`executePreStopHook`); returns what
/// happened. A hook still running then is abandoned, not killed.
async fn run_hook(
    pod: &PodRt,
    c: &ContainerRt,
    hook: &crate::scenario::Handler,
    limit: Duration,
    env: &LabEnv,
    log: &EventLog,
) -> String {
    if let Some(sleep) = &hook.sleep {
        log.record(
            &pod.name,
            &c.spec.name,
            EventKind::PrestopStart,
            format!("sleep {}s (kubelet sleep action)", sleep.seconds),
        );
        let wanted = Duration::from_secs(sleep.seconds);
        tokio::time::sleep(wanted.min(limit)).await;
        return if wanted > limit {
            "sleep cut short by the end of the grace period".into()
        } else {
            "sleep done".into()
        };
    }
    let Some(exec) = &hook.exec else { return "no action".into() };
    log.record(
        &pod.name,
        &c.spec.name,
        EventKind::PrestopStart,
        format!("exec {}", shell_words(&exec.command)),
    );
    let (pid1, spec, command, env, pod_name) =
        (c.pid, c.spec.clone(), exec.command.clone(), env.clone(), pod.name.clone());
    let log_path = c.log_path.with_extension("prestop.log");
    // Spawning reads a pipe until the exec: keep it off the async workers.
    let started = tokio::task::spawn_blocking(move || {
        start_exec_hook(pid1, &spec, &command, &env, &pod_name, &log_path)
    })
    .await;
    let pid = match started {
        Ok(Ok(pid)) => pid,
        Ok(Err(e)) => return format!("FailedPreStopHook: {e:#}"),
        Err(e) => return format!("FailedPreStopHook: {e}"),
    };
    let exit_rx = reaper::watch(pid);
    match tokio::time::timeout(limit, exit_rx).await {
        Ok(Ok(exit)) => format!("exec hook {}", exit.describe()),
        Ok(Err(_)) => "exec hook: exit status lost".into(),
        Err(_) => "hook still running at the end of the grace period: abandoned".into(),
    }
}

fn start_exec_hook(
    pid1: i32,
    spec: &ContainerSpec,
    command: &[String],
    env: &LabEnv,
    pod: &str,
    log_path: &Path,
) -> anyhow::Result<i32> {
    let mut argv = command.to_vec();
    let program = images::resolve_program(&mut argv, &env.self_exe).map_err(anyhow::Error::msg)?;
    let exec = exec_spec(&program, &argv, &spec.env, pod, log_path)?;
    let ns = spawn::ContainerNamespaces::of(pid1)?;
    Ok(spawn::spawn_in_container(&ns, &exec)?)
}

fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| if w.contains(' ') || w.is_empty() { format!("'{w}'") } else { w.clone() })
        .collect::<Vec<_>>()
        .join(" ")
}
