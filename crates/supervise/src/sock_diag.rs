//! A minimal `NETLINK_SOCK_DIAG` client: dumps the TCP sockets of the current network namespace
//! with their `tcp_info`, whose `tcpi_bytes_received` shows traffic on keep-alive connections that
//! `/proc/net/tcp` cannot (a server reads its socket at once, so the receive queue stays empty).
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use crate::tcp_socket::TcpSocket;

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const INET_DIAG_INFO: u16 = 2;
const HEADER_LEN: usize = 16;
const REQUEST_LEN: usize = 56;
const MESSAGE_LEN: usize = 72;
/// Offset of `tcpi_bytes_received` in `struct tcp_info` (stable kernel ABI since 4.1).
const BYTES_RECEIVED_OFFSET: usize = 128;
/// Offset of `tcpi_last_data_recv` (milliseconds) in `struct tcp_info`.
const LAST_DATA_RECV_OFFSET: usize = 52;
/// Offset of `idiag_expires` (milliseconds) in `struct inet_diag_msg`.
const EXPIRES_OFFSET: usize = 52;

/// The TCP sockets whose state is in `states` (a bit per state, `1 << TCP_ESTABLISHED` …), IPv4
/// then IPv6 (IPv6 silently skipped when the kernel has none).
pub fn tcp_sockets(states: u32) -> io::Result<Vec<TcpSocket>> {
    let socket = open()?;
    let mut sockets = dump(&socket, libc::AF_INET as u8, states)?;
    if let Ok(v6) = dump(&socket, libc::AF_INET6 as u8, states) {
        sockets.extend(v6);
    }
    Ok(sockets)
}

fn open() -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2) call; the result is checked before it is wrapped.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_SOCK_DIAG,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn dump(socket: &OwnedFd, family: u8, states: u32) -> io::Result<Vec<TcpSocket>> {
    let mut request = [0u8; HEADER_LEN + REQUEST_LEN];
    request[0..4].copy_from_slice(&((HEADER_LEN + REQUEST_LEN) as u32).to_ne_bytes());
    request[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    request[6..8].copy_from_slice(&flags.to_ne_bytes());
    request[8..12].copy_from_slice(&1u32.to_ne_bytes());
    request[16] = family;
    request[17] = libc::IPPROTO_TCP as u8;
    request[18] = 1 << (INET_DIAG_INFO - 1);
    request[20..24].copy_from_slice(&states.to_ne_bytes());
    // SAFETY: the buffer is valid for its length; the kernel is the default destination.
    let sent = unsafe { libc::send(socket.as_raw_fd(), request.as_ptr().cast(), request.len(), 0) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut sockets = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        // SAFETY: the buffer is valid for writes of its length.
        let received =
            unsafe { libc::recv(socket.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len(), 0) };
        if received < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut data = &buffer[..received as usize];
        while data.len() >= HEADER_LEN {
            let length = u32::from_ne_bytes(data[0..4].try_into().unwrap()) as usize;
            let kind = u16::from_ne_bytes(data[4..6].try_into().unwrap());
            if length < HEADER_LEN || length > data.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "truncated netlink message",
                ));
            }
            match kind {
                NLMSG_DONE => return Ok(sockets),
                NLMSG_ERROR => {
                    let errno = data
                        .get(16..20)
                        .map(|b| i32::from_ne_bytes(b.try_into().unwrap()))
                        .unwrap_or(0);
                    return Err(io::Error::from_raw_os_error(-errno));
                }
                SOCK_DIAG_BY_FAMILY => {
                    if let Some(socket) = parse_message(&data[HEADER_LEN..length]) {
                        sockets.push(socket);
                    }
                }
                _ => {}
            }
            data = &data[align(length).min(data.len())..];
        }
    }
}

fn align(length: usize) -> usize {
    (length + 3) & !3
}

fn parse_message(message: &[u8]) -> Option<TcpSocket> {
    if message.len() < MESSAGE_LEN {
        return None;
    }
    let u32_at =
        |offset: usize| u32::from_ne_bytes(message[offset..offset + 4].try_into().unwrap());
    let local_port = u16::from_be_bytes([message[4], message[5]]);
    let remote_port = u16::from_be_bytes([message[6], message[7]]);
    let remote: String =
        message[24..40].iter().map(|byte| format!("{byte:02x}")).collect::<String>();
    let mut bytes_received = None;
    let mut since_data_received = None;
    let mut attributes = &message[MESSAGE_LEN..];
    while attributes.len() >= 4 {
        let length = u16::from_ne_bytes([attributes[0], attributes[1]]) as usize;
        let kind = u16::from_ne_bytes([attributes[2], attributes[3]]);
        if length < 4 || length > attributes.len() {
            break;
        }
        let payload = &attributes[4..length];
        if kind == INET_DIAG_INFO && payload.len() >= BYTES_RECEIVED_OFFSET + 8 {
            let bytes = &payload[BYTES_RECEIVED_OFFSET..BYTES_RECEIVED_OFFSET + 8];
            bytes_received = Some(u64::from_ne_bytes(bytes.try_into().unwrap()));
            let millis = &payload[LAST_DATA_RECV_OFFSET..LAST_DATA_RECV_OFFSET + 4];
            since_data_received = Some(Duration::from_millis(u64::from(u32::from_ne_bytes(
                millis.try_into().unwrap(),
            ))));
        }
        attributes = &attributes[align(length).min(attributes.len())..];
    }
    Some(TcpSocket {
        state: message[1],
        local_port,
        remote: format!("{remote}:{remote_port}"),
        inode: u64::from(u32_at(68)),
        receive_queue: u32_at(56),
        bytes_received,
        since_data_received,
        // The kernel reports 0 when no timer runs.
        timer_left: Some(Duration::from_millis(u64::from(u32_at(EXPIRES_OFFSET))))
            .filter(|left| !left.is_zero()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn counts_bytes_received_on_an_open_connection() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let received = |port| {
            tcp_sockets(u32::MAX)
                .unwrap()
                .into_iter()
                .find(|s| s.local_port == port && s.is_connection())
                .and_then(|s| s.bytes_received)
        };
        let before = received(port).expect("sock_diag reports tcp_info");
        client.write_all(b"hello").unwrap();
        let mut buffer = [0u8; 5];
        server.read_exact(&mut buffer).unwrap();
        assert_eq!(received(port).unwrap(), before + 5);
    }
}
