//! The kubelet, line by line: each check below follows one function of the Kubernetes sources
//! (kubernetes/kubernetes, quoted in its comment) on real processes. All scenarios run in one
//! lab invocation, concurrently.
mod common;

use std::path::PathBuf;

use serde_json::Value;

const WEB: &str = "    - name: web
      image: nginx
      ports: [{containerPort: 80}]
";

const LOOP: &str = "while :; do sleep 0.05; done";

fn scenario(name: &str, grace: u64, extra: &str, pod: &str) -> String {
    format!(
        "name: {name}
replicas: 1
ingress: {{delay: 0s}}
load: {{schedule: \"const(2, 3s)\"}}
actions: [{{at: 1s, delete: pod-1}}]
{extra}pod:
  terminationGracePeriodSeconds: {grace}
{pod}"
    )
}

fn scenarios() -> Vec<(&'static str, String)> {
    let sidecars = format!(
        "  initContainers:
    - name: first
      image: debian
      restartPolicy: Always
      command: [/bin/sh, -c, 'trap \"exit 0\" TERM; {LOOP}']
      lifecycle: {{preStop: {{exec: {{command: [/bin/sleep, \"1\"]}}}}}}
    - name: second
      image: debian
      restartPolicy: Always
      command: [/bin/sh, -c, 'trap \"sleep 1; exit 0\" TERM; {LOOP}']
  containers:
{WEB}      lifecycle: {{preStop: {{sleep: {{seconds: 3}}}}}}
"
    );
    let seconds = format!(
        "  containers:
{WEB}      readinessProbe: {{httpGet: {{path: /, port: 80}}, periodSeconds: 1, failureThreshold: 1}}
      lifecycle: {{preStop: {{sleep: {{seconds: 2}}}}}}
    - name: stubborn
      image: debian
      command: [/bin/sh, -c, 'trap \"\" TERM; {LOOP}']
      lifecycle: {{preStop: {{exec: {{command: [/bin/sleep, \"1.5\"]}}}}}}
"
    );
    let zero = format!(
        "  containers:
{WEB}    - name: stubborn
      image: debian
      command: [/bin/sh, -c, 'trap \"\" TERM; {LOOP}']
      lifecycle: {{preStop: {{exec: {{command: [/bin/echo, hook-ran]}}}}}}
"
    );
    let catcher = format!(
        "  containers:
{WEB}    - name: catcher
      image: debian
      command: [/bin/sh, -c, 'trap \"echo got-QUIT; exit 0\" QUIT; trap \"echo got-TERM; exit 0\" TERM; {LOOP}']
      lifecycle: {{stopSignal: SIGQUIT}}
"
    );
    let gate = "kubernetes: {version: \"1.33\", featureGates: {ContainerStopSignals: true}}\n";
    vec![
        ("sidecars", scenario("sidecars", 20, "", &sidecars)),
        ("grace-seconds", scenario("grace-seconds", 5, "", &seconds)),
        ("grace-zero", scenario("grace-zero", 0, "", &zero)),
        ("stop-signal-gate-off", scenario("stop-signal-gate-off", 10, "", &catcher)),
        ("stop-signal-gate-on", scenario("stop-signal-gate-on", 10, gate, &catcher)),
    ]
}

struct Run {
    dir: tempfile::TempDir,
    result: Value,
}

impl Run {
    fn pod(&self, scenario: &str) -> &Value {
        let rows = self.result["scenarios"].as_array().unwrap();
        let row = rows.iter().find(|r| r["name"] == scenario).unwrap();
        &row["pods"][0]
    }

    fn events(&self, scenario: &str) -> String {
        std::fs::read_to_string(self.dir.path().join("run").join(scenario).join("events.log"))
            .unwrap()
    }

    fn log(&self, scenario: &str, file: &str) -> String {
        let path = self.dir.path().join("run").join(scenario).join("pods/pod-1").join(file);
        std::fs::read_to_string(path).unwrap_or_default()
    }
}

fn container<'a>(pod: &'a Value, name: &str) -> &'a Value {
    pod["containers"].as_array().unwrap().iter().find(|c| c["container"] == name).unwrap()
}

fn ms(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// kuberuntime_termination_order.go, `newTerminationOrdering` and `waitForTurn`; and
/// kuberuntime_container.go, `killContainersWithSyncResult` (one goroutine per container):
///
/// ```go
/// if types.IsRestartableInitContainer(&ic) {
///     // sidecars need to wait for all main containers to exit
///     to.prereqs[ic.Name] = append(to.prereqs[ic.Name], mainContainerChannels...)
///     // if there is a later sidecar, this container needs to wait for it to finish
/// ```
/// and in `killContainer` the hook runs before `ordering.waitForTurn(containerName, gracePeriod)`.
fn native_sidecars(run: &Run) {
    let pod = run.pod("sidecars");
    let events = run.events("sidecars");
    let deleted = ms(pod, "deleted_ms");
    let (web, first, second) =
        (container(pod, "web"), container(pod, "first"), container(pod, "second"));
    // The sidecar's preStop starts at deletion, in parallel with the main container's.
    assert!(ms(first, "prestop_start_ms") < deleted + 1000, "{events}");
    assert!(ms(first, "prestop_end_ms") < ms(web, "exit_ms"), "{events}");
    // Its stop signal waits for the main container, then for the sidecar declared after it.
    assert!(ms(second, "signal_ms") >= ms(web, "exit_ms"), "{events}");
    assert!(ms(first, "signal_ms") >= ms(second, "exit_ms"), "{events}");
    assert_eq!(first["exit"], "exit code 0", "{events}");
    assert!(events.contains("native sidecar: waited"), "{events}");
}

/// kuberuntime_container.go, `killContainer` and `executePreStopHook`:
///
/// ```go
/// gracePeriod = gracePeriod - m.executePreStopHook(ctx, pod, containerID, containerSpec, gracePeriod)
/// ...
/// return int64(metav1.Now().Sub(start.Time).Seconds())
/// ```
/// A 1.5 s hook costs 1 whole second of a 5 s grace period: 4 s from signal to SIGKILL.
fn grace_in_whole_seconds(run: &Run) {
    let pod = run.pod("grace-seconds");
    let events = run.events("grace-seconds");
    let stubborn = container(pod, "stubborn");
    let after_signal = ms(stubborn, "sigkill_ms") - ms(stubborn, "signal_ms");
    assert!(after_signal >= 3900, "{after_signal} ms from signal to SIGKILL\n{events}");
    assert!(events.contains("4s before SIGKILL"), "{events}");
}

/// kuberuntime_container.go, `killContainer`:
///
/// ```go
/// if containerSpec.Lifecycle != nil && containerSpec.Lifecycle.PreStop != nil && gracePeriod > 0 {
/// ...
/// if gracePeriod < minimumGracePeriodInSeconds {
///     gracePeriod = minimumGracePeriodInSeconds
/// ```
fn grace_zero_skips_the_hook(run: &Run) {
    let pod = run.pod("grace-zero");
    let events = run.events("grace-zero");
    let stubborn = container(pod, "stubborn");
    assert!(stubborn["prestop_start_ms"].is_null(), "{events}");
    assert!(!run.log("grace-zero", "stubborn.prestop.log").contains("hook-ran"), "{events}");
    assert!(events.contains("prestop-skipped"), "{events}");
    assert!(ms(stubborn, "sigkill_ms") - ms(stubborn, "signal_ms") >= 1900, "{events}");
}

/// pkg/kubelet/prober/worker.go, `doProbe`: only liveness and startup probes stop at deletion.
///
/// ```go
/// if w.pod.ObjectMeta.DeletionTimestamp != nil && (w.probeType == liveness || w.probeType == startup) {
/// ```
fn readiness_probes_continue_after_deletion(run: &Run) {
    let events = run.events("grace-seconds");
    assert!(
        events.lines().any(|l| l.contains("unready") && l.contains("while terminating")),
        "readiness was probed after deletion: {events}"
    );
}

/// pkg/api/pod/util.go, `dropContainerStopSignals`:
///
/// ```go
/// if utilfeature.DefaultFeatureGate.Enabled(features.ContainerStopSignals) || containerStopSignalsInUse(oldPodSpec) {
///     return
/// }
/// ```
/// (and `ctr.Lifecycle.StopSignal = nil` otherwise): the image's STOPSIGNAL applies.
fn stop_signal_needs_its_gate(run: &Run) {
    let off = run.events("stop-signal-gate-off");
    let catcher = container(run.pod("stop-signal-gate-off"), "catcher");
    assert_eq!(catcher["signal"], "SIGTERM", "{off}");
    assert!(
        off.contains("lifecycle.stopSignal dropped: feature gate ContainerStopSignals is off"),
        "{off}"
    );
    assert!(run.log("stop-signal-gate-off", "catcher.log").contains("got-TERM"), "{off}");
    let on = run.events("stop-signal-gate-on");
    let catcher = container(run.pod("stop-signal-gate-on"), "catcher");
    assert_eq!(catcher["signal"], "SIGQUIT", "{on}");
    assert!(!on.contains("dropped"), "{on}");
    assert!(run.log("stop-signal-gate-on", "catcher.log").contains("got-QUIT"), "{on}");
}

#[test]
fn terminations_follow_the_kubelet_sources() {
    if !common::is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = scenarios()
        .into_iter()
        .map(|(name, text)| {
            let file = dir.path().join(format!("{name}.yaml"));
            std::fs::write(&file, text).unwrap();
            file
        })
        .collect();
    let lab = common::run_lab(&files, &dir.path().join("run"));
    assert!(lab.status.success(), "{}", lab.stderr);
    let result = std::fs::read(dir.path().join("run/result.json")).unwrap();
    let run = Run { result: serde_json::from_slice(&result).unwrap(), dir };
    native_sidecars(&run);
    grace_in_whole_seconds(&run);
    grace_zero_skips_the_hook(&run);
    readiness_probes_continue_after_deletion(&run);
    stop_signal_needs_its_gate(&run);
}
