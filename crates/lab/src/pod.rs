//! Pods: a network namespace with `lo` up, and one PID + mount namespace per container, each
//! with the pod's files mounted where its `volumeMounts` say.
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use tokio::sync::watch;

use crate::events::EventLog;
use crate::scenario::{images, ContainerSpec, Scenario};
use crate::sys::netns::NetNs;
use crate::sys::reaper::{self, Exit};
use crate::sys::spawn::{self, ExecSpec, MountOp};
use lameduck_core::schema::EventKind;

/// What the lab shares with every pod of a run.
#[derive(Debug, Clone)]
pub struct LabEnv {
    /// Where logs and results go (persists).
    pub run_dir: PathBuf,
    /// A tmpfs private to the lab: staged ConfigMap files (vanishes with the lab).
    pub stage_dir: PathBuf,
    /// The lab's own executable, for the `lameduck` image.
    pub self_exe: PathBuf,
    /// The lab's network namespace (where the ingress and the load run).
    pub home_ns: NetNs,
    /// Draw the load's live console on stderr (a single scenario on a terminal).
    pub live: bool,
}

/// A running container.
#[derive(Debug)]
pub struct ContainerRt {
    pub spec: ContainerSpec,
    pub pid: i32,
    pub stop_signal: i32,
    /// `Some` once its PID 1 exited.
    pub exit: watch::Receiver<Option<Exit>>,
    pub log_path: PathBuf,
}

impl ContainerRt {
    pub fn exited(&self) -> Option<Exit> {
        *self.exit.borrow()
    }

    /// Waits until PID 1 exits.
    pub async fn wait_exit(&self) -> Exit {
        let mut rx = self.exit.clone();
        loop {
            if let Some(exit) = *rx.borrow_and_update() {
                return exit;
            }
            if rx.changed().await.is_err() {
                // The watcher task is gone; treat as exited now.
                return Exit { at: Instant::now(), code: None, signal: None };
            }
        }
    }
}

/// How many lines of a container's log a start-up failure quotes.
const LOG_TAIL_LINES: usize = 10;

impl ContainerRt {
    /// Why the pod could not start: which container exited how, and the end of its log.
    pub fn startup_failure(&self, pod: &str, exit: &Exit) -> String {
        let mut text = format!(
            "pod {pod}: container `{}` exited during start-up ({})",
            self.spec.name,
            exit.describe()
        );
        let path = self.log_path.display();
        match log_tail(&self.log_path, LOG_TAIL_LINES) {
            Ok(lines) if lines.is_empty() => text.push_str(&format!("; its log {path} is empty")),
            Ok(lines) => {
                text.push_str(&format!("; the end of its log {path}:"));
                for line in lines {
                    text.push_str(&format!("\n    {line}"));
                }
            }
            Err(e) => text.push_str(&format!("; its log {path} cannot be read: {e}")),
        }
        text
    }
}

/// The last `count` lines of a file, reading at most its last 64 KiB (a log can be large).
fn log_tail(path: &Path, count: usize) -> std::io::Result<Vec<String>> {
    use std::io::{Read, Seek, SeekFrom};
    const MAX: u64 = 64 * 1024;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(MAX)))?;
    let mut bytes = Vec::new();
    file.take(MAX).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    Ok(lines[lines.len().saturating_sub(count)..].iter().map(|l| l.to_string()).collect())
}

/// A running pod.
#[derive(Debug)]
pub struct PodRt {
    pub name: String,
    pub netns: NetNs,
    /// Main containers, then native sidecars.
    pub containers: Vec<ContainerRt>,
    /// The port the ingress sends traffic to.
    pub port: u16,
}

impl PodRt {
    /// SIGKILLs every container (ends their PID namespaces) and waits for them.
    pub async fn kill_all(&self, log: &EventLog) {
        for c in &self.containers {
            if c.exited().is_none() {
                log.record(
                    &self.name,
                    &c.spec.name,
                    EventKind::Sigkill,
                    format!("SIGKILL → PID 1 (lab pid {}): end of run", c.pid),
                );
                let _ = crate::sys::kill(c.pid, libc::SIGKILL);
            }
        }
        for c in &self.containers {
            let _ = tokio::time::timeout(Duration::from_secs(5), c.wait_exit()).await;
        }
    }
}

