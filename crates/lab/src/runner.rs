//! Runs one scenario: pods up and ready, ingress in front, load through the ingress, timed
//! actions (scale, delete, rollout) carried out as Kubernetes would, then the result.
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use lameduck_load::{Report, RunHooks, Schedule, StopHandle};
use tokio::task::JoinHandle;

use crate::events::{format_line, EventLog};
use crate::ingress::{Backend, DataPlane};
use crate::kubelet::{self, PodPhases};
use crate::pod::{start_pod, LabEnv, PodRt};
use crate::probe::{probe_once, readiness, wait_ready};
use crate::result::{verdict, ScenarioResult, Termination};
use crate::rng::Rng;
use crate::scenario::{Action, Scenario};
use lameduck_core::schema::EventKind;

const READY_LIMIT: Duration = Duration::from_secs(20);

/// Shared state of one running scenario.
struct Cluster {
    scenario: Scenario,
    env: LabEnv,
    dir: std::path::PathBuf,
    log: Arc<EventLog>,
    ingress: Arc<dyn DataPlane>,
    rng: Mutex<Rng>,
    /// Pods not yet deleted, oldest first.
    live: Mutex<Vec<Arc<PodRt>>>,
    all: Mutex<Vec<Arc<PodRt>>>,
    next_index: Mutex<u32>,
    terminations: Mutex<Vec<JoinHandle<Result<PodPhases, String>>>>,
    /// Pods whose readiness probe fails now (EndpointSlice `serving: false`).
    not_serving: Mutex<std::collections::HashSet<String>>,
}

impl Cluster {
    /// How long this endpoint removal takes to reach the ingress: drawn from `ingress.lag`,
    /// or `delay` plus up to `jitter`.
    fn propagation_delay(&self) -> Duration {
        let ingress = &self.scenario.ingress;
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        match &ingress.lag {
            Some(lag) => lag.sample(&mut rng),
            None => {
                let max = ingress.jitter.0.as_millis() as u64;
                ingress.delay.0 + Duration::from_millis(rng.below(max + 1))
            }
        }
    }

    /// Starts `count` new pods, waits until they are ready and adds them to the endpoints.
    async fn scale_up(self: &Arc<Self>, count: u32) -> Result<()> {
        let mut started = Vec::new();
        for _ in 0..count {
            let name = {
                let mut n = self.next_index.lock().unwrap_or_else(|e| e.into_inner());
                *n += 1;
                format!("pod-{n}")
            };
            // Spawning reads a pipe until each exec: keep it off the async workers.
            let me = self.clone();
            let pod = tokio::task::spawn_blocking(move || {
                start_pod(&me.scenario, &name, &me.env, &me.dir, &me.log)
            })
            .await
            .map_err(|e| anyhow!("pod start-up task: {e}"))??;
            let pod = Arc::new(pod);
            self.all.lock().unwrap_or_else(|e| e.into_inner()).push(pod.clone());
            started.push(pod);
        }
        let waits = started.iter().map(|pod| {
            let (pod, me) = (pod.clone(), self.clone());
            tokio::spawn(async move {
                let took = wait_ready(&pod, &me.env.home_ns, READY_LIMIT).await?;
                me.log.record(
                    &pod.name,
                    "",
                    EventKind::Ready,
                    format!("readiness passed after {:.2}s", took.as_secs_f64()),
                );
                me.ingress.add_endpoint(Backend {
                    pod: pod.name.clone(),
                    netns: pod.netns.clone(),
                    port: pod.port,
                });
                if me.scenario.ingress.readiness_gate {
                    me.readiness_gate(&pod).await?;
                }
                me.live.lock().unwrap_or_else(|e| e.into_inner()).push(pod.clone());
                me.keep_probing(pod);
                Ok::<(), std::io::Error>(())
            })
        });
        for wait in waits.collect::<Vec<_>>() {
            wait.await.map_err(|e| anyhow!("readiness task: {e}"))??;
        }
        // A data plane that applies them on its own cadence (nginx's Lua balancer syncs every
        // second) has them only once every worker took them.
        self.ingress.settled().await;
        Ok(())
    }

