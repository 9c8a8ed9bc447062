//! Incremental HTTP/1.1 response parsing: status line and headers with httparse, then a body
//! framed by Content-Length, chunked encoding, or the end of the connection.
//!
//! The reader consumes bytes from the front of the connection's buffer as it goes, so a body
//! of any size needs only one read buffer. Everything a server can make it keep is bounded:
//! status lines, header and trailer fields share one byte budget (as hyper and curl bound
//! them), chunk-size lines have a length limit, and whatever does not fit the grammar of
//! RFC 9112 is the outcome `other:bad-response` rather than a guess. A server that stays
//! within the limits but never finishes is ended by the request's `--timeout`.
use std::mem::MaybeUninit;

use lameduck_core::http_framing::{self, BodyFraming, FramingError, FramingFields};

use crate::outcome::NetError;

/// Most bytes of status lines (interim 1xx responses included), header fields and trailer
/// fields of one response, together. More is treated as a broken response.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most header fields in one response head, and separately in its trailer section.
const MAX_FIELDS: usize = 100;
/// Longest chunk-size line (size, extensions, CRLF).
const MAX_CHUNK_LINE: usize = 1024;

/// Progress after feeding more bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    NeedMore,
    Done { status: u16, reusable: bool },
}

#[derive(Debug)]
enum State {
    Head,
    Length {
        remaining: u64,
    },
    ChunkSize,
    ChunkData {
        remaining: u64,
    },
    /// The CRLF that must follow each chunk's data.
    ChunkEnd,
    Trailers,
    UntilEof,
}

/// Parses one response out of a stream of buffers.
#[derive(Debug)]
pub(crate) struct ResponseReader {
    head_request: bool,
    state: State,
    status: u16,
    keepalive: bool,
    /// What is left of [`MAX_HEAD_BYTES`].
    head_budget: usize,
}

fn bad(reason: &str) -> NetError {
    let _ = reason; // The reason helps reading the code; the outcome name stays stable.
    NetError::Other("bad-response".into())
}

fn bad_framing(error: FramingError) -> NetError {
    bad(error.0)
}

impl ResponseReader {
    pub fn new(head_request: bool) -> ResponseReader {
        ResponseReader {
            head_request,
            state: State::Head,
            status: 0,
            keepalive: false,
            head_budget: MAX_HEAD_BYTES,
        }
    }

