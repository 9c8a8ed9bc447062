//! The `haproxy` data plane: the real HAProxy (Debian's 2.6) as the ingress, with
//! haproxy-ingress's defaults (`rootfs/etc/templates/haproxy/haproxy.tmpl` and
//! `pkg/converters/ingress/defaults.go` of jcmoraisjr/haproxy-ingress, read November 2026):
//!
//! ```text
//! defaults
//!     option redispatch
//!     option http-keep-alive
//!     timeout client {{ $global.Timeout.Client }}        # 50s
//!     timeout connect {{ $global.Timeout.Connect }}      # 5s
//!     timeout http-keep-alive {{ $global.Timeout.KeepAlive }}   # 1m
//!     timeout queue {{ $global.Timeout.Queue }}          # 5s
//!     timeout server {{ $global.Timeout.Server }}        # 50s (here: the scenario's timeout)
//! ```
//!
//! and HAProxy's own `retries 3`, which retries a connection that failed (never a request
//! already sent), the last retry on another server (`option redispatch`).
//!
//! Endpoint changes go through the runtime API, with no reload: `add server be/POD ADDR` +
//! `enable server` when a pod is ready, `disable server` (maintenance: no new requests, those
//! in flight finish) when its removal arrives. HAProxy logs one line per request (server,
//! status, retries, termination state) to the lab over a Unix socket; it names the server of
//! the last attempt only, so a retried connect failure is logged without its pod.
use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::process::{Change, Changes};

use super::{Backend, DataPlane, Settled, UpstreamFailure};
use crate::events::EventLog;
use crate::scenario::IngressSpec;
use lameduck_core::schema::{Cause, EventKind};

const ACCESS_TAG: &str = "lameduck-access";

/// HAProxy running as the ingress.
pub struct HaproxyIngress {
    addr: SocketAddr,
    pid: i32,
    changes: Changes,
    failures: Arc<Mutex<Vec<UpstreamFailure>>>,
    stopping: Arc<AtomicBool>,
    fault: Arc<Mutex<Option<String>>>,
}

impl HaproxyIngress {
    /// Writes the configuration under `dir`, starts HAProxy and waits until it listens.
    pub async fn start(
        spec: IngressSpec,
        log: Arc<EventLog>,
        dir: &Path,
    ) -> io::Result<Arc<dyn DataPlane>> {
        let dir = dir.join("ingress-haproxy");
        std::fs::create_dir_all(&dir)?;
        let addr = super::process::free_loopback_port()?;
        let (admin, log_socket) = (dir.join(ADMIN_SOCKET), dir.join(LOG_SOCKET));
        let conf = dir.join("haproxy.cfg");
        std::fs::write(&conf, render(addr, &spec))?;
        let failures = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        read_log(&log_socket, log.clone(), failures.clone(), stopping.clone())?;
        let startup_log = dir.join("haproxy.log");
        // HAProxy takes socket paths of at most 97 bytes, which a run directory under a long
        // scenario name exceeds: its sockets are named relative to its own directory.
        let child = Command::new("haproxy")
            .current_dir(&dir)
            .arg("-db")
            .arg("-f")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&startup_log)?)
            .stderr(std::fs::File::create(&startup_log)?)
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "start haproxy (the ingress): {e} (scripts/install-deps lab installs it)"
                    ),
                )
            })?;
        let pid = child.id() as i32;
        super::process::wait_listening("haproxy", addr, &startup_log).await?;
        let (changes, rx) = Changes::new();
        let fault = Arc::new(Mutex::new(None));
        tokio::spawn(apply_changes(rx, admin, log, fault.clone()));
        Ok(Arc::new(Self { addr, pid, changes, failures, stopping, fault }))
    }
}

impl DataPlane for HaproxyIngress {
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
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn fault(&self) -> Option<String> {
        self.fault.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        // SAFETY: signalling the HAProxy we started; SIGTERM is its hard stop.
        unsafe { libc::kill(self.pid, libc::SIGTERM) };
    }
}

/// The runtime API's socket and the log's, in the ingress's directory.
const ADMIN_SOCKET: &str = "admin.sock";
const LOG_SOCKET: &str = "log.sock";

