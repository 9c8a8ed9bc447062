//! The `nginx` data plane: the real nginx binary as the ingress, configured as ingress-nginx's
//! template (`rootfs/etc/nginx/template/nginx.tmpl`) configures it with its ConfigMap defaults
//! (`docs/user-guide/nginx-configuration/configmap.md`), see [`config`].
//!
//! Endpoint changes are applied as ingress-nginx applies them, with no reload: the lab posts
//! the new peers to `/configuration/backends` (the controller's post to the status port), and
//! each worker's Lua balancer (`nginx/balancer.lua`, ingress-nginx's `balancer.lua` cut down)
//! takes them on its next one-second sync. A change is in effect once every worker has logged
//! that it took it.
//!
//! nginx reaches each pod at an address of its own ([`super::podnet`]), so every connect,
//! refusal, reset and retry is nginx's. What nginx saw comes back through its syslog stream
//! ([`log`]): each upstream failure with its cause, and the status the client got.
mod config;
mod log;

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::process::{Change, Changes};

use super::{Backend, DataPlane, Settled, UpstreamFailure};
use crate::events::EventLog;
use crate::scenario::IngressSpec;
use lameduck_core::schema::{Cause, EventKind};
use log::Line;

/// How long nginx may take to answer a post, and its workers to sync the change, before the
/// applier gives up on it (a lab error): each syncs every second (`BACKENDS_SYNC_INTERVAL`), so
/// this is generous.
const SYNC_LIMIT: Duration = Duration::from_secs(5);

/// State the log reader and the endpoint applier share.
struct Shared {
    log: Arc<EventLog>,
    failures: Mutex<Vec<UpstreamFailure>>,
    /// `address:port` → pod, for every pod ever linked (late log lines still name the pod).
    pods: Mutex<HashMap<String, String>>,
    /// How many times the master has started its workers.
    worker_starts: AtomicU64,
    /// Wakes whoever waits on `worker_starts` or `synced` when the log reader changes them.
    logged: tokio::sync::Notify,
    /// Worker PID → the last endpoint post its balancer took.
    synced: Mutex<HashMap<u32, u64>>,
    /// The first endpoint change that could not be applied ([`DataPlane::fault`]).
    fault: Mutex<Option<String>>,
}

impl Shared {
    fn fault(&self, why: &str) {
        self.fault.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(|| why.into());
    }
}

/// nginx running as the ingress.
pub struct NginxIngress {
    addr: SocketAddr,
    master: i32,
    changes: Changes,
    shared: Arc<Shared>,
    stopping: Arc<AtomicBool>,
}

impl NginxIngress {
    /// Writes the configuration under `dir`, starts nginx and waits until it listens. `seed`
    /// (the scenario's) seeds the balancer's round robin.
    pub async fn start(
        spec: IngressSpec,
        log: Arc<EventLog>,
        dir: &Path,
        seed: u64,
    ) -> io::Result<Arc<dyn DataPlane>> {
        let dir = dir.join("ingress-nginx");
        std::fs::create_dir_all(&dir)?;
        let addr = super::process::free_loopback_port()?;
        let conf = config::Files::new(&dir, addr, &spec, seed);
        conf.write()?;
        let shared = Arc::new(Shared {
            log,
            failures: Mutex::new(Vec::new()),
            pods: Mutex::new(HashMap::new()),
            worker_starts: AtomicU64::new(0),
            logged: tokio::sync::Notify::new(),
            synced: Mutex::new(HashMap::new()),
            fault: Mutex::new(None),
        });
        let stopping = Arc::new(AtomicBool::new(false));
        read_log(&conf.log_socket, shared.clone(), stopping.clone())?;
        let master = spawn_nginx(&conf)?;
        super::process::wait_listening("nginx", addr, &conf.startup_log).await?;
        // The syslog stream works once it has reported the first workers.
        tokio::time::timeout(super::process::START_LIMIT, shared.workers_started_after(0))
            .await
            .map_err(|_| io::Error::other("nginx (the ingress) never reported its workers"))?;
        let (changes, rx) = Changes::new();
        tokio::spawn(apply_changes(rx, conf, shared.clone()));
        Ok(Arc::new(Self { addr, master, changes, shared, stopping }))
    }
}

impl DataPlane for NginxIngress {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn add_endpoint(&self, ep: Backend) {
        self.changes.add(ep);
    }

    fn remove_endpoint(&self, pod: &str) {
        self.changes.remove(pod);
    }

    fn settled(&self) -> Settled<'_> {
        self.changes.settled()
    }

    fn failures(&self) -> Vec<UpstreamFailure> {
        self.shared.failures.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn fault(&self) -> Option<String> {
        self.shared.fault.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        // SAFETY: signalling the nginx master we started; SIGTERM is its fast shutdown, which
        // takes its workers with it.
        unsafe { libc::kill(self.master, libc::SIGTERM) };
    }
}

