//! The ingress models, one failure cause at a time, against real sockets. The "pods" here are
//! plain listeners in the test's own network namespace (joining it needs root, as in CI).
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lameduck_lab::events::EventLog;
use lameduck_lab::ingress::{Backend, Cause, ModelIngress};
use lameduck_lab::scenario::alb::HealthCheck;
use lameduck_lab::scenario::{Dur, IngressModel, IngressSpec};
use lameduck_lab::sys::netns::NetNs;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use lameduck_testkit::is_root;

/// How a fake target treats each connection.
#[derive(Clone, Copy)]
enum Target {
    /// Answers 200 with keep-alive, on every request.
    Ok,
    /// Answers one request with `Connection: keep-alive`, then closes (like nginx after
    /// keepalive_timeout or during a graceful stop).
    OkThenClose,
    /// Reads the request, then resets the connection.
    Reset,
    /// Reads the request, then closes without answering.
    Close,
    /// Reads the request and never answers.
    Silent,
    /// Answers the first request with keep-alive, then closes when the next one arrives (its
    /// close crosses that request).
    OkThenCloseOnNext,
    /// Answers 200 after 2 s.
    Slow,
}

async fn read_head(stream: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&byte[..n]),
        }
    }
    true
}

async fn target(kind: Target) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut answered = false;
                loop {
                    if !read_head(&mut stream).await {
                        return;
                    }
                    let crossing = matches!(kind, Target::OkThenCloseOnNext) && answered;
                    answered = true;
                    match kind {
                        Target::OkThenCloseOnNext if crossing => return,
                        Target::Ok | Target::OkThenClose | Target::OkThenCloseOnNext => {
                            let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n";
                            if stream.write_all(reply).await.is_err() {
                                return;
                            }
                            if matches!(kind, Target::OkThenClose) {
                                return;
                            }
                        }
                        Target::Reset => {
                            // SO_LINGER 0: closing sends a reset instead of a FIN.
                            let linger = libc::linger { l_onoff: 1, l_linger: 0 };
                            // SAFETY: setsockopt on a socket we own, with a valid linger struct.
                            unsafe {
                                libc::setsockopt(
                                    std::os::fd::AsRawFd::as_raw_fd(&stream),
                                    libc::SOL_SOCKET,
                                    libc::SO_LINGER,
                                    (&linger as *const libc::linger).cast(),
                                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                                );
                            }
                            return;
                        }
                        Target::Close => return,
                        Target::Slow => {
                            tokio::time::sleep(Duration::from_secs(2)).await;
                            let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
                            if stream.write_all(reply).await.is_err() {
                                return;
                            }
                        }
                        Target::Silent => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            return;
                        }
                    }
                }
            });
        }
    });
    port
}

/// A port nothing listens on.
async fn refusing_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

async fn ingress(model: IngressModel, ports: &[u16]) -> (Arc<ModelIngress>, SocketAddr) {
    let spec = IngressSpec { model, timeout: Dur::from_millis(300), ..IngressSpec::default() };
    ingress_with(spec, ports).await
}

async fn ingress_with(spec: IngressSpec, ports: &[u16]) -> (Arc<ModelIngress>, SocketAddr) {
    let ns = NetNs::current().unwrap();
    let ingress = ModelIngress::new(spec, ns.clone(), Arc::new(EventLog::new(Instant::now())));
    for (i, port) in ports.iter().enumerate() {
        ingress.add_endpoint(Backend {
            pod: format!("pod-{}", i + 1),
            netns: ns.clone(),
            port: *port,
        });
    }
    let (addr, _) = ingress.serve().await.unwrap();
    (ingress, addr)
}

async fn get(addr: SocketAddr) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn causes(ingress: &ModelIngress) -> Vec<Cause> {
    ingress.failures().iter().map(|f| f.cause).collect()
}

#[tokio::test]
async fn alb_refused_is_502() {
    if !is_root() {
        return;
    }
    let (ing, addr) = ingress(IngressModel::Alb, &[refusing_port().await]).await;
    assert_eq!(get(addr).await, 502);
    assert_eq!(causes(&ing), [Cause::Refused]);
}