    /// Consumes what it can from `buffer`. When it asks for more, at most [`MAX_HEAD_BYTES`]
    /// bytes are left in `buffer`.
    pub fn advance(&mut self, buffer: &mut Vec<u8>) -> Result<Step, NetError> {
        loop {
            match self.state {
                State::Head => {
                    if let Some(step) = self.head(buffer)? {
                        return Ok(step);
                    }
                }
                State::Length { remaining } => {
                    let take = remaining.min(buffer.len() as u64);
                    consume(buffer, take as usize);
                    let remaining = remaining - take;
                    if remaining == 0 {
                        return Ok(self.done());
                    }
                    self.state = State::Length { remaining };
                    return Ok(Step::NeedMore);
                }
                State::ChunkSize => {
                    let Some(line_end) = find_line_end(buffer, MAX_CHUNK_LINE)? else {
                        return Ok(Step::NeedMore);
                    };
                    let size =
                        http_framing::chunk_size(&buffer[..line_end]).map_err(bad_framing)?;
                    buffer.drain(..line_end + 2);
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::ChunkData { remaining: size }
                    };
                }
                State::ChunkData { remaining } => {
                    let take = remaining.min(buffer.len() as u64);
                    consume(buffer, take as usize);
                    let remaining = remaining - take;
                    if remaining > 0 {
                        self.state = State::ChunkData { remaining };
                        return Ok(Step::NeedMore);
                    }
                    self.state = State::ChunkEnd;
                }
                State::ChunkEnd => {
                    if buffer.len() < 2 {
                        return match buffer.first() {
                            None | Some(b'\r') => Ok(Step::NeedMore),
                            Some(_) => Err(bad("chunk data not followed by CRLF")),
                        };
                    }
                    if buffer[..2] != *b"\r\n" {
                        return Err(bad("chunk data not followed by CRLF"));
                    }
                    buffer.drain(..2);
                    self.state = State::ChunkSize;
                }
                State::Trailers => return self.trailers(buffer),
                State::UntilEof => {
                    buffer.clear();
                    return Ok(Step::NeedMore);
                }
            }
        }
    }

    /// The status if end-of-stream completes the response (a body framed by the connection
    /// closing); `None` means the response was cut short.
    pub fn at_eof(&self) -> Option<u16> {
        matches!(self.state, State::UntilEof).then_some(self.status)
    }

    /// Parses a status line and header fields. `None` when the body (or the next head, after
    /// a 1xx) follows.
    fn head(&mut self, buffer: &mut Vec<u8>) -> Result<Option<Step>, NetError> {
        // Uninitialised: zeroing 100 headers for every response shows in profiles.
        let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_FIELDS];
        let mut response = httparse::Response::new(&mut []);
        let parsed = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
            &mut response,
            buffer,
            &mut headers,
        ) {
            Ok(httparse::Status::Complete(n)) if n <= self.head_budget => n,
            Ok(httparse::Status::Complete(_)) => return Err(bad("response head too large")),
            Ok(httparse::Status::Partial) if buffer.len() >= self.head_budget => {
                return Err(bad("response head too large"))
            }
            Ok(httparse::Status::Partial) => return Ok(Some(Step::NeedMore)),
            // Including more than MAX_FIELDS header fields (TooManyHeaders).
            Err(_) => return Err(bad("unparsable status line or header")),
        };
        self.head_budget -= parsed;
        let status = response.code.unwrap_or(0);
        let http11 = response.version == Some(1);
        let fields = FramingFields::read(response.headers.iter().map(|h| (h.name, h.value)))
            .map_err(bad_framing)?;
        buffer.drain(..parsed);
        if (100..200).contains(&status) && status != 101 {
            return Ok(None); // 100 Continue and friends precede the real response.
        }
        self.status = status;
        self.keepalive = fields.keep_alive(http11);
        // A 101 is final here: what follows it is another protocol, framed as before.
        if status != 101 && !http_framing::response_has_body(self.head_request, status) {
            return Ok(Some(self.done()));
        }
        if fields.final_coding.is_some() && !http11 {
            // RFC 9112 §6.1: HTTP/1.0 with Transfer-Encoding has faulty framing.
            return Err(bad("Transfer-Encoding in an HTTP/1.0 response"));
        }
        self.state = match fields.response_framing() {
            BodyFraming::Chunked => State::ChunkSize,
            BodyFraming::Length(remaining) => State::Length { remaining },
            BodyFraming::UntilClose => {
                self.keepalive = false;
                State::UntilEof
            }
        };
        Ok(None)
    }

    /// The trailer section after the last chunk: field lines and an empty line, within what
    /// is left of the head budget.
    fn trailers(&mut self, buffer: &mut Vec<u8>) -> Result<Step, NetError> {
        let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
        match httparse::parse_headers(buffer, &mut fields) {
            Ok(httparse::Status::Complete((n, _))) if n <= self.head_budget => {
                self.head_budget -= n;
                buffer.drain(..n);
                Ok(self.done())
            }
            Ok(httparse::Status::Complete(_)) => Err(bad("trailers too large")),
            Ok(httparse::Status::Partial) if buffer.len() >= self.head_budget => {
                Err(bad("trailers too large"))
            }
            Ok(httparse::Status::Partial) => Ok(Step::NeedMore),
            Err(_) => Err(bad("unparsable or too many trailer fields")),
        }
    }

    fn done(&self) -> Step {
        Step::Done { status: self.status, reusable: self.keepalive }
    }
}

/// Position of the CRLF ending the line at the front of `buffer`, looking at most `limit`
/// bytes in. A bare LF, or no line end within the limit, is a broken response.
fn find_line_end(buffer: &[u8], limit: usize) -> Result<Option<usize>, NetError> {
    let window = &buffer[..buffer.len().min(limit)];
    match window.iter().position(|b| *b == b'\n') {
        Some(lf) if lf > 0 && window[lf - 1] == b'\r' => Ok(Some(lf - 1)),
        Some(_) => Err(bad("line ends in a bare LF")),
        None if buffer.len() >= limit => Err(bad("line too long")),
        None => Ok(None),
    }
}

fn consume(buffer: &mut Vec<u8>, n: usize) {
    if n == buffer.len() {
        buffer.clear();
    } else {
        buffer.drain(..n);
    }
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
