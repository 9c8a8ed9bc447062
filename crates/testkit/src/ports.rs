//! Free loopback ports and readiness by polling, never by sleeping a guessed time.
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 that was free a moment ago (bind port 0, read it, release it). Another
/// process may take it before you do: callers retry on "address in use".
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`, or `timeout` passes.
/// `still_starting` is asked between attempts and stops the wait early when it says false
/// (e.g. the server process exited).
pub fn wait_for_port(
    port: u16,
    timeout: Duration,
    mut still_starting: impl FnMut() -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        if !still_starting() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}
