//! The silences a pod's traffic normally has, read back from the kernel's socket table, so that
//! the auto drain can tell "the load balancer has stopped sending" from "no request happened to
//! come for a while".
//!
//! A fixed `quiet` of 1 s is right for a pod that gets a request every few milliseconds and
//! wrong for one that gets a request every two seconds: there, one second of silence happens
//! all the time, and a drain that ends on it quits nginx while the load balancer still sends.
//! So the drain asks for a silence several times longer than the longest gap the traffic has
//! shown ([`crate::drain`] applies the factor).
//!
//! The kernel keeps enough history to estimate that gap when the drain starts, with no need to
//! have watched before (a preStop hook only starts at termination):
//! - every connection on a watched port says when data last arrived on it
//!   (`tcpi_last_data_recv`), or when it opened if nothing came yet;
//! - every connection closed by the server in the last minute lingers in TIME_WAIT for exactly
//!   [`TIME_WAIT_LENGTH`], so the time left on its timer dates its close.
//!
//! These points are activity the pod certainly saw. Requests that left no point (earlier
//! requests on a keep-alive connection) may have filled a gap between two points, so a gap
//! computed here can only be too long, never too short: the error costs drain time, bounded by
//! the drain's `max`, and never a request.
use std::time::Duration;

use crate::netstat::{TcpSocket, TCP_ESTABLISHED, TCP_TIME_WAIT};

/// How long Linux keeps a socket in TIME_WAIT (`TCP_TIMEWAIT_LEN`, fixed at build time).
pub const TIME_WAIT_LENGTH: Duration = Duration::from_secs(60);

/// What the socket table tells of the recent traffic on some ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentTraffic {
    /// Time since the latest activity.
    pub since_latest: Duration,
    /// The longest silence, the one since the latest activity included.
    pub longest_gap: Duration,
}

/// The recent traffic on `ports`; `None` when the socket table holds no trace of traffic
/// (nothing in the last minute, or a kernel without `sock_diag`).
pub fn recent_traffic(sockets: &[TcpSocket], ports: &[u16]) -> Option<RecentTraffic> {
    let mut ages: Vec<Duration> = sockets
        .iter()
        .filter(|socket| ports.contains(&socket.local_port))
        .filter_map(activity_age)
        .filter(|age| *age <= TIME_WAIT_LENGTH)
        .collect();
    ages.sort_unstable();
    let since_latest = *ages.first()?;
    let between = ages.windows(2).map(|pair| pair[1] - pair[0]);
    Some(RecentTraffic { since_latest, longest_gap: between.fold(since_latest, Duration::max) })
}

/// How long ago `socket` last showed activity, if it tells.
fn activity_age(socket: &TcpSocket) -> Option<Duration> {
    match socket.state {
        TCP_ESTABLISHED => socket.since_data_received,
        TCP_TIME_WAIT => socket.timer_left.map(|left| TIME_WAIT_LENGTH.saturating_sub(left)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(state: u8, port: u16, since_data: u64, timer_left: u64) -> TcpSocket {
        TcpSocket {
            state,
            local_port: port,
            remote: String::new(),
            inode: 0,
            receive_queue: 0,
            bytes_received: Some(1),
            since_data_received: Some(Duration::from_millis(since_data)),
            timer_left: Some(Duration::from_millis(timer_left)),
        }
    }

    #[test]
    fn the_longest_gap_spans_closed_and_open_connections() {
        let ms = Duration::from_millis;
        let sockets = [
            // Open connection, data 300 ms ago.
            socket(TCP_ESTABLISHED, 80, 300, 0),
            // Closed 2.3 s and 2.6 s ago (57.7 s and 57.4 s left in TIME_WAIT).
            socket(TCP_TIME_WAIT, 80, 0, 57_700),
            socket(TCP_TIME_WAIT, 80, 0, 57_400),
            // Another port is not watched.
            socket(TCP_ESTABLISHED, 9000, 1_000, 0),
        ];
        let traffic = recent_traffic(&sockets, &[80]).unwrap();
        assert_eq!(traffic, RecentTraffic { since_latest: ms(300), longest_gap: ms(2000) });
    }

    #[test]
    fn the_current_silence_counts_and_no_trace_means_unknown() {
        let ms = Duration::from_millis;
        let sockets = [socket(TCP_ESTABLISHED, 80, 4_000, 0)];
        let traffic = recent_traffic(&sockets, &[80]).unwrap();
        assert_eq!(traffic, RecentTraffic { since_latest: ms(4000), longest_gap: ms(4000) });
        assert_eq!(recent_traffic(&sockets, &[443]), None);
        // A listener carries no activity time.
        let listener = socket(crate::netstat::TCP_LISTEN, 80, 10, 0);
        assert_eq!(recent_traffic(&[listener], &[80]), None);
    }

    #[test]
    fn a_real_connection_and_a_real_time_wait_are_dated() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        client.write_all(b"ping").unwrap();
        server.read_exact(&mut [0u8; 4]).unwrap();
        // The server closes first, so its side of the connection goes to TIME_WAIT.
        drop(server);
        client.read_exact(&mut [0u8; 1]).unwrap_err();
        drop(client);
        let sockets = crate::netstat::tcp_sockets_with_time_wait().unwrap();
        let ours: Vec<_> = sockets.iter().filter(|s| s.local_port == port).collect();
        assert!(ours.iter().any(|s| s.state == TCP_TIME_WAIT), "{ours:?}");
        let gap =
            recent_traffic(&sockets, &[port]).expect("the TIME_WAIT socket is dated").longest_gap;
        assert!(gap < Duration::from_secs(5), "closed just now, not {gap:?} ago");
    }
}