    /// The AWS Load Balancer Controller's pod readiness gate (`target-health.elbv2.k8s.aws`):
    /// the pod counts as Ready only once its target is healthy in the target group, so a
    /// rollout waits for the registration. Bounded like the readiness wait, plus the health
    /// checks' own time. Also how the run waits for its first pods' targets, gate or not.
    async fn readiness_gate(&self, pod: &PodRt) -> std::io::Result<()> {
        let Some(checks) = self.scenario.ingress.health_check.clone() else { return Ok(()) };
        let limit = READY_LIMIT + checks.interval.0 * (checks.healthy_threshold + 1);
        let started = Instant::now();
        let gate = "readiness gate target-health.elbv2.k8s.aws";
        if tokio::time::timeout(limit, self.ingress.registered(&pod.name)).await.is_err() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "pod {}: its target was not healthy after {limit:?} ({gate}; the bound is {READY_LIMIT:?} + {} health-check intervals of {}; each check is in events.log)",
                    pod.name,
                    checks.healthy_threshold + 1,
                    checks.interval
                ),
            ));
        }
        if self.scenario.ingress.readiness_gate {
            let waited = started.elapsed().as_secs_f64();
            let why = format!("{gate} True after {waited:.2}s more: the pod is Ready");
            self.log.record(&pod.name, "", EventKind::Ready, why);
        }
        Ok(())
    }

    /// Keeps running the pod's readiness probes every `periodSeconds` until its containers are
    /// gone: after `failureThreshold` failures in a row it leaves the endpoints, after
    /// `successThreshold` successes it comes back. After deletion the probes go on, as the
    /// kubelet's prober worker stops only liveness and startup probes then (`doProbe`), but
    /// a terminating pod never rejoins the endpoints (EndpointSlice `ready` is
    /// `serving && !terminating`) and its removal keeps its own delay.
    fn keep_probing(self: &Arc<Self>, pod: Arc<PodRt>) {
        let checks: Vec<_> = readiness(&pod)
            .into_iter()
            .filter_map(|(port, probe)| probe.map(|p| (port, p)))
            .collect();
        let Some(period) = checks.iter().map(|(_, p)| p.period_seconds.max(1)).min() else {
            return;
        };
        let failure_threshold =
            checks.iter().map(|(_, p)| p.failure_threshold.max(1)).min().unwrap_or(3);
        let success_threshold =
            checks.iter().map(|(_, p)| p.success_threshold.max(1)).max().unwrap_or(1);
        let me = self.clone();
        tokio::spawn(async move {
            let (mut ready, mut streak) = (true, 0u32);
            loop {
                tokio::time::sleep(Duration::from_secs(period)).await;
                let terminating = !me.live_pods().iter().any(|p| p.name == pod.name);
                if pod.containers.iter().all(|c| c.exited().is_some()) {
                    if terminating {
                        me.ingress.terminating_serving(&pod.name, false);
                    }
                    return;
                }
                let when = if terminating { " while terminating" } else { "" };
                let mut ok = true;
                for (port, probe) in &checks {
                    ok &= probe_once(&pod, &me.env.home_ns, *port, Some(probe)).await;
                }
                streak = if ok == ready { 0 } else { streak + 1 };
                if ready && streak >= failure_threshold {
                    (ready, streak) = (false, 0);
                    me.set_serving(&pod.name, false, terminating);
                    me.log.record(
                        &pod.name,
                        "",
                        EventKind::Unready,
                        format!("readiness probe failed {failure_threshold} times in a row{when}"),
                    );
                    if !terminating {
                        me.ingress.remove_endpoint(&pod.name);
                    }
                } else if !ready && streak >= success_threshold {
                    (ready, streak) = (true, 0);
                    me.set_serving(&pod.name, true, terminating);
                    if terminating {
                        me.log.record(&pod.name, "", EventKind::Ready, "readiness probe passes again while terminating; a terminating pod stays out of the endpoints");
                        continue;
                    }
                    // Under the `live` lock, so a deletion cannot slip in between the check
                    // and the add (its endpoint removal would then miss this add).
                    let live = me.live.lock().unwrap_or_else(|e| e.into_inner());
                    if live.iter().any(|p| p.name == pod.name) {
                        me.log.record(
                            &pod.name,
                            "",
                            EventKind::Ready,
                            "readiness probe passes again",
                        );
                        me.ingress.add_endpoint(Backend {
                            pod: pod.name.clone(),
                            netns: pod.netns.clone(),
                            port: pod.port,
                        });
                    }
                }
            }
        });
    }

    /// Remembers whether `pod`'s readiness probe passes; a terminating pod's data plane hears
    /// of it at once (kube-proxy's fallback to serving, terminating endpoints uses it).
    fn set_serving(&self, pod: &str, serving: bool, terminating: bool) {
        let mut not_serving = self.not_serving.lock().unwrap_or_else(|e| e.into_inner());
        if serving {
            not_serving.remove(pod);
        } else {
            not_serving.insert(pod.to_string());
        }
        if terminating {
            self.ingress.terminating_serving(pod, serving);
        }
    }

    /// The EndpointSlice update of a deleted pod reaches the data plane: not ready,
    /// terminating, serving as its last readiness probe said.
    fn publish_terminating(&self, pod: &str) {
        let serving = !self.not_serving.lock().unwrap_or_else(|e| e.into_inner()).contains(pod);
        self.ingress.remove_terminating(pod, serving);
    }

    /// Deletes a pod: the grace period starts now and, at the same instant, the endpoint
    /// removal is published (the ingress applies it after the propagation delay).
    fn delete(self: &Arc<Self>, pod: Arc<PodRt>) {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| p.name != pod.name);
        let deleted = Instant::now();
        let grace = Duration::from_secs(self.scenario.grace_seconds());
        let delay = self.propagation_delay();
        self.log.record_at(
            deleted,
            &pod.name,
            "",
            EventKind::Deleted,
            format!(
                "Terminating; grace period {}s; endpoint removal reaches the ingress in {} ms",
                grace.as_secs(),
                delay.as_millis()
            ),
        );
        if delay.is_zero() {
            // "No lag": the ingress has the update before the kubelet acts on the pod.
            self.publish_terminating(&pod.name);
        } else {
            let me = self.clone();
            let name = pod.name.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until((deleted + delay).into()).await;
                me.publish_terminating(&name);
            });
        }
        let mut rng = Rng::new(self.rng.lock().unwrap_or_else(|e| e.into_inner()).next_u64());
        let (env, log) = (self.env.clone(), self.log.clone());
        let grace_seconds = self.scenario.grace_seconds();
        let task = tokio::spawn(async move {
            let netns = pod.netns.clone();
            let name = pod.name.clone();
            let phases =
                kubelet::terminate(pod, deleted, grace_seconds, &mut rng, env, log.clone()).await;
            // Every container has exited: the kubelet tears the pod's sandbox down.
            crate::ingress::sandbox_gone(&name, &netns, &log).await;
            phases
        });
        self.terminations.lock().unwrap_or_else(|e| e.into_inner()).push(task);
    }

    fn live_pods(&self) -> Vec<Arc<PodRt>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    async fn act(self: &Arc<Self>, action: &Action) -> Result<()> {
        if let Some(n) = action.scale {
            let live = self.live_pods();
            self.log.record(
                "",
                "",
                EventKind::Action,
                format!("scale to {n} replicas (from {})", live.len()),
            );
            if (n as usize) < live.len() {
                // A ReplicaSet scales down the newest pods first.
                for pod in live.iter().rev().take(live.len() - n as usize) {
                    self.delete(pod.clone());
                }
            } else {
                self.scale_up(n - live.len() as u32).await?;
            }
        } else if let Some(which) = &action.delete {
            let live = self.live_pods();
            let pod = match which.as_str() {
                "newest" => live.last().cloned(),
                "oldest" => live.first().cloned(),
                name => live.iter().find(|p| p.name == name).cloned(),
            };
            let pod = pod.ok_or_else(|| {
                anyhow!(
                    "delete: no live pod `{which}` (live: {})",
                    live.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                )
            })?;
            self.log.record("", "", EventKind::Action, format!("delete pod {}", pod.name));
            self.delete(pod);
        } else if let Some(rollout) = &action.rollout {
            self.rollout(rollout.max_surge, rollout.max_unavailable).await?;
        }
        Ok(())
    }

    /// A Deployment rolling update: start up to `max_surge` new pods, delete old ones once new
    /// ones are ready (keeping at most `max_unavailable` below the replica count).
    async fn rollout(self: &Arc<Self>, max_surge: u32, max_unavailable: u32) -> Result<()> {
        let old = self.live_pods();
        self.log.record(
            "",
            "",
            EventKind::Action,
            format!(
                "rollout of {} pods (maxSurge {max_surge}, maxUnavailable {max_unavailable})",
                old.len()
            ),
        );
        let step = max_surge.max(1) as usize;
        let mut remaining = old.clone();
        while !remaining.is_empty() {
            let batch: Vec<_> = remaining.drain(..step.min(remaining.len())).collect();
            let unavailable = (max_unavailable as usize).min(batch.len());
            for pod in batch.iter().take(unavailable) {
                self.delete(pod.clone());
            }
            if max_surge > 0 {
                self.scale_up(batch.len() as u32).await?;
            }
            for pod in batch.iter().skip(unavailable) {
                self.delete(pod.clone());
            }
            if max_surge == 0 {
                self.scale_up(batch.len() as u32).await?;
            }
        }
        Ok(())
    }
}

