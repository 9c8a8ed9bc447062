//! What happened to one request, with a name for every kind of failure.
//!
//! A response is its exact HTTP status. Everything else is a network outcome with a stable
//! name (`refused`, `reset`, `closed`, `timeout`, `other:<errno>`) so failures are never lumped
//! together or hidden; the names are what `--format json`, `--fail-on net(...)` and the
//! per-second lines use.
use std::io;

/// The result of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A complete HTTP response with this status code.
    Status(u16),
    /// No complete response; see [`NetError`].
    Net(NetError),
}

/// Why a request got no complete response: the network outcome named in every output. The
/// enum and its names are `lameduck_core::schema::NetOutcome`; classifying an I/O error into
/// one ([`from_io`]) is this crate's, since it knows the sockets.
pub use lameduck_core::schema::NetOutcome as NetError;

/// Classifies an I/O error by its OS error number, which is exact, rather than by the coarser
/// `io::ErrorKind`.
pub fn from_io(error: &io::Error) -> NetError {
    if let Some(errno) = error.raw_os_error() {
        return match errno {
            libc::ECONNREFUSED => NetError::Refused,
            libc::ECONNRESET | libc::EPIPE => NetError::Reset,
            libc::ETIMEDOUT => NetError::Timeout,
            other => NetError::Other(errno_name(other)),
        };
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof => NetError::Closed,
        io::ErrorKind::TimedOut => NetError::Timeout,
        io::ErrorKind::ConnectionRefused => NetError::Refused,
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => NetError::Reset,
        io::ErrorKind::InvalidData => tls_or_bad_response(error),
        kind => NetError::Other(format!("{kind:?}").to_lowercase()),
    }
}

/// rustls reports handshake and record failures as InvalidData wrapping its own error type.
fn tls_or_bad_response(error: &io::Error) -> NetError {
    match error.get_ref() {
        Some(inner) if inner.is::<tokio_rustls::rustls::Error>() => NetError::Other("tls".into()),
        _ => NetError::Other("bad-response".into()),
    }
}

/// `ENETUNREACH` for 101, or the number when the platform has no name for it.
fn errno_name(errno: i32) -> String {
    let name = format!("{:?}", nix::errno::Errno::from_raw(errno));
    if name == "UnknownErrno" {
        errno.to_string()
    } else {
        name
    }
}

impl Outcome {
    /// 2xx and 3xx responses count as `ok`; everything else as `failed`.
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Status(code) if (200..400).contains(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_errno() {
        let of = |errno| from_io(&io::Error::from_raw_os_error(errno)).name();
        assert_eq!(of(libc::ECONNREFUSED), "refused");
        assert_eq!(of(libc::ECONNRESET), "reset");
        assert_eq!(of(libc::EPIPE), "reset");
        assert_eq!(of(libc::ETIMEDOUT), "timeout");
        assert_eq!(of(libc::EHOSTUNREACH), "other:EHOSTUNREACH");
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert_eq!(from_io(&eof).name(), "closed");
    }

    #[test]
    fn ok_means_2xx_and_3xx() {
        assert!(Outcome::Status(200).is_ok());
        assert!(Outcome::Status(304).is_ok());
        assert!(!Outcome::Status(502).is_ok());
        assert!(!Outcome::Status(101).is_ok());
        assert!(!Outcome::Net(NetError::Closed).is_ok());
    }
}