fn render(addr: SocketAddr, spec: &IngressSpec) -> String {
    let server_timeout = spec.timeout.0.as_millis().max(1);
    format!(
        "# Written by lameduck lab: the ingress, with haproxy-ingress's defaults.
global
    stats socket unix@{admin_name} level admin
    log unix@{LOG_SOCKET} local0
defaults
    log global
    mode http
    option redispatch
    option dontlognull
    option http-keep-alive
    retries 3
    timeout client 50s
    timeout connect 5s
    timeout http-keep-alive 1m
    timeout queue 5s
    timeout server {server_timeout}ms
    log-format \"{ACCESS_TAG} %s %ST %rc %tsc\"
frontend ingress
    bind {addr}
    default_backend pods
backend pods
    balance roundrobin
",
        admin_name = ADMIN_SOCKET,
    )
}

/// Applies endpoint changes in order through the runtime API.
async fn apply_changes(
    mut rx: mpsc::UnboundedReceiver<Change>,
    admin: PathBuf,
    log: Arc<EventLog>,
    fault: Arc<Mutex<Option<String>>>,
) {
    let mut added: HashSet<String> = HashSet::new();
    while let Some(change) = rx.recv().await {
        let (pod, kind, result) = match change {
            Change::Barrier(done) => {
                let _ = done.send(());
                continue;
            }
            Change::Add(ep) => {
                let result = add(&admin, &ep, added.contains(&ep.pod)).await;
                added.insert(ep.pod.clone());
                (ep.pod, EventKind::EndpointAdded, result)
            }
            Change::Remove(pod) => {
                let result = command(&admin, &format!("disable server pods/{pod}")).await.map(|_| {
                    "applied at the ingress: HAProxy put the server in maintenance (runtime API, no reload)".to_string()
                });
                (pod, EventKind::EndpointRemoved, result)
            }
        };
        let detail = result.unwrap_or_else(|e| {
            let detail = format!("HAProxy runtime API failed: {e}");
            fault.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(detail.clone());
            detail
        });
        log.record(&pod, "", kind, detail);
    }
}

async fn add(admin: &Path, ep: &Backend, known: bool) -> io::Result<String> {
    if !known {
        let ip = super::podnet::link(&ep.netns).await?;
        command(admin, &format!("add server pods/{} {ip}:{}", ep.pod, ep.port)).await?;
    }
    command(admin, &format!("enable server pods/{}", ep.pod)).await?;
    Ok("HAProxy now sends traffic to the pod (runtime API, no reload)".into())
}

/// One runtime API command; HAProxy's answer, an error when it is not empty or a success.
async fn command(admin: &Path, line: &str) -> io::Result<String> {
    let (name, _dir) = super::process::socket_name(admin)?;
    let mut stream = tokio::net::UnixStream::connect(name).await?;
    stream.write_all(format!("{line}\n").as_bytes()).await?;
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer))
        .await
        .map_err(|_| io::Error::other(format!("no answer to `{line}`")))??;
    let answer = answer.trim();
    if answer.is_empty() || answer.starts_with("New server registered") {
        Ok(answer.to_string())
    } else {
        Err(io::Error::other(format!("`{line}`: {answer}")))
    }
}

/// Reads HAProxy's request log on a thread of its own until `stopping`.
fn read_log(
    socket: &Path,
    log: Arc<EventLog>,
    failures: Arc<Mutex<Vec<UpstreamFailure>>>,
    stopping: Arc<AtomicBool>,
) -> io::Result<()> {
    let sock = super::process::bind_log_socket(socket)?;
    sock.set_read_timeout(Some(Duration::from_millis(100)))?;
    let path = socket.to_path_buf();
    std::thread::Builder::new().name("ingress-haproxy-log".into()).spawn(move || {
        let mut buf = vec![0u8; 8192];
        while !stopping.load(Ordering::SeqCst) {
            let Ok(n) = sock.recv(&mut buf) else { continue };
            let text = String::from_utf8_lossy(&buf[..n]);
            let Some(request) = parse(&text) else { continue };
            let found = request.failures();
            let at = Instant::now();
            if found.is_empty() && request.status >= 500 {
                let detail =
                    format!("the pod itself answered {} (passed on to the client)", request.status);
                log.record(&request.server, "", EventKind::Pod5xx, detail);
            }
            for (pod, cause, sent, status, attempt) in found {
                super::report_failure(&log, at, "haproxy", &pod, cause, sent, status);
                let ms = log.ms(at);
                let f = UpstreamFailure { ms, pod, cause, sent, status, attempt };
                failures.lock().unwrap_or_else(|e| e.into_inner()).push(f);
            }
        }
        let _ = std::fs::remove_file(path);
    })?;
    Ok(())
}