/// Runs the scenario; `stop` ends the load early (Ctrl-C).
// Long because one scenario from start to result, in order: ingress and pods up, load and
// actions, teardown (whatever happened), then the evidence gathered and written; the steps share
// the cluster.
pub async fn run(scenario: Scenario, env: LabEnv, stop: StopHandle) -> Result<ScenarioResult> {
    let epoch = Instant::now();
    let log = Arc::new(EventLog::new(epoch));
    let dir = env.run_dir.join(&scenario.name);
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let ingress = crate::ingress::start(
        scenario.ingress.clone(),
        env.home_ns.clone(),
        log.clone(),
        &dir,
        scenario.seed,
    )
    .await
    .context("start the ingress")?;
    let addr = ingress.addr();
    let cluster = Arc::new(Cluster {
        rng: Mutex::new(Rng::new(scenario.seed)),
        scenario: scenario.clone(),
        env: env.clone(),
        dir: dir.clone(),
        log: log.clone(),
        ingress: ingress.clone(),
        live: Mutex::new(Vec::new()),
        all: Mutex::new(Vec::new()),
        next_index: Mutex::new(0),
        terminations: Mutex::new(Vec::new()),
        not_serving: Mutex::default(),
    });
    let outcome = drive(&cluster, addr, stop.clone()).await;
    // Whatever happened, no pod outlives its scenario.
    let terminations: Vec<_> =
        std::mem::take(&mut *cluster.terminations.lock().unwrap_or_else(|e| e.into_inner()));
    let terminated = crate::panics::join_all(terminations, "pod termination").await;
    let pods = cluster.all.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for pod in &pods {
        pod.kill_all(&log).await;
    }
    ingress.stop();
    // A termination that failed inside the lab leaves the run without its evidence.
    let phases = terminated.map_err(|e| anyhow!(e)).and_then(|phases| {
        phases.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| anyhow!(e))
    });
    let ((report, load_started, kinds), mut phases) = match outcome.and_then(|o| Ok((o, phases?))) {
        Ok(done) => done,
        Err(e) => {
            // What happened up to the failure is what diagnoses it.
            let why = format!("the scenario could not run: {e:#}");
            log.record("", "", EventKind::Stop, why);
            write_events(&dir, &log.snapshot())?;
            return Err(e);
        }
    };
    let events = log.snapshot();
    for p in &mut phases {
        p.endpoint_removed_ms = events
            .iter()
            .find(|e| e.pod == p.pod && e.kind == EventKind::EndpointRemoved)
            .map(|e| e.ms);
    }
    phases.sort_by(|a, b| a.pod.cmp(&b.pod));
    write_events(&dir, &events)?;
    std::fs::write(dir.join("timeline.txt"), crate::result::timeline_text(&report.seconds))
        .context("write timeline.txt")?;
    let times: Vec<f64> = phases.iter().map(|p| p.termination_seconds).collect();
    let termination = Termination::of(&times);
    let (mut verdict, mut reason) = verdict(&scenario, report.failed, &times);
    if let Some(fault) = ingress.fault() {
        verdict = crate::result::Verdict::LabError;
        reason = format!("the ingress did not apply an endpoint change: {fault}");
    }
    if stop.level() > 0 {
        // A run cut short proves nothing either way.
        verdict = crate::result::Verdict::Interrupted;
        reason = "stopped early (Ctrl-C or SIGTERM)".into();
    }
    let net: std::collections::BTreeMap<String, u64> = report.net.clone();
    Ok(ScenarioResult {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        article: scenario.article.clone(),
        expected: crate::result::expected_text(&scenario),
        requests: report.requests,
        failed: report.failed,
        codes: report.codes.clone(),
        net,
        termination_seconds: termination,
        verdict,
        reason,
        dir: dir.display().to_string(),
        load_started_ms: log.ms(load_started),
        timeline: report.seconds.clone(),
        events,
        pods: phases,
        upstream_failures: ingress.failures(),
        kinds: kinds.map(|k| k.results()).unwrap_or_default(),
    })
}