/// Starts a pod and its containers (sidecars first, as Kubernetes starts native sidecars before
/// the main containers). Does not wait for readiness.
pub fn start_pod(
    scenario: &Scenario,
    name: &str,
    env: &LabEnv,
    scenario_dir: &Path,
    log: &Arc<EventLog>,
) -> Result<PodRt> {
    let netns = NetNs::create()
        .context("create the pod's network namespace (needs root or a user namespace)")?;
    let pod_dir = scenario_dir.join("pods").join(name);
    std::fs::create_dir_all(&pod_dir).with_context(|| format!("create {}", pod_dir.display()))?;
    let stage = env.stage_dir.join(&scenario.name).join(name);
    stage_volumes(scenario, &stage)?;
    let port = scenario
        .pod
        .containers
        .iter()
        .flat_map(|c| c.ports.first())
        .map(|p| p.container_port)
        .next()
        .ok_or_else(|| anyhow!("no container port"))?;
    let sidecars = scenario.pod.init_containers.iter().filter(|c| c.is_sidecar());
    let mut containers = Vec::new();
    for spec in sidecars.chain(&scenario.pod.containers) {
        let rt = start_container(scenario, spec, &netns, &stage, &pod_dir, env, name, log)
            .with_context(|| format!("pod {name}: start container `{}`", spec.name))?;
        containers.push(rt);
    }
    Ok(PodRt { name: name.into(), netns, containers, port })
}

fn stage_volumes(scenario: &Scenario, stage: &Path) -> Result<()> {
    for volume in &scenario.pod.volumes {
        let Some(cm) = &volume.config_map else { continue };
        let dir = stage.join(&volume.name);
        std::fs::create_dir_all(&dir)?;
        for (key, content) in scenario.config_maps.get(&cm.name).into_iter().flatten() {
            std::fs::write(dir.join(key), content).with_context(|| format!("stage {key}"))?;
        }
    }
    Ok(())
}

fn cstr(p: impl AsRef<Path>) -> Result<CString> {
    Ok(CString::new(p.as_ref().as_os_str().as_encoded_bytes())?)
}

/// Directories every container gets as a private tmpfs: the host's root is read-only in a
/// container, and these are where nginx, php-fpm and supervisord write pid files, sockets,
/// logs and temporary files.
const PRIVATE_DIRS: &[&str] =
    &["/run", "/tmp", "/var/tmp", "/var/log", "/var/lib/nginx", "/var/lib/php", "/var/cache/nginx"];

/// The device nodes a container may open, as under a container runtime.
const DEVICES: &[&str] =
    &["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"];

/// Private tmpfs on `dirs` that exist here, shallowest first; a directory inside one already
/// planned is created in it instead (it is writable there). Returns the ops and the directories.
fn private_dirs(dirs: &[PathBuf]) -> Result<(Vec<MountOp>, Vec<PathBuf>)> {
    let mut sorted = dirs.to_vec();
    sorted.sort_by_key(|d| d.components().count());
    sorted.dedup();
    let (mut ops, mut planned) = (Vec::new(), Vec::<PathBuf>::new());
    for dir in sorted {
        if let Some(root) = planned.iter().find(|p| dir.starts_with(p)).cloned() {
            ops.extend(mkdirs_below(&root, &dir)?);
        } else if dir.is_dir() {
            ops.push(MountOp::Tmpfs(cstr(&dir)?));
        } else {
            continue;
        }
        planned.push(dir);
    }
    Ok((ops, planned))
}

/// `mkdir` of every directory from below `root` down to `dir`.
fn mkdirs_below(root: &Path, dir: &Path) -> Result<Vec<MountOp>> {
    let mut chain: Vec<&Path> =
        dir.ancestors().take_while(|a| a.starts_with(root) && *a != root).collect();
    chain.reverse();
    chain.into_iter().map(|d| cstr(d).map(MountOp::Mkdir)).collect()
}

