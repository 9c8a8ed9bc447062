//! Pod termination as the kubelet does it (Kubernetes "Termination of Pods"):
//!
//! 1. the grace period starts at deletion (the caller publishes the endpoint removal at the
//!    same instant);
//! 2. every main container is handled concurrently, started in a seeded random order: its
//!    preStop hook runs first (`exec` inside the container, or `sleep`);
//! 3. then its stop signal (`lifecycle.stopSignal`, else the image's STOPSIGNAL) goes to its
//!    PID 1, with what is left of the grace period — at least 2 seconds, which is the extra time
//!    a hook still running at the end of the grace period gets;
//! 4. what is still running after that gets SIGKILL (killing PID 1 of a PID namespace kills every
//!    process in it);
//! 5. native sidecars get the same treatment only after every main container has exited.
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::events::EventLog;
use crate::pod::{exec_spec, ContainerRt, LabEnv, PodRt};
use crate::procwatch::{self, Watched};
use crate::rng::Rng;
use crate::scenario::{images, Container};
use crate::signals;
use crate::sys::{self, reaper, spawn};

/// Kubernetes gives a hook that outlives the grace period this much more time.
const MIN_GRACE_AFTER_HOOK: Duration = Duration::from_secs(2);

/// Per-container phases for a Gantt view (ms on the scenario's time axis).
#[derive(Debug, Clone, Serialize, Default)]
pub struct ContainerPhases {
    pub container: String,
    pub prestop_start_ms: Option<u64>,
    pub prestop_end_ms: Option<u64>,
    pub signal: Option<String>,
    pub signal_ms: Option<u64>,
    pub sigkill_ms: Option<u64>,
    pub exit_ms: Option<u64>,
    pub exit: Option<String>,
}

/// One pod's termination.
#[derive(Debug, Clone, Serialize)]
pub struct PodPhases {
    pub pod: String,
    pub deleted_ms: u64,
    pub endpoint_removed_ms: Option<u64>,
    pub gone_ms: u64,
    pub termination_seconds: f64,
    pub containers: Vec<ContainerPhases>,
}

/// Terminates `pod`, deleted at `deleted`, and returns its phases; an error if a container's
/// stop task failed (a panic in the lab).
pub async fn terminate(
    pod: Arc<PodRt>,
    deleted: Instant,
    grace: Duration,
    rng: &mut Rng,
    env: LabEnv,
    log: Arc<EventLog>,
) -> Result<PodPhases, String> {
    let deadline = deleted + grace;
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
    let mut order: Vec<usize> = pod
        .containers
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.spec.is_sidecar())
        .map(|(i, _)| i)
        .collect();
    rng.shuffle(&mut order);
    let mut tasks = Vec::new();
    for i in order {
        let (pod, env, log) = (pod.clone(), env.clone(), log.clone());
        tasks
            .push(tokio::spawn(async move { stop_container(&pod, i, deadline, &env, &log).await }));
    }
    let stopped =
        crate::panics::join_all(tasks, &format!("pod {}: stop a container", pod.name)).await;
    let mut phases = stopped?;
    let sidecars: Vec<usize> = pod
        .containers
        .iter()
        .enumerate()
        .filter(|(_, c)| c.spec.is_sidecar())
        .map(|(i, _)| i)
        .rev()
        .collect();
    for i in sidecars {
        phases.push(stop_container(&pod, i, deadline, &env, &log).await);
    }
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
        "gone",
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

async fn stop_container(
    pod: &PodRt,
    index: usize,
    deadline: Instant,
    env: &LabEnv,
    log: &EventLog,
) -> ContainerPhases {
    let c = &pod.containers[index];
    let name = &c.spec.name;
    let mut phases = ContainerPhases { container: name.clone(), ..Default::default() };
    if c.exited().is_none() {
        if let Some(hook) = c.spec.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()) {
            phases.prestop_start_ms = Some(log.ms(Instant::now()));
            let outcome = run_hook(pod, c, hook, deadline, env, log).await;
            phases.prestop_end_ms = Some(log.ms(Instant::now()));
            log.record(&pod.name, name, "prestop-end", outcome);
        }
    }
    if c.exited().is_none() {
        let remaining =
            deadline.saturating_duration_since(Instant::now()).max(MIN_GRACE_AFTER_HOOK);
        let sig = signals::name(c.stop_signal);
        phases.signal = Some(sig.clone());
        let at = Instant::now();
        phases.signal_ms = Some(log.ms(at));
        let sent = sys::kill(c.pid, c.stop_signal);
        log.record_at(
            at,
            &pod.name,
            name,
            "signal",
            format!(
                "{sig} → PID 1 (lab pid {}){}; {:.1}s left before SIGKILL",
                c.pid,
                sent.err().map(|e| format!(" failed: {e}")).unwrap_or_default(),
                remaining.as_secs_f64()
            ),
        );
        if tokio::time::timeout(remaining, c.wait_exit()).await.is_err() {
            let at = Instant::now();
            phases.sigkill_ms = Some(log.ms(at));
            log.record_at(at, &pod.name, name, "sigkill", format!("grace period over: SIGKILL → every process in the container (PID 1 = lab pid {})", c.pid));
            let _ = sys::kill(c.pid, libc::SIGKILL);
        }
    }
    let exit = c.wait_exit().await;
    phases.exit_ms = Some(log.ms(exit.at));
    phases.exit = Some(exit.describe());
    phases
}

/// Runs a preStop hook until it ends or the grace period does; returns what happened.
async fn run_hook(
    pod: &PodRt,
    c: &ContainerRt,
    hook: &crate::scenario::Handler,
    deadline: Instant,
    env: &LabEnv,
    log: &EventLog,
) -> String {
    let left = deadline.saturating_duration_since(Instant::now());
    if let Some(sleep) = &hook.sleep {
        log.record(
            &pod.name,
            &c.spec.name,
            "prestop-start",
            format!("sleep {}s (kubelet sleep action)", sleep.seconds),
        );
        let wanted = Duration::from_secs(sleep.seconds);
        tokio::time::sleep(wanted.min(left)).await;
        return if wanted > left {
            "sleep cut short by the end of the grace period".into()
        } else {
            "sleep done".into()
        };
    }
    let Some(exec) = &hook.exec else { return "no action".into() };
    log.record(
        &pod.name,
        &c.spec.name,
        "prestop-start",
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
    match tokio::time::timeout(left, exit_rx).await {
        Ok(Ok(exit)) => format!("exec hook {}", exit.describe()),
        Ok(Err(_)) => "exec hook: exit status lost".into(),
        Err(_) => {
            "hook still running at the end of the grace period: 2 more seconds, then SIGKILL".into()
        }
    }
}

fn start_exec_hook(
    pid1: i32,
    spec: &Container,
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