/// Writes `events` to the scenario's `events.log`.
fn write_events(dir: &std::path::Path, events: &[crate::events::Event]) -> Result<()> {
    let lines: String = events.iter().map(|e| format_line(e) + "\n").collect();
    let file = dir.join("events.log");
    std::fs::write(&file, lines).with_context(|| format!("write {}", file.display()))
}

// Long because the load's thread and the scenario's actions run side by side from one start
// signal; the channels that join them are local to this function.
async fn drive(
    cluster: &Arc<Cluster>,
    addr: std::net::SocketAddr,
    stop: StopHandle,
) -> Result<(Report, Instant, Option<crate::traffic::Kinds>)> {
    let s = &cluster.scenario;
    cluster
        .scale_up(s.replicas)
        .await
        .with_context(|| format!("start the {} pod(s)", s.replicas))?;
    // The experiment starts from a steady state: the first pods' targets are in service.
    for pod in cluster.live_pods() {
        cluster.readiness_gate(&pod).await.context("register the first pods")?;
    }
    let schedule = Schedule::parse(&s.load.schedule).map_err(|e| anyhow!("load schedule: {e}"))?;
    let (plan, kinds) = crate::traffic::plan(&s.load, addr, s.seed, schedule)
        .map_err(|e| anyhow!("load target: {e}"))?;
    let counter = kinds.clone();
    let (start_tx, start_rx) = tokio::sync::oneshot::channel();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let load_stop = stop.clone();
    let log = cluster.log.clone();
    let live = cluster.env.live;
    std::thread::Builder::new().name(format!("load-{}", s.name)).spawn(move || {
        // `None` unless stderr is a terminal: then the per-second view is drawn there.
        let console = std::cell::RefCell::new(
            live.then(|| lameduck_load::live::LiveConsole::for_stderr(plan.schedule.duration()))
                .flatten(),
        );
        let hooks = RunHooks {
            on_start: Some(Box::new(move |at| {
                log.record_at(at, "", "", EventKind::Load, "load started");
                let _ = start_tx.send(at);
            })),
            on_second: Some(Box::new(|second| {
                if let Some(c) = console.borrow_mut().as_mut() {
                    c.second(second);
                }
            })),
            on_request: counter.map(|kinds| {
                Box::new(move |record: &lameduck_load::RequestRecord| kinds.count(record))
                    as lameduck_load::OnRequest
            }),
            stop: Some(load_stop),
            ..RunHooks::default()
        };
        let result = lameduck_load::run(&plan, hooks);
        let console = console.into_inner();
        if let Some(c) = console {
            c.finish();
        }
        if let (true, Ok(report)) = (live, &result) {
            eprintln!("{}", lameduck_load::windows::summary_of_report(report));
        }
        let _ = done_tx.send(result);
    })?;
    let started = start_rx.await.map_err(|_| anyhow!("the load engine did not start"))?;
    let mut actions = s.actions.clone();
    actions.sort_by_key(|a| a.at);
    for action in &actions {
        let at = started + action.at.0;
        while Instant::now() < at {
            if stop.level() > 0 {
                break;
            }
            tokio::time::sleep((at - Instant::now()).min(Duration::from_millis(100))).await;
        }
        if stop.level() > 0 {
            break;
        }
        cluster.act(action).await?;
    }
    let report = done_rx
        .await
        .map_err(|_| anyhow!("the load engine stopped unexpectedly"))?
        .map_err(|e| anyhow!("load: {e}"))?;
    cluster.log.record(
        "",
        "",
        EventKind::Load,
        format!("load finished: {} requests, {} failed", report.requests, report.failed),
    );
    Ok((report, started, kinds))
}