/// `/dev` with only [`DEVICES`] openable, and a private `/dev/shm`.
fn device_plan() -> Result<Vec<MountOp>> {
    let devices: Vec<&str> = DEVICES.iter().copied().filter(|d| Path::new(d).exists()).collect();
    let mut ops: Vec<MountOp> =
        devices.iter().map(|d| cstr(d).map(MountOp::SelfBind)).collect::<Result<_>>()?;
    ops.push(MountOp::NoDevices(cstr("/dev")?));
    for d in &devices {
        ops.push(MountOp::AllowDevice(cstr(d)?));
    }
    if Path::new("/dev/shm").is_dir() {
        ops.push(MountOp::Tmpfs(cstr("/dev/shm")?));
    }
    Ok(ops)
}

/// The container's mount plan: the device nodes it may open, private tmpfs on the usual
/// writable directories and the image's scratch dirs, then volumes.
fn mount_plan(
    scenario: &Scenario,
    spec: &ContainerSpec,
    image: &images::Image,
    stage: &Path,
) -> Result<Vec<MountOp>> {
    let dirs: Vec<PathBuf> = PRIVATE_DIRS
        .iter()
        .copied()
        .chain(image.scratch.iter().map(|s| s.as_str()))
        .map(PathBuf::from)
        .collect();
    let (private, tmpfs) = private_dirs(&dirs)?;
    let mut ops = device_plan()?;
    ops.extend(private);
    let mut mounts = spec.volume_mounts.clone();
    mounts.sort_by_key(|m| m.mount_path.len());
    for m in &mounts {
        let volume = scenario
            .pod
            .volumes
            .iter()
            .find(|v| v.name == m.name)
            .ok_or_else(|| anyhow!("unknown volume {}", m.name))?;
        let dst = PathBuf::from(&m.mount_path);
        let is_file = m.sub_path.is_some();
        let exists = if is_file { dst.is_file() } else { dst.is_dir() };
        if !exists {
            let root = tmpfs.iter().find(|t| dst.starts_with(t) && dst != **t).ok_or_else(|| {
                anyhow!(
                    "mountPath {} does not exist on this machine, and the lab only creates mount points under /run, /tmp or the image's private directories; mount an existing {} instead",
                    dst.display(),
                    if is_file { "file" } else { "directory" }
                )
            })?;
            ops.extend(mkdirs_below(root, dst.parent().unwrap_or(root))?);
            ops.push(if is_file {
                MountOp::Touch(cstr(&dst)?)
            } else {
                MountOp::Mkdir(cstr(&dst)?)
            });
        }
        if volume.config_map.is_some() {
            let src = match &m.sub_path {
                Some(sub) => stage.join(&volume.name).join(sub),
                None => stage.join(&volume.name),
            };
            ops.push(MountOp::Bind(cstr(src)?, cstr(&dst)?));
        } else {
            ops.push(MountOp::Tmpfs(cstr(&dst)?));
        }
    }
    Ok(ops)
}

