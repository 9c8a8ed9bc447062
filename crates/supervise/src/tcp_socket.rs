//! One TCP socket as the kernel reports it, from `sock_diag` or `/proc/net/tcp`: the record both
//! readers ([`crate::sock_diag`], [`crate::netstat`]) produce.
use std::time::Duration;

/// TCP states as the kernel numbers them.
pub const TCP_ESTABLISHED: u8 = 1;
pub const TCP_SYN_RECV: u8 = 3;
pub const TCP_TIME_WAIT: u8 = 6;
pub const TCP_LISTEN: u8 = 10;

/// One TCP socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSocket {
    pub state: u8,
    pub local_port: u16,
    /// Remote address and port, as text (identity only).
    pub remote: String,
    pub inode: u64,
    /// Bytes waiting to be read (for a listener: connections waiting to be accepted).
    pub receive_queue: u32,
    /// `tcpi_bytes_received`, when the table came from `sock_diag`.
    pub bytes_received: Option<u64>,
    /// `tcpi_last_data_recv`: time since data last arrived (or since the connection opened),
    /// when the table came from `sock_diag`.
    pub since_data_received: Option<Duration>,
    /// Time left on the socket's timer (for TIME_WAIT: until it disappears), from `sock_diag`.
    pub timer_left: Option<Duration>,
}

impl TcpSocket {
    /// True for a connection that is open or being opened (server side included).
    pub fn is_connection(&self) -> bool {
        matches!(self.state, TCP_ESTABLISHED | TCP_SYN_RECV)
    }
}
