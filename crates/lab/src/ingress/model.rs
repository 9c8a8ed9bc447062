//! The in-process data plane: an HTTP/1.1 reverse proxy on the lab's loopback that reaches each
//! pod at its own address (or, where the lab cannot give it one, through a socket created in
//! the pod's network namespace), following one of two models (see docs/lab.md):
//! - `alb` (AWS ALB, as its documentation describes it): no retries; refused, reset or closed
//!   upstream → 502, no connection within 10 s or no response within the timeout → 504, no
//!   targets → 503. Keeps idle connections to targets and drops those the target has closed
//!   before reusing one, so only a close that crosses a request in flight fails it. Targets
//!   register through health checks and drain for the deregistration delay ([`targets`]).
//! - `nginx` (ingress-nginx): `proxy_next_upstream error timeout` with up to 3 tries, on other
//!   endpoints, for requests not yet sent; drops pooled connections the target has closed.
//!
//! Every upstream failure is logged with its cause.
mod targets;
mod upstream;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::events::EventLog;
use crate::http::{is_hop_by_hop, HttpConn, Request};
use crate::scenario::{IngressModel, IngressSpec};
use crate::sys::netns::NetNs;
use lameduck_core::schema::EventKind;

use upstream::Cause;

use super::{Backend, DataPlane, UpstreamFailure};

pub(crate) struct Idle {
    conn: HttpConn<TcpStream>,
    since: Instant,
}

/// The model's state shared by all connections.
pub struct ModelIngress {
    spec: IngressSpec,
    home: NetNs,
    log: Arc<EventLog>,
    targets: Mutex<Vec<targets::Target>>,
    pools: Mutex<HashMap<String, Vec<Idle>>>,
    next: AtomicUsize,
    failures: Mutex<Vec<UpstreamFailure>>,
}

impl ModelIngress {
    pub fn new(spec: IngressSpec, home: NetNs, log: Arc<EventLog>) -> Arc<Self> {
        Arc::new(Self {
            spec,
            home,
            log,
            targets: Mutex::new(Vec::new()),
            pools: Mutex::new(HashMap::new()),
            next: AtomicUsize::new(0),
            failures: Mutex::new(Vec::new()),
        })
    }

    /// Serves on an ephemeral loopback port: the model as a [`DataPlane`].
    pub async fn start(
        spec: IngressSpec,
        home: NetNs,
        log: Arc<EventLog>,
    ) -> std::io::Result<Arc<dyn DataPlane>> {
        let model = Self::new(spec, home, log);
        let (addr, server) = model.serve().await?;
        Ok(Arc::new(Running { model, addr, server, linking: Mutex::new(Vec::new()) }))
    }

    pub fn failures(&self) -> Vec<UpstreamFailure> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn record_failure(
        &self,
        ep: &str,
        cause: Cause,
        sent: bool,
        status: Option<u16>,
        attempt: u32,
    ) {
        let now = Instant::now();
        let ms = self.log.ms(now);
        let model = match self.spec.model {
            IngressModel::Alb => "alb",
            _ => "nginx-model",
        };
        super::report_failure(&self.log, now, model, ep, cause, sent, status);
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).push(UpstreamFailure {
            ms,
            pod: ep.into(),
            cause,
            sent,
            status,
            attempt,
        });
    }

    /// Listens on an ephemeral loopback port of the lab's namespace.
    pub async fn serve(
        self: &Arc<Self>,
    ) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let me = self.clone();
        let handle = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move { me.client_connection(stream).await });
            }
        });
        Ok((addr, handle))
    }

    async fn client_connection(self: Arc<Self>, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let mut conn = HttpConn::new(stream);
        while let Ok(Some(request)) = conn.read_request().await {
            let keep = request.keep_alive;
            let reply = self.handle(&request).await;
            let bytes = reply.to_bytes(keep);
            if conn.stream.write_all(&bytes).await.is_err() || !keep {
                break;
            }
        }
    }

    /// Proxies one request according to the model.
    async fn handle(&self, request: &Request) -> Reply {
        let raw = upstream::encode_request(request, self.spec.keepalive);
        let tries = match self.spec.model {
            IngressModel::Alb => 1,
            _ => 3,
        };
        let mut tried: Vec<String> = Vec::new();
        let mut last: Option<(Cause, bool)> = None;
        for attempt in 1..=tries {
            let Some(ep) = self.pick(&tried) else { break };
            tried.push(ep.backend.pod.clone());
            match self.attempt(&ep, &raw, &request.method).await {
                Ok(reply) => return reply,
                Err((cause, sent)) => {
                    let retry =
                        self.spec.model == IngressModel::NginxModel && !sent && attempt < tries;
                    let status = (!retry).then(|| cause.status());
                    self.record_failure(&ep.backend.pod, cause, sent, status, attempt);
                    last = Some((cause, sent));
                    if !retry {
                        break;
                    }
                }
            }
        }
        match last {
            Some((cause, _)) => Reply::error(cause.status()),
            None => {
                self.record_failure("", Cause::NoEndpoints, false, Some(503), 0);
                Reply::error(503)
            }
        }
    }
}