#[tokio::test]
async fn alb_reset_is_502() {
    if !is_root() {
        return;
    }
    let (ing, addr) = ingress(IngressModel::Alb, &[target(Target::Reset).await]).await;
    assert_eq!(get(addr).await, 502);
    assert_eq!(causes(&ing), [Cause::Reset]);
}

#[tokio::test]
async fn alb_closed_before_response_is_502() {
    if !is_root() {
        return;
    }
    let (ing, addr) = ingress(IngressModel::Alb, &[target(Target::Close).await]).await;
    assert_eq!(get(addr).await, 502);
    assert_eq!(causes(&ing), [Cause::Closed]);
}

#[tokio::test]
async fn alb_upstream_timeout_is_504() {
    if !is_root() {
        return;
    }
    let (ing, addr) = ingress(IngressModel::Alb, &[target(Target::Silent).await]).await;
    assert_eq!(get(addr).await, 504);
    assert_eq!(causes(&ing), [Cause::Timeout]);
}

#[tokio::test]
async fn no_endpoints_is_503() {
    if !is_root() {
        return;
    }
    let (ing, addr) = ingress(IngressModel::Alb, &[]).await;
    assert_eq!(get(addr).await, 503);
    assert_eq!(causes(&ing), [Cause::NoEndpoints]);
    let (_, addr) = ingress(IngressModel::NginxModel, &[]).await;
    assert_eq!(get(addr).await, 503);
}

#[tokio::test]
async fn alb_drops_a_pooled_connection_the_pod_already_closed() {
    if !is_root() {
        return;
    }
    let (ing, addr) = ingress(IngressModel::Alb, &[target(Target::OkThenClose).await]).await;
    assert_eq!(get(addr).await, 200);
    // Let the target's close arrive before the next request: a new connection carries it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(get(addr).await, 200);
    assert_eq!(causes(&ing), []);
}

#[tokio::test]
async fn alb_fails_a_request_the_pods_close_crosses() {
    if !is_root() {
        return;
    }
    let (ing, addr) = ingress(IngressModel::Alb, &[target(Target::OkThenCloseOnNext).await]).await;
    assert_eq!(get(addr).await, 200);
    assert_eq!(get(addr).await, 502);
    assert_eq!(causes(&ing), [Cause::Closed]);
    assert!(ing.failures()[0].sent, "the request was on the wire when the pod closed");
}

/// An `alb` model with one healthy-answering target, checked every 300 ms (2 in a row).
async fn alb_with_health_checks() -> (Arc<ModelIngress>, SocketAddr) {
    let health_check = HealthCheck {
        interval: Dur::from_millis(300),
        timeout: Dur::from_millis(200),
        ..HealthCheck::default()
    };
    let spec = IngressSpec { health_check: Some(health_check), ..IngressSpec::default() };
    ingress_with(spec, &[target(Target::Ok).await]).await
}

#[tokio::test]
async fn alb_sends_nothing_to_a_target_before_it_passes_its_health_checks() {
    if !is_root() {
        return;
    }
    let (ing, addr) = alb_with_health_checks().await;
    assert_eq!(get(addr).await, 503, "initial: the target is registered but not healthy yet");
    let mut healthy = ing.registered("pod-1").unwrap();
    tokio::time::timeout(Duration::from_secs(10), healthy.wait_for(|h| *h))
        .await
        .expect("healthy after two checks")
        .unwrap();
    assert_eq!(get(addr).await, 200);
}

