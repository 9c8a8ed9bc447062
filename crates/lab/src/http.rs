//! Just enough HTTP/1.1 for the ingress and the load client: read a request or a response
//! (Content-Length, chunked or close-delimited bodies) from a stream, whole.
use std::io;

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

/// A stream with a read buffer that survives between messages (keep-alive).
pub struct HttpConn<S> {
    pub stream: S,
    buf: Vec<u8>,
}

fn header<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
}

fn has_token(headers: &[(String, Vec<u8>)], name: &str, token: &str) -> bool {
    header(headers, name)
        .map(|v| {
            String::from_utf8_lossy(v).split(',').any(|t| t.trim().eq_ignore_ascii_case(token))
        })
        .unwrap_or(false)
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
                    let http10 = req.version == Some(0);
                    let keep_alive = if http10 {
                        has_token(&headers, "connection", "keep-alive")
                    } else {
                        !has_token(&headers, "connection", "close")
                    };
                    self.buf.drain(..len);
                    let length = content_length(&headers)?.unwrap_or(0);
                    let body = self.read_exact_body(length).await?;
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
                    let http10 = resp.version == Some(0);
                    let headers = own_headers(resp.headers);
                    self.buf.drain(..len);
                    if (100..200).contains(&status) {
                        continue;
                    }
                    let mut keep_alive = if http10 {
                        has_token(&headers, "connection", "keep-alive")
                    } else {
                        !has_token(&headers, "connection", "close")
                    };
                    let no_body = method == "HEAD" || status == 204 || status == 304;
                    let body = if no_body {
                        Vec::new()
                    } else if has_token(&headers, "transfer-encoding", "chunked") {
                        self.read_chunked().await?
                    } else if let Some(length) = content_length(&headers)? {
                        self.read_exact_body(length).await?
                    } else {
                        keep_alive = false;
                        self.read_to_close().await?
                    };
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
            let size_text = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16).map_err(|_| ReadError::Malformed)?;
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

fn content_length(headers: &[(String, Vec<u8>)]) -> Result<Option<usize>, ReadError> {
    match header(headers, "content-length") {
        None => Ok(None),
        Some(v) => std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .map(Some)
            .ok_or(ReadError::Malformed),
    }
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
