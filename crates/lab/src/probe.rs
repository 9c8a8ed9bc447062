//! Connecting into a pod (from the lab's side) and readiness probes (`tcpSocket`, `httpGet`).
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{FromRawFd, IntoRawFd};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use crate::http::HttpConn;
use crate::pod::PodRt;
use crate::scenario::Probe;
use crate::sys::netns::NetNs;

/// Connects to `127.0.0.1:port` *inside* the pod's network namespace.
pub async fn connect_in(
    pod_ns: &NetNs,
    home: &NetNs,
    port: u16,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let (pod_ns, home) = (pod_ns.clone(), home.clone());
    let fd = tokio::task::spawn_blocking(move || pod_ns.tcp_socket(&home))
        .await
        .map_err(|_| io::Error::other("socket thread failed"))??;
    // SAFETY: the descriptor is a fresh TCP socket we own.
    let std_stream = unsafe { std::net::TcpStream::from_raw_fd(fd.into_raw_fd()) };
    let socket = TcpSocket::from_std_stream(std_stream);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match tokio::time::timeout(timeout, socket.connect(addr)).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
    }
}

/// One probe attempt against the pod.
pub async fn probe_once(pod: &PodRt, home: &NetNs, port: u16, probe: Option<&Probe>) -> bool {
    let timeout = Duration::from_secs(probe.map(|p| p.timeout_seconds.max(1)).unwrap_or(1));
    let Ok(stream) = connect_in(&pod.netns, home, port, timeout).await else { return false };
    let Some(http) = probe.and_then(|p| p.http_get.as_ref()) else { return true };
    let host = format!("{}:{port}", pod.name);
    matches!(http_get(stream, &host, &http.path, "kube-probe/lab", timeout).await, Some(s) if (200..400).contains(&s))
}

/// Sends `GET path` on a connected stream and returns the response's status, `None` when
/// there is none within `timeout`.
pub async fn http_get(
    mut stream: TcpStream,
    host: &str,
    path: &str,
    agent: &str,
    timeout: Duration,
) -> Option<u16> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {agent}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut conn = HttpConn::new(stream);
    match tokio::time::timeout(timeout, conn.read_response("GET")).await {
        Ok(Ok(r)) => Some(r.status),
        _ => None,
    }
}

/// The checks that decide the pod's readiness, one per container: its readinessProbe, else a
/// TCP check of each port it declares (so a pod is not ready before all its servers listen).
pub fn readiness(pod: &PodRt) -> Vec<(u16, Option<Probe>)> {
    let mut checks = Vec::new();
    for c in &pod.containers {
        if let Some(p) = &c.spec.readiness_probe {
            let port = p
                .http_get
                .as_ref()
                .map(|h| &h.port)
                .or(p.tcp_socket.as_ref().map(|t| &t.port))
                .and_then(|port| c.spec.port_number(port))
                .unwrap_or(pod.port);
            checks.push((port, Some(p.clone())));
        } else {
            checks.extend(c.spec.ports.iter().map(|p| (p.container_port, None)));
        }
    }
    checks
}

/// Waits until the pod passes every readiness check, polling quickly (the lab compresses
/// time: `periodSeconds` is not waited for).
pub async fn wait_ready(pod: &PodRt, home: &NetNs, limit: Duration) -> io::Result<Duration> {
    let start = Instant::now();
    for (port, probe) in readiness(pod) {
        let needed = probe.as_ref().map(|p| p.success_threshold.max(1)).unwrap_or(1);
        if let Some(p) = &probe {
            tokio::time::sleep_until((start + Duration::from_secs(p.initial_delay_seconds)).into())
                .await;
        }
        let mut successes = 0;
        loop {
            if let Some((c, exit)) =
                pod.containers.iter().find_map(|c| c.exited().map(|exit| (c, exit)))
            {
                return Err(io::Error::other(c.startup_failure(&pod.name, &exit)));
            }
            if probe_once(pod, home, port, probe.as_ref()).await {
                successes += 1;
                if successes >= needed {
                    break;
                }
            } else {
                successes = 0;
            }
            if start.elapsed() > limit {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("pod {} not ready after {limit:?} (port {port})", pod.name),
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(start.elapsed())
}