fn spawn_nginx(conf: &config::Files) -> io::Result<i32> {
    // Its log socket is named relative to this directory: see `bind_log_socket`.
    let child = Command::new("nginx")
        .current_dir(&conf.dir)
        .arg("-p")
        .arg(&conf.dir)
        .arg("-c")
        .arg(&conf.nginx_conf)
        .arg("-e")
        .arg(&conf.startup_log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("start nginx (the ingress): {e} (scripts/install-deps lab installs it)"),
            )
        })?;
    Ok(child.id() as i32)
}

/// Applies endpoint changes in the order they were made, those waiting together in one post
/// (as one ingress-nginx sync posts every backend): link new pods, post the peers, and log each
/// change once every worker's balancer has it.
async fn apply_changes(
    mut rx: mpsc::UnboundedReceiver<Change>,
    conf: config::Files,
    shared: Arc<Shared>,
) {
    let mut upstream = Upstream::default();
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let mut applied = Vec::new();
        let mut barriers = Vec::new();
        for change in batch {
            match change {
                Change::Barrier(done) => barriers.push(done),
                Change::Add(ep) => applied.extend(upstream.add(ep, &shared).await),
                Change::Remove(pod) => applied.extend(upstream.remove(pod)),
            }
        }
        if !applied.is_empty() {
            let took = post_backends(&conf, &upstream, &shared).await;
            for (pod, kind, detail) in applied {
                shared.log.record(&pod, "", kind, format!("{detail} ({took})"));
            }
        }
        for done in barriers {
            let _ = done.send(());
        }
    }
}

/// The upstream's servers as the applier keeps them.
#[derive(Default)]
struct Upstream {
    /// pod → `address:port`, in the order they joined.
    endpoints: Vec<(String, String)>,
    linked: HashMap<String, Ipv4Addr>,
}

type Applied = (String, EventKind, String);

impl Upstream {
    async fn add(&mut self, ep: Backend, shared: &Shared) -> Option<Applied> {
        if self.endpoints.iter().any(|(p, _)| *p == ep.pod) {
            return None;
        }
        let ip = match self.linked.get(&ep.pod) {
            Some(ip) => *ip,
            None => match super::podnet::link(&ep.netns).await {
                Ok(ip) => ip,
                Err(e) => {
                    let why = format!("nginx cannot reach the pod: {e}");
                    shared.fault(&why);
                    shared.log.record(&ep.pod, "", EventKind::EndpointAdded, why);
                    return None;
                }
            },
        };
        self.linked.insert(ep.pod.clone(), ip);
        let target = format!("{ip}:{}", ep.port);
        shared
            .pods
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(target.clone(), ep.pod.clone());
        self.endpoints.push((ep.pod.clone(), target.clone()));
        Some((
            ep.pod,
            EventKind::EndpointAdded,
            format!("nginx now has {target} in upstream_balancer"),
        ))
    }

    fn remove(&mut self, pod: String) -> Option<Applied> {
        let before = self.endpoints.len();
        self.endpoints.retain(|(p, _)| *p != pod);
        (self.endpoints.len() != before).then(|| {
            let detail = "applied at the ingress: no new try goes to the pod";
            (pod, EventKind::EndpointRemoved, detail.to_string())
        })
    }
}

/// Posts the peers to the balancer and waits until every worker has synced them; says how
/// long that took.
async fn post_backends(conf: &config::Files, upstream: &Upstream, shared: &Shared) -> String {
    let peers: Vec<&str> = upstream.endpoints.iter().map(|(_, t)| t.as_str()).collect();
    let posted = Instant::now();
    // A wedged nginx must not hold the applier (and the run) forever.
    let body = peers.join(" ");
    let posting = tokio::time::timeout(SYNC_LIMIT, post(&conf.config_socket, &body));
    let answer = posting.await.unwrap_or_else(|_| {
        Err(io::Error::other(format!("no answer within {} s", SYNC_LIMIT.as_secs())))
    });
    let version = match answer {
        Ok(version) => version,
        Err(e) => {
            let why = format!("not done, the post to nginx's balancer failed: {e}");
            shared.fault(&why);
            return why;
        }
    };
    match tokio::time::timeout(SYNC_LIMIT, shared.workers_synced(version)).await {
        Ok(()) => format!(
            "every worker's Lua balancer had it {} ms after the post",
            posted.elapsed().as_millis()
        ),
        Err(_) => {
            let why =
                format!("not every worker's balancer synced within {} s", SYNC_LIMIT.as_secs());
            shared.fault(&why);
            why
        }
    }
}

/// `POST /configuration/backends` over the data plane's Unix socket; the answer is the post's
/// version, which each worker logs when it syncs.
async fn post(socket: &Path, body: &str) -> io::Result<u64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (name, _dir) = super::process::socket_name(socket)?;
    let mut stream = tokio::net::UnixStream::connect(name).await?;
    let request = format!(
        "POST /configuration/backends HTTP/1.0\r\nHost: lab\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    let (head, version) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    if !head.starts_with("HTTP/1.1 200") {
        return Err(io::Error::other(format!("nginx answered {:?}", head.lines().next())));
    }
    version.trim().parse().map_err(|_| io::Error::other(format!("no version in {version:?}")))
}