#[allow(clippy::too_many_arguments)]
fn start_container(
    scenario: &Scenario,
    spec: &ContainerSpec,
    netns: &NetNs,
    stage: &Path,
    pod_dir: &Path,
    env: &LabEnv,
    pod: &str,
    log: &Arc<EventLog>,
) -> Result<ContainerRt> {
    let image = images::lookup(&spec.image, &scenario.images).map_err(|e| anyhow!(e))?;
    let (field, dropped) = scenario.kubernetes.stop_signal(spec);
    if let Some(message) = dropped {
        log.record(pod, &spec.name, EventKind::FieldDropped, message);
    }
    let stop_signal = match field {
        Some(s) => crate::signals::parse(s).ok_or_else(|| anyhow!("unknown stopSignal {s}"))?,
        None => image.stop_signal,
    };
    let mut argv = images::container_argv(&image, spec.command.as_ref(), spec.args.as_ref());
    let program = images::resolve_program(&mut argv, &env.self_exe).map_err(|e| anyhow!(e))?;
    let mounts = mount_plan(scenario, spec, &image, stage)?;
    let log_path = pod_dir.join(format!("{}.log", spec.name));
    let programs = stage_programs(&image, &stage.join(".programs").join(&spec.name), env)?;
    let mut exec = exec_spec(&program, &argv, &with_image_env(&image, &spec.env), pod, &log_path)?;
    if let Some(dir) = programs {
        let path = format!("PATH={}:{}", dir.display(), images::PATH);
        exec.env[0] = CString::new(path)?;
    }
    let pid = spawn::spawn_container(netns.raw(), &mounts, &exec)?;
    let exit_rx = reaper::watch(pid);
    let (tx, rx) = watch::channel(None);
    log.record(
        pod,
        &spec.name,
        EventKind::Started,
        format!(
            "PID 1 = {} (lab pid {pid}), stop signal {}",
            argv.join(" "),
            crate::signals::name(stop_signal)
        ),
    );
    let (log2, pod2, name2) = (log.clone(), pod.to_string(), spec.name.clone());
    tokio::spawn(async move {
        if let Ok(exit) = exit_rx.await {
            log2.record_at(
                exit.at,
                &pod2,
                &name2,
                EventKind::Exit,
                format!("PID 1 {}", exit.describe()),
            );
            let _ = tx.send(Some(exit));
        }
    });
    Ok(ContainerRt { spec: spec.clone(), pid, stop_signal, exit: rx, log_path })
}

/// The image's ENV, less what the container sets, then the container's `env`.
fn with_image_env(
    image: &images::Image,
    env: &[crate::scenario::EnvVar],
) -> Vec<crate::scenario::EnvVar> {
    let own = |name: &str| env.iter().any(|v| v.name == name);
    image
        .env
        .iter()
        .filter(|(name, _)| !own(name))
        .map(|(name, value)| crate::scenario::EnvVar { name: name.clone(), value: value.clone() })
        .chain(env.iter().cloned())
        .collect()
}

/// Writes a script per program of the image (`exec` of the local command) into `dir`, which
/// the container gets first on its PATH. `None` when the image has none.
fn stage_programs(image: &images::Image, dir: &Path, env: &LabEnv) -> Result<Option<PathBuf>> {
    use std::os::unix::fs::PermissionsExt;
    if image.programs.is_empty() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir)?;
    for (name, command) in &image.programs {
        let mut argv = command.clone();
        let program = images::resolve_program(&mut argv, &env.self_exe).map_err(|e| anyhow!(e))?;
        argv[0] = program.display().to_string();
        let quoted: Vec<String> =
            argv.iter().map(|a| format!("'{}'", a.replace('\'', "'\\''"))).collect();
        let file = dir.join(name);
        std::fs::write(&file, format!("#!/bin/sh\nexec {} \"$@\"\n", quoted.join(" ")))?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(Some(dir.to_path_buf()))
}

/// The program, its argv and environment, with output appended to `log_path`.
pub fn exec_spec(
    program: &Path,
    argv: &[String],
    env_vars: &[crate::scenario::EnvVar],
    pod: &str,
    log_path: &Path,
) -> Result<ExecSpec> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .with_context(|| format!("open {}", log_path.display()))?;
    let mut env =
        vec![format!("PATH={}", images::PATH), format!("HOSTNAME={pod}"), "HOME=/root".to_string()];
    env.extend(env_vars.iter().map(|v| format!("{}={}", v.name, v.value)));
    if argv.iter().any(|a| a.contains('\0')) {
        bail!("command contains a NUL byte");
    }
    Ok(ExecSpec {
        path: cstr(program)?,
        argv: argv.iter().map(|a| CString::new(a.as_str())).collect::<Result<_, _>>()?,
        env: env.into_iter().map(CString::new).collect::<Result<_, _>>()?,
        log: log.into(),
    })
}
