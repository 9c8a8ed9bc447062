//! The kernel's socket tables for the current network namespace: TCP via `sock_diag` netlink
//! (which also gives `tcpi_bytes_received`), falling back to `/proc/net/tcp{,6}`; unix sockets via
//! `/proc/net/unix`. In a pod every container shares the network namespace, so this is what the
//! pod as a whole sees.
use std::io;

use crate::sock_diag;
pub use crate::tcp_socket::{TcpSocket, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_RECV, TCP_TIME_WAIT};

/// The TCP sockets (IPv4 and IPv6) in this network namespace, without those in TIME_WAIT.
///
/// The callers poll this several times a second while a pod shuts down, and a pod that closes a
/// connection per request holds a minute's worth of TIME_WAIT sockets, easily a hundred times its
/// live ones: leaving them out in the kernel keeps each sample cheap on a busy node.
pub fn tcp_sockets() -> io::Result<Vec<TcpSocket>> {
    sockets_in(!(1 << TCP_TIME_WAIT))
}

/// Every TCP socket, TIME_WAIT included (the traffic history of [`crate::traffic_gaps`]).
pub fn tcp_sockets_with_time_wait() -> io::Result<Vec<TcpSocket>> {
    sockets_in(u32::MAX)
}

fn sockets_in(states: u32) -> io::Result<Vec<TcpSocket>> {
    match sock_diag::tcp_sockets(states) {
        Ok(sockets) => Ok(sockets),
        Err(_) => {
            let mut sockets = proc_net_tcp("/proc/net/tcp")?;
            // IPv6 may be disabled in the kernel; then only IPv4 exists.
            if let Ok(v6) = proc_net_tcp("/proc/net/tcp6") {
                sockets.extend(v6);
            }
            sockets.retain(|socket| states & (1 << socket.state) != 0);
            Ok(sockets)
        }
    }
}

/// Ports that have a listening TCP socket.
pub fn listening_ports(sockets: &[TcpSocket]) -> Vec<u16> {
    let mut ports: Vec<u16> =
        sockets.iter().filter(|s| s.state == TCP_LISTEN).map(|s| s.local_port).collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

fn proc_net_tcp(path: &str) -> io::Result<Vec<TcpSocket>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().skip(1).filter_map(parse_proc_tcp_line).collect())
}

/// Parses `  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 12345 …`.
fn parse_proc_tcp_line(line: &str) -> Option<TcpSocket> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let local = fields.get(1)?;
    let port_hex = local.rsplit(':').next()?;
    let (_, receive_hex) = fields.get(4)?.split_once(':')?;
    Some(TcpSocket {
        state: u8::from_str_radix(fields.get(3)?, 16).ok()?,
        local_port: u16::from_str_radix(port_hex, 16).ok()?,
        remote: fields.get(2)?.to_string(),
        inode: fields.get(9)?.parse().ok()?,
        receive_queue: u32::from_str_radix(receive_hex, 16).ok()?,
        bytes_received: None,
        since_data_received: None,
        timer_left: None,
    })
}

/// Number of connected unix sockets bound to `path` (accepted connections and those waiting to
/// be accepted), not counting the listener itself.
pub fn unix_connections(path: &str) -> io::Result<usize> {
    let text = std::fs::read_to_string("/proc/net/unix")?;
    Ok(count_unix_connections(&text, path))
}

/// `Num RefCount Protocol Flags Type St Inode Path`; St 03 = connected, flag 0x10000 = listener.
fn count_unix_connections(table: &str, path: &str) -> usize {
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let listening = fields
                .get(3)
                .and_then(|flags| u32::from_str_radix(flags, 16).ok())
                .is_some_and(|flags| flags & 0x10000 != 0);
            fields.len() >= 8 && fields[7] == path && fields[5] == "03" && !listening
        })
        .count()
}

/// True when a unix socket at `path` is listening (bound is not enough: the listener flag
/// 0x10000 is set only by `listen()`).
pub fn unix_listening(path: &str) -> io::Result<bool> {
    let text = std::fs::read_to_string("/proc/net/unix")?;
    Ok(text.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let listening = fields
            .get(3)
            .and_then(|flags| u32::from_str_radix(flags, 16).ok())
            .is_some_and(|flags| flags & 0x10000 != 0);
        fields.len() >= 8 && fields[7] == path && listening
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_net_tcp_lines() {
        let line = "   0: 0100007F:1F90 0100007F:C350 01 00000000:0000002A 00:00000000 00000000     0        0 4242 1 0000000000000000 20 4 30 10 -1";
        let socket = parse_proc_tcp_line(line).unwrap();
        assert_eq!(socket.local_port, 8080);
        assert_eq!(socket.state, TCP_ESTABLISHED);
        assert_eq!(socket.inode, 4242);
        assert_eq!(socket.receive_queue, 42);
    }

    #[test]
    fn counts_connected_unix_sockets_but_not_the_listener() {
        let table = "Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 100 /run/php/fpm.sock
0000000000000000: 00000003 00000000 00000000 0001 03 101 /run/php/fpm.sock
0000000000000000: 00000003 00000000 00000000 0001 03 102
0000000000000000: 00000003 00000000 00000000 0001 03 103 /run/other.sock
";
        assert_eq!(count_unix_connections(table, "/run/php/fpm.sock"), 1);
    }

    #[test]
    fn sees_a_real_listener_and_its_connection() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let _client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let sockets = tcp_sockets().unwrap();
        assert!(listening_ports(&sockets).contains(&port));
        // The server side of the connection is queued on the listener, not yet accepted.
        assert!(sockets.iter().any(|s| s.local_port == port && s.is_connection()));
        let from_proc = proc_net_tcp("/proc/net/tcp").unwrap();
        assert!(listening_ports(&from_proc).contains(&port));
    }
}
