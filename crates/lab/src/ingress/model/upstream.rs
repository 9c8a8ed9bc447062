//! One attempt to one target: take a pooled connection or open one to the pod, write the
//! request, read the response, and name the cause when it fails.
use std::time::Instant;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::targets::Picked;
use super::{Idle, ModelIngress, Reply};
use crate::http::{is_hop_by_hop, HttpConn, ReadError, Request};
use lameduck_core::schema::EventKind;

pub use lameduck_core::schema::Cause;

fn io_cause(e: &std::io::Error) -> Cause {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => Cause::Refused,
        std::io::ErrorKind::TimedOut => Cause::Timeout,
        std::io::ErrorKind::UnexpectedEof => Cause::Closed,
        _ => Cause::Reset,
    }
}

/// The request as sent upstream: hop-by-hop headers replaced by the ingress's own.
pub fn encode_request(request: &Request, keepalive: bool) -> Vec<u8> {
    let mut out = format!("{} {} HTTP/1.1\r\n", request.method, request.target).into_bytes();
    for (name, value) in request.headers.iter().filter(|(n, _)| !is_hop_by_hop(n)) {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    let connection = if keepalive { "keep-alive" } else { "close" };
    out.extend_from_slice(
        format!("Content-Length: {}\r\nConnection: {connection}\r\n\r\n", request.body.len())
            .as_bytes(),
    );
    out.extend_from_slice(&request.body);
    out
}

impl ModelIngress {
    /// Takes an idle connection to `pod`, newest first, dropping expired ones and those the
    /// target has already closed: a close that arrived before the request is written costs a
    /// new connection, not the request (both models; an ALB fails a request only when the
    /// target's FIN or RST crosses it, "while the load balancer had an outstanding request").
    fn take_idle(&self, pod: &str) -> Option<HttpConn<TcpStream>> {
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        let pool = pools.get_mut(pod)?;
        while let Some(idle) = pool.pop() {
            if idle.since.elapsed() >= self.spec.idle_timeout.0 || closed_by_peer(&idle.conn) {
                continue;
            }
            return Some(idle.conn);
        }
        None
    }

    fn put_idle(&self, pod: &str, conn: HttpConn<TcpStream>) {
        if !self.routable(pod) {
            return;
        }
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        pools.entry(pod.to_string()).or_default().push(Idle { conn, since: Instant::now() });
    }

    /// One attempt: `Err((cause, sent))` on failure.
    pub(super) async fn attempt(
        &self,
        target: &Picked,
        raw: &[u8],
        method: &str,
    ) -> Result<Reply, (Cause, bool)> {
        let ep = &target.backend;
        let mut conn = match self.take_idle(&ep.pod) {
            Some(conn) => conn,
            None => {
                let stream = self
                    .connect(ep, target.addr, self.connect_timeout())
                    .await
                    .map_err(|e| (io_cause(&e), false))?;
                let _ = stream.set_nodelay(true);
                HttpConn::new(stream)
            }
        };
        conn.stream.write_all(raw).await.map_err(|e| (io_cause(&e), false))?;
        let mut cut = target.cut.clone();
        let deregistered = async move {
            // A target that leaves without a delay (`nginx` model) never cuts its requests.
            if cut.wait_for(|c| *c).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let read = tokio::time::timeout(self.timeout(), conn.read_response(method));
        let response = match tokio::select! {
            read = read => read,
            () = deregistered => return Err((Cause::Deregistered, true)),
        } {
            Err(_) => return Err((Cause::Timeout, true)),
            Ok(Err(ReadError::Closed)) => return Err((Cause::Closed, true)),
            Ok(Err(ReadError::Io(e))) => return Err((io_cause(&e), true)),
            Ok(Err(ReadError::Malformed)) => return Err((Cause::Malformed, true)),
            Ok(Ok(r)) => r,
        };
        if response.status >= 500 {
            self.log.record(
                &ep.pod,
                "",
                EventKind::Pod5xx,
                format!(
                    "the pod itself answered {} {} (passed on to the client)",
                    response.status, response.reason
                ),
            );
        }
        let reuse = self.spec.keepalive && response.keep_alive && conn.buffered() == 0;
        if reuse {
            self.put_idle(&ep.pod, conn);
        }
        Ok(Reply {
            status: response.status,
            reason: response.reason,
            headers: response.headers,
            body: response.body,
        })
    }
}

/// True when the peer has closed (or sent unexpected bytes on) an idle connection.
fn closed_by_peer(conn: &HttpConn<TcpStream>) -> bool {
    let mut byte = [0u8; 1];
    match conn.stream.try_read(&mut byte) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}
