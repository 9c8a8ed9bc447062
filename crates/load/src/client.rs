//! A lean HTTP/1.1 client: connect (TCP or TLS), write pre-serialised request bytes, read one
//! response, and say whether the connection may be reused.
//!
//! There is deliberately no retry anywhere in here. A request that fails on a reused
//! keep-alive connection (the server's close crossed it) is reported as `closed` or `reset`,
//! exactly what a real client without retries would see. An idle connection whose close has
//! already arrived is not reused ([`Conn::peer_closed`]): no client writes onto a connection
//! it has been told is gone. General-purpose clients such as
//! hyper-util's pool retry such requests silently, which would hide the very failures this
//! tool exists to count.
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use crate::outcome::NetError;
use crate::response::{ResponseReader, Step};

/// Where and how to connect for one target.
pub(crate) struct Endpoint {
    pub addr: SocketAddr,
    pub tls: Option<(TlsConnector, ServerName<'static>)>,
}

/// An open connection with its read buffer.
pub(crate) struct Conn {
    stream: Stream,
    buffer: Vec<u8>,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// A complete response.
pub(crate) struct Response {
    pub status: u16,
    pub bytes_in: u64,
    /// The server allows another request on this connection.
    pub reusable: bool,
}

const READ_CHUNK: usize = 16 * 1024;

impl Endpoint {
    pub async fn connect(&self) -> Result<Conn, NetError> {
        let tcp = TcpStream::connect(self.addr).await.map_err(|e| crate::outcome::from_io(&e))?;
        // Requests are written in one piece; Nagle would only delay them.
        tcp.set_nodelay(true).map_err(|e| crate::outcome::from_io(&e))?;
        let stream = match &self.tls {
            None => Stream::Plain(tcp),
            Some((connector, name)) => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| crate::outcome::from_io(&e))?;
                Stream::Tls(Box::new(tls))
            }
        };
        Ok(Conn { stream, buffer: Vec::with_capacity(READ_CHUNK) })
    }
}

impl Conn {
    /// Whether the server has already closed this idle connection, as far as the reactor has
    /// seen (an end of stream or a hang-up reported by epoll): a client that has been told
    /// does not write onto it, as Go's transport (its read loop) and urllib3
    /// (`is_connection_dropped`) do not. Costs no system call; a close that crosses the next
    /// request in flight is not seen here and still fails it, as it would any client.
    pub fn peer_closed(&self) -> bool {
        use futures_util::FutureExt;
        let tcp = match &self.stream {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        };
        match tcp.ready(tokio::io::Interest::READABLE).now_or_never() {
            Some(Ok(ready)) => ready.is_read_closed(),
            Some(Err(_)) => true,
            None => false,
        }
    }

    /// Writes as much of `request` as the socket takes at once, without waiting, and returns
    /// how many bytes that was: 0 over TLS (its writes go through the exchange), or when the
    /// socket would block or failed (the exchange writes the rest, and meets the error then).
    /// This lets the loop put every due request on the wire before it polls any future.
    pub fn write_now(&mut self, request: &[u8]) -> usize {
        match &self.stream {
            Stream::Plain(s) => s.try_write(request).unwrap_or(0),
            Stream::Tls(_) => 0,
        }
    }

    /// Sends `request` and reads one response. `head` marks a HEAD request (no body follows).
    pub async fn exchange(&mut self, request: &[u8], head: bool) -> Result<Response, NetError> {
        match &mut self.stream {
            Stream::Plain(s) => exchange(s, &mut self.buffer, request, head).await,
            Stream::Tls(s) => exchange(s.as_mut(), &mut self.buffer, request, head).await,
        }
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
    request: &[u8],
    head: bool,
) -> Result<Response, NetError> {
    let io_error = |e: io::Error| crate::outcome::from_io(&e);
    stream.write_all(request).await.map_err(io_error)?;
    stream.flush().await.map_err(io_error)?;
    buffer.clear();
    let mut reader = ResponseReader::new(head);
    let mut bytes_in = 0u64;
    loop {
        match reader.advance(buffer)? {
            Step::Done { status, reusable } => {
                // Anything after the response is unsolicited data: do not trust the connection.
                let reusable = reusable && buffer.is_empty();
                return Ok(Response { status, bytes_in, reusable });
            }
            Step::NeedMore => {}
        }
        if buffer.capacity() - buffer.len() < 1024 {
            buffer.reserve(READ_CHUNK);
        }
        let read = stream.read_buf(buffer).await.map_err(io_error)?;
        bytes_in += read as u64;
        if read == 0 {
            return match reader.at_eof() {
                Some(status) => Ok(Response { status, bytes_in, reusable: false }),
                None => Err(NetError::Closed),
            };
        }
    }
}

/// TLS settings shared by every https target of a run.
pub(crate) fn tls_connector(insecure: bool) -> TlsConnector {
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions");
    let config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(crate::insecure::AcceptAnyCertificate(
                provider,
            )))
            .with_no_client_auth()
    } else {
        let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    TlsConnector::from(Arc::new(config))
}