/// One request as HAProxy logged it.
#[derive(Debug, PartialEq)]
struct Request {
    /// The server of the last attempt (`<NOSRV>` when there was none).
    server: String,
    status: u16,
    /// Connection retries (HAProxy writes `+N` when it redispatched).
    retries: u32,
    /// Termination state: who ended the session and in which phase.
    state: String,
}

fn parse(message: &str) -> Option<Request> {
    let rest = &message[message.find(ACCESS_TAG)? + ACCESS_TAG.len()..];
    let mut words = rest.split_whitespace();
    Some(Request {
        server: words.next()?.to_string(),
        status: words.next()?.parse().ok()?,
        retries: words.next()?.trim_start_matches('+').parse().ok()?,
        state: words.next()?.to_string(),
    })
}

type Found = (String, Cause, bool, Option<u16>, u32);

impl Request {
    /// The upstream failures of this request: each retried connection, then the last
    /// attempt's when HAProxy itself answered the error.
    fn failures(&self) -> Vec<Found> {
        let mut found: Vec<Found> =
            (1..=self.retries).map(|i| (String::new(), Cause::Refused, false, None, i)).collect();
        let mut state = self.state.chars();
        let (who, phase) = (state.next().unwrap_or('-'), state.next().unwrap_or('-'));
        let attempt = self.retries + 1;
        if self.server == "<NOSRV>" && self.status == 503 {
            found.push((String::new(), Cause::NoEndpoints, false, Some(503), 0));
        } else if self.status >= 500 && matches!(who, 'S' | 's') {
            let cause = match (who, phase) {
                ('s', _) => Cause::Timeout,
                ('S', 'C') => Cause::Refused,
                ('S', 'H') => Cause::Closed,
                _ => Cause::Reset,
            };
            found.push((self.server.clone(), cause, phase != 'C', Some(self.status), attempt));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_the_runtime_api_refuses_is_the_runs_fault() {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(EventLog::new(std::time::Instant::now()));
        let fault = Arc::new(Mutex::new(None));
        let (changes, rx) = Changes::new();
        // No HAProxy listens on this socket: the removal is not applied.
        tokio::spawn(apply_changes(rx, dir.path().join(ADMIN_SOCKET), log, fault.clone()));
        changes.remove("pod-1");
        changes.settled().await;
        let fault = fault.lock().unwrap().clone().expect("the failed change is a fault");
        assert!(fault.starts_with("HAProxy runtime API failed"), "{fault}");
    }

    #[test]
    fn a_refused_server_after_three_retries() {
        let r = parse("<134>Nov 26 17:34:41 haproxy[1]: lameduck-access pod-1 503 3 SC--").unwrap();
        let found = r.failures();
        assert_eq!(found.len(), 4);
        assert_eq!(found[3], ("pod-1".into(), Cause::Refused, false, Some(503), 4));
    }

    #[test]
    fn a_server_that_closed_before_the_headers_is_after_sending() {
        let r = parse("x: lameduck-access pod-2 502 0 SH--").unwrap();
        assert_eq!(r.failures(), [("pod-2".into(), Cause::Closed, true, Some(502), 1)]);
    }

    #[test]
    fn a_pods_own_502_is_not_an_ingress_failure() {
        let r = parse("x: lameduck-access pod-2 502 +1 ----").unwrap();
        assert_eq!(r.retries, 1);
        assert_eq!(r.failures().iter().filter(|f| f.3.is_some()).count(), 0);
    }
}
