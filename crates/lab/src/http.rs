//! Just enough HTTP/1.1 for the ingress and the load client: read a request or a response
//! (Content-Length, chunked or close-delimited bodies) from a stream, whole. Where a body ends
//! is decided by [`lameduck_core::http_framing`], as for `lameduck load`.
use std::io;

use lameduck_core::http_framing::{self, BodyFraming, FramingError, FramingFields};
use tokio::io::{AsyncRead, AsyncReadExt};

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A request as received from a client.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
}

/// A response as received from a target.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// The target allows reusing the connection.
    pub keep_alive: bool,
}

/// Why reading failed.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed before a complete message.
    Closed,
    Io(io::Error),
    /// Not HTTP/1.1 as the lab's servers speak it, or past the lab's size limits.
    Malformed,
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl From<FramingError> for ReadError {
    fn from(_: FramingError) -> Self {
        ReadError::Malformed
    }
}

/// A stream with a read buffer that survives between messages (keep-alive).
pub struct HttpConn<S> {
    pub stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + Unpin> HttpConn<S> {
    pub fn new(stream: S) -> Self {
        Self { stream, buf: Vec::with_capacity(4096) }
    }

    /// Bytes already received but not yet consumed (a pooled connection must have none).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    async fn fill(&mut self) -> Result<usize, ReadError> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one request; `Ok(None)` when the client closed between requests.
    pub async fn read_request(&mut self) -> Result<Option<Request>, ReadError> {
        loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut req = httparse::Request::new(&mut slots);
            match req.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let headers = own_headers(req.headers);
                    let method = req.method.unwrap_or("GET").to_string();
                    let target = req.path.unwrap_or("/").to_string();
                    let fields = framing_fields(&headers)?;
                    let keep_alive = fields.keep_alive(req.version == Some(1));
                    self.buf.drain(..len);
                    let body = self.read_body(fields.request_framing()?).await?;
                    return Ok(Some(Request { method, target, headers, body, keep_alive }));
                }
                Ok(httparse::Status::Partial) => {}
                Err(_) => return Err(ReadError::Malformed),
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ReadError::Malformed);
            }
            if self.fill().await? == 0 {
                return if self.buf.is_empty() { Ok(None) } else { Err(ReadError::Closed) };
            }
        }
    }

    /// Reads one response to a request with `method`.
    pub async fn read_response(&mut self, method: &str) -> Result<Response, ReadError> {
        loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut resp = httparse::Response::new(&mut slots);
            match resp.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = resp.code.unwrap_or(0);
                    let reason = resp.reason.unwrap_or("").to_string();
                    let http11 = resp.version == Some(1);
                    let headers = own_headers(resp.headers);
                    self.buf.drain(..len);
                    if (100..200).contains(&status) {
                        continue;
                    }
                    let fields = framing_fields(&headers)?;
                    let mut keep_alive = fields.keep_alive(http11);
                    let framing = if http_framing::response_has_body(
                        method.eq_ignore_ascii_case("HEAD"),
                        status,
                    ) {
                        fields.response_framing()
                    } else {
                        BodyFraming::Length(0)
                    };
                    if framing == BodyFraming::UntilClose {
                        keep_alive = false;
                    }
                    let body = self.read_body(framing).await?;
                    return Ok(Response { status, reason, headers, body, keep_alive });
                }
                Ok(httparse::Status::Partial) => {}
                Err(_) => return Err(ReadError::Malformed),
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ReadError::Malformed);
            }
            if self.fill().await? == 0 {
                return Err(ReadError::Closed);
            }
        }
    }

    async fn read_body(&mut self, framing: BodyFraming) -> Result<Vec<u8>, ReadError> {
        match framing {
            BodyFraming::Chunked => self.read_chunked().await,
            BodyFraming::Length(length) => {
                self.read_exact_body(usize::try_from(length).unwrap_or(usize::MAX)).await
            }
            BodyFraming::UntilClose => self.read_to_close().await,
        }
    }

    async fn read_exact_body(&mut self, length: usize) -> Result<Vec<u8>, ReadError> {
        if length > MAX_BODY {
            return Err(ReadError::Malformed);
        }
        while self.buf.len() < length {
            if self.fill().await? == 0 {
                return Err(ReadError::Closed);
            }
        }
        Ok(self.buf.drain(..length).collect())
    }

    async fn read_line(&mut self) -> Result<String, ReadError> {
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..pos]).into_owned();
                self.buf.drain(..pos + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ReadError::Malformed);
            }
            if self.fill().await? == 0 {
                return Err(ReadError::Closed);
            }
        }
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?;
            let size = usize::try_from(http_framing::chunk_size(line.as_bytes())?)
                .map_err(|_| ReadError::Malformed)?;
            if size == 0 {
                // Trailers end with an empty line.
                while !self.read_line().await?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(ReadError::Malformed);
            }
            body.extend(self.read_exact_body(size).await?);
            self.read_line().await?;
        }
    }

    async fn read_to_close(&mut self) -> Result<Vec<u8>, ReadError> {
        while self.fill().await? > 0 {
            if self.buf.len() > MAX_BODY {
                return Err(ReadError::Malformed);
            }
        }
        Ok(std::mem::take(&mut self.buf))
    }
}

fn own_headers(headers: &[httparse::Header<'_>]) -> Vec<(String, Vec<u8>)> {
    headers.iter().map(|h| (h.name.to_string(), h.value.to_vec())).collect()
}

fn framing_fields(headers: &[(String, Vec<u8>)]) -> Result<FramingFields, FramingError> {
    FramingFields::read(headers.iter().map(|(name, value)| (name.as_str(), value.as_slice())))
}

/// Hop-by-hop headers a proxy must not forward.
pub fn is_hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_request(bytes: &'static [u8]) -> Result<Option<Request>, ReadError> {
        HttpConn::new(bytes).read_request().await
    }

    #[tokio::test]
    async fn a_chunked_request_body_is_read_whole_and_the_next_request_follows() {
        let mut conn = HttpConn::new(
            &b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n\
               GET /b HTTP/1.1\r\n\r\n"[..],
        );
        let post = conn.read_request().await.unwrap().unwrap();
        assert_eq!((post.method.as_str(), post.body.as_slice()), ("POST", &b"abcde"[..]));
        let get = conn.read_request().await.unwrap().unwrap();
        assert_eq!((get.target.as_str(), get.body.len()), ("/b", 0));
    }

    #[tokio::test]
    async fn framing_the_load_generator_refuses_is_refused_here_too() {
        let conflicting = b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
        assert!(matches!(read_request(conflicting).await, Err(ReadError::Malformed)));
        let gzip_only = b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n";
        assert!(matches!(read_request(gzip_only).await, Err(ReadError::Malformed)));
    }

    #[tokio::test]
    async fn an_http10_request_closes_unless_it_asks_to_keep_alive() {
        let plain = read_request(b"GET / HTTP/1.0\r\n\r\n").await.unwrap().unwrap();
        assert!(!plain.keep_alive);
        let kept = read_request(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").await;
        assert!(kept.unwrap().unwrap().keep_alive);
    }
}