/// A target that turns healthy while nobody waits for it (a run's first pods are gated one
/// after the other) is still seen healthy by whoever asks later: before, the news was lost and
/// the later readiness gate waited until its bound ("its target was not healthy after 65s").
#[tokio::test]
async fn alb_a_target_healthy_before_anyone_waits_is_seen_healthy() {
    if !is_root() {
        return;
    }
    let (ing, addr) = alb_with_health_checks().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(addr).await != 200 {
        assert!(Instant::now() < deadline, "the target never got traffic");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let healthy = ing.registered("pod-1").expect("registered");
    assert!(*healthy.borrow(), "the target gets traffic, so it is healthy");
}

#[tokio::test]
async fn alb_closes_requests_in_flight_when_the_deregistration_delay_ends() {
    if !is_root() {
        return;
    }
    let spec = IngressSpec {
        timeout: Dur::from_millis(5_000),
        deregistration_delay: Dur::from_millis(300),
        ..IngressSpec::default()
    };
    let (ing, addr) = ingress_with(spec, &[target(Target::Slow).await]).await;
    let in_flight = tokio::spawn(get(addr));
    tokio::time::sleep(Duration::from_millis(100)).await;
    ing.remove_endpoint("pod-1");
    assert_eq!(get(addr).await, 503, "no new requests to a draining target");
    assert_eq!(in_flight.await.unwrap(), 502, "cut when the delay (300 ms) ended, not after 2 s");
    assert_eq!(causes(&ing), [Cause::NoEndpoints, Cause::Deregistered]);
}

#[tokio::test]
async fn alb_lets_requests_in_flight_finish_within_the_deregistration_delay() {
    if !is_root() {
        return;
    }
    let spec = IngressSpec { timeout: Dur::from_millis(5_000), ..IngressSpec::default() };
    let (ing, addr) = ingress_with(spec, &[target(Target::Slow).await]).await;
    let in_flight = tokio::spawn(get(addr));
    tokio::time::sleep(Duration::from_millis(100)).await;
    ing.remove_endpoint("pod-1");
    assert_eq!(in_flight.await.unwrap(), 200, "the default delay (300 s) outlasts it");
    assert_eq!(causes(&ing), []);
}

#[tokio::test]
async fn nginx_drops_connections_the_pod_closed() {
    if !is_root() {
        return;
    }
    let (ing, addr) = ingress(IngressModel::NginxModel, &[target(Target::OkThenClose).await]).await;
    assert_eq!(get(addr).await, 200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(get(addr).await, 200);
    assert!(causes(&ing).is_empty());
}

#[tokio::test]
async fn alb_does_not_retry_but_nginx_tries_another_endpoint() {
    if !is_root() {
        return;
    }
    let ports = [refusing_port().await, target(Target::Ok).await];
    let (alb, addr) = ingress(IngressModel::Alb, &ports).await;
    let statuses = [get(addr).await, get(addr).await];
    assert!(statuses.contains(&502) && statuses.contains(&200), "{statuses:?}");
    assert_eq!(causes(&alb), [Cause::Refused]);

    let (nginx, addr) = ingress(IngressModel::NginxModel, &ports).await;
    for _ in 0..4 {
        assert_eq!(get(addr).await, 200);
    }
    let failures = nginx.failures();
    assert!(
        !failures.is_empty()
            && failures.iter().all(|f| f.cause == Cause::Refused && f.status.is_none()),
        "{failures:?}"
    );
}

#[tokio::test]
async fn nginx_does_not_retry_a_request_already_sent() {
    if !is_root() {
        return;
    }
    let ports = [target(Target::Close).await, target(Target::Ok).await];
    let (nginx, addr) = ingress(IngressModel::NginxModel, &ports).await;
    let statuses = [get(addr).await, get(addr).await];
    assert!(statuses.contains(&502) && statuses.contains(&200), "{statuses:?}");
    let failures = nginx.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].sent && failures[0].status == Some(502));
}

#[tokio::test]
async fn nginx_gives_up_after_three_tries() {
    if !is_root() {
        return;
    }
    let mut ports = Vec::new();
    for _ in 0..4 {
        ports.push(refusing_port().await);
    }
    let (nginx, addr) = ingress(IngressModel::NginxModel, &ports).await;
    assert_eq!(get(addr).await, 502);
    let failures = nginx.failures();
    assert_eq!(failures.len(), 3, "{failures:?}");
    assert_eq!(failures.last().unwrap().status, Some(502));
}