/// Reads nginx's syslog stream on a thread of its own until `stopping`.
fn read_log(socket: &Path, shared: Arc<Shared>, stopping: Arc<AtomicBool>) -> io::Result<()> {
    let sock = super::process::bind_log_socket(socket)?;
    let path = socket.to_path_buf();
    sock.set_read_timeout(Some(Duration::from_millis(100)))?;
    std::thread::Builder::new().name("ingress-nginx-log".into()).spawn(move || {
        let mut pending: HashMap<log::ClientConn, Vec<Pending>> = HashMap::new();
        let mut buf = vec![0u8; 8192];
        // After a stop, drain what nginx wrote while shutting down, then end.
        while !stopping.load(Ordering::SeqCst) {
            let Ok(n) = sock.recv(&mut buf) else { continue };
            let text = String::from_utf8_lossy(&buf[..n]);
            match log::parse(&text) {
                Some(Line::Failure { conn, addr, cause, sent }) => {
                    let at = Instant::now();
                    pending.entry(conn).or_default().push(Pending { at, addr, cause, sent });
                }
                Some(Line::Access { conn, status, attempts }) => {
                    let failed = pending.remove(&conn).unwrap_or_default();
                    shared.settle(failed, status, &attempts);
                }
                None if text.contains("start worker processes") => {
                    shared.worker_starts.fetch_add(1, Ordering::SeqCst);
                    shared.logged.notify_waiters();
                }
                Some(Line::Synced { worker, version }) => {
                    shared.synced.lock().unwrap_or_else(|e| e.into_inner()).insert(worker, version);
                    shared.logged.notify_waiters();
                }
                None => {}
            }
        }
        for failed in pending.into_values() {
            shared.settle(failed, 0, &[]);
        }
        // The run directory keeps the configuration; the socket is of no use after the run.
        let _ = std::fs::remove_file(path);
    })?;
    Ok(())
}

/// An upstream failure whose request has not ended yet.
struct Pending {
    at: Instant,
    addr: String,
    cause: Cause,
    sent: bool,
}

impl Shared {
    /// Waits until the master has started workers more than `count` times.
    async fn workers_started_after(&self, count: u64) {
        loop {
            let notified = self.logged.notified();
            if self.worker_starts.load(Ordering::SeqCst) > count {
                return;
            }
            notified.await;
        }
    }

    /// Waits until every worker's balancer has taken the post `version` (or a later one).
    async fn workers_synced(&self, version: u64) {
        loop {
            let notified = self.logged.notified();
            let have = {
                let synced = self.synced.lock().unwrap_or_else(|e| e.into_inner());
                synced.values().filter(|v| **v >= version).count() as u64
            };
            if have >= config::workers() {
                return;
            }
            notified.await;
        }
    }

    fn pod(&self, addr: &str) -> String {
        self.pods.lock().unwrap_or_else(|e| e.into_inner()).get(addr).cloned().unwrap_or_default()
    }

    /// A request ended with `status` after `attempts`: each of its failures was either retried
    /// or gave the client its status; a 5xx from the last attempt without a failure is the
    /// pod's own.
    fn settle(&self, failed: Vec<Pending>, status: u16, attempts: &[(String, Option<u16>)]) {
        let mut used = vec![false; attempts.len()];
        let mut last_failed = false;
        for f in &failed {
            let index =
                attempts.iter().enumerate().position(|(i, (a, _))| !used[i] && *a == f.addr);
            if let Some(i) = index {
                used[i] = true;
            }
            let last = index.map(|i| i + 1 == attempts.len()).unwrap_or(true);
            last_failed |= last;
            let status = (last && status >= 500).then_some(status);
            self.record(f, status, index.map(|i| i as u32 + 1).unwrap_or(0));
        }
        if attempts.is_empty() && status == 503 {
            let none = Pending {
                at: Instant::now(),
                addr: String::new(),
                cause: Cause::NoEndpoints,
                sent: false,
            };
            self.record(&none, Some(503), 0);
        } else if status >= 500 && !last_failed {
            if let Some((addr, _)) = attempts.last() {
                self.log.record(
                    &self.pod(addr),
                    "",
                    EventKind::Pod5xx,
                    format!("the pod itself answered {status} (passed on to the client)"),
                );
            }
        }
    }

    fn record(&self, f: &Pending, status: Option<u16>, attempt: u32) {
        let pod = self.pod(&f.addr);
        super::report_failure(&self.log, f.at, "nginx", &pod, f.cause, f.sent, status);
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).push(UpstreamFailure {
            ms: self.log.ms(f.at),
            pod,
            cause: f.cause,
            sent: f.sent,
            status,
            attempt,
        });
    }
}