/// What goes back to the client.
pub struct Reply {
    status: u16,
    reason: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Reply {
    fn error(status: u16) -> Self {
        let reason = match status {
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            _ => "Error",
        };
        Self {
            status,
            reason: reason.into(),
            headers: vec![],
            body: format!("{status} {reason}\n").into_bytes(),
        }
    }

    fn to_bytes(&self, keep_alive: bool) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason).into_bytes();
        for (name, value) in self.headers.iter().filter(|(n, _)| !is_hop_by_hop(n)) {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        let connection = if keep_alive { "keep-alive" } else { "close" };
        out.extend_from_slice(
            format!("Content-Length: {}\r\nConnection: {connection}\r\n\r\n", self.body.len())
                .as_bytes(),
        );
        out.extend_from_slice(&self.body);
        out
    }
}

impl ModelIngress {
    /// No response head within this long → 504 (the ALB's idle timeout).
    pub(crate) fn timeout(&self) -> Duration {
        self.spec.timeout.0
    }

    /// How long a connection to a target may take to be established: 10 s on an ALB ("The
    /// load balancer failed to establish a connection to the target before the connection
    /// timeout expired (10 seconds)" → 504); ingress-nginx's `proxy-connect-timeout` (5 s, then
    /// the next endpoint) in the `nginx` model.
    pub(crate) fn connect_timeout(&self) -> Duration {
        if self.is_alb() {
            ALB_CONNECT_TIMEOUT
        } else {
            NGINX_CONNECT_TIMEOUT
        }
    }
}

/// The ALB's connection timeout to targets (HTTP 504 in "Troubleshoot your Application Load
/// Balancers").
pub const ALB_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// ingress-nginx's `proxy-connect-timeout` default (docs/lab.md, the real `nginx` ingress).
const NGINX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A model serving on its port.
struct Running {
    model: Arc<ModelIngress>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    /// Endpoints being given an address before they are registered, by pod.
    linking: Mutex<Vec<(String, tokio::task::JoinHandle<()>)>>,
}

impl Running {
    /// Waits until the endpoints `which` picks have their addresses and are registered.
    async fn linked(&self, which: impl Fn(&str) -> bool) {
        let tasks: Vec<_> = {
            let mut linking = self.linking.lock().unwrap_or_else(|e| e.into_inner());
            let (picked, rest) =
                std::mem::take(&mut *linking).into_iter().partition(|(p, _)| which(p));
            *linking = rest;
            picked
        };
        for (_, task) in tasks {
            let _ = task.await;
        }
    }
}

impl DataPlane for Running {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Gives the pod its own address first, so that the model connects to it as an ALB
    /// connects to an `ip` target: after the pod's sandbox is gone, connects time out.
    fn add_endpoint(&self, ep: Backend) {
        let (model, pod) = (self.model.clone(), ep.pod.clone());
        let task = tokio::spawn(async move {
            let addr = match super::podnet::link(&ep.netns).await {
                Ok(ip) => Some(ip),
                Err(e) => {
                    model.log.record(
                        &ep.pod,
                        "",
                        EventKind::EndpointAdded,
                        format!("the pod gets no address of its own ({e}): reached inside its namespace, so a connect to it after its sandbox is gone is refused, not timed out"),
                    );
                    None
                }
            };
            model.add_target(ep, addr);
        });
        self.linking.lock().unwrap_or_else(|e| e.into_inner()).push((pod, task));
    }

    fn remove_endpoint(&self, pod: &str) {
        self.model.remove_endpoint(pod);
    }

    fn settled(&self) -> super::Settled<'_> {
        Box::pin(self.linked(|_| true))
    }

    /// Waits for `pod`'s own linking only: several pods' gates wait at once, and one that
    /// took another's linking would find that target not added yet and pass at once.
    fn registered(&self, pod: &str) -> super::Settled<'_> {
        let pod = pod.to_string();
        Box::pin(async move {
            self.linked(|p| p == pod).await;
            if let Some(mut healthy) = self.model.registered(&pod) {
                let _ = healthy.wait_for(|h| *h).await;
            }
        })
    }

    fn failures(&self) -> Vec<UpstreamFailure> {
        self.model.failures()
    }

    fn stop(&self) {
        self.server.abort();
    }
}
