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

use crate::outcome::NetError;

/// Most bytes of status lines (interim 1xx responses included), header fields and trailer
/// fields of one response, together. More is treated as a broken response.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most header fields in one response head, and separately in its trailer section.
const MAX_FIELDS: usize = 100;
/// Longest chunk-size line (size, extensions, CRLF).
const MAX_CHUNK_LINE: usize = 1024;
/// Most hex digits in a chunk size: 16 digits hold any size up to [`MAX_CHUNK_SIZE`].
const MAX_CHUNK_DIGITS: usize = 16;
/// Largest chunk accepted; as curl does, sizes that do not fit a signed 64-bit length are
/// treated as an overflow.
const MAX_CHUNK_SIZE: u64 = i64::MAX as u64;

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

/// How the body of a response is delimited, from its header fields.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Chunked,
    Length(u64),
    UntilEof,
}

/// The framing header fields of one response.
#[derive(Debug, Default)]
struct FramingFields {
    content_length: Option<u64>,
    /// The last transfer coding named, if any Transfer-Encoding field was present.
    final_coding: Option<Vec<u8>>,
    close: Option<bool>,
}

fn bad(reason: &str) -> NetError {
    let _ = reason; // The reason helps reading the code; the outcome name stays stable.
    NetError::Other("bad-response".into())
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
                    let size = chunk_size(&buffer[..line_end])?;
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
        let fields = FramingFields::read(response.headers)?;
        buffer.drain(..parsed);
        if (100..200).contains(&status) && status != 101 {
            return Ok(None); // 100 Continue and friends precede the real response.
        }
        self.status = status;
        self.keepalive = fields.close.map_or(http11, |close| !close);
        if self.head_request || status == 204 || status == 304 {
            return Ok(Some(self.done()));
        }
        if fields.final_coding.is_some() {
            if !http11 {
                // RFC 9112 §6.1: HTTP/1.0 with Transfer-Encoding has faulty framing.
                return Err(bad("Transfer-Encoding in an HTTP/1.0 response"));
            }
            if fields.content_length.is_some() {
                // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, but the pair may
                // be an attempt at response splitting: the connection is not trusted again.
                self.keepalive = false;
            }
        }
        self.state = match fields.framing() {
            Framing::Chunked => State::ChunkSize,
            Framing::Length(remaining) => State::Length { remaining },
            Framing::UntilEof => {
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

impl FramingFields {
    fn read(headers: &[httparse::Header<'_>]) -> Result<FramingFields, NetError> {
        let mut fields = FramingFields::default();
        for header in headers {
            let name = header.name;
            if name.eq_ignore_ascii_case("content-length") {
                // RFC 9110 §8.6: identical values (repeated or as a list) may be accepted;
                // anything else is an invalid length, never a guess.
                for value in header.value.split(|b| *b == b',') {
                    let length = content_length(value.trim_ascii())?;
                    if fields.content_length.is_some_and(|seen| seen != length) {
                        return Err(bad("conflicting Content-Length values"));
                    }
                    fields.content_length = Some(length);
                }
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                let mut codings = header.value.split(|b| *b == b',').map(<[u8]>::trim_ascii);
                if let Some(last) = codings.rfind(|c| !c.is_empty()) {
                    fields.final_coding = Some(last.to_vec());
                }
            } else if name.eq_ignore_ascii_case("connection") {
                if contains_token(header.value, b"close") {
                    fields.close = Some(true);
                } else if contains_token(header.value, b"keep-alive") {
                    fields.close = Some(false);
                }
            }
        }
        Ok(fields)
    }

    /// RFC 9112 §6.3: chunked only if it is the final transfer coding; any other transfer
    /// coding runs until the server closes; otherwise Content-Length, or until close.
    fn framing(&self) -> Framing {
        match (&self.final_coding, self.content_length) {
            (Some(coding), _) if coding.eq_ignore_ascii_case(b"chunked") => Framing::Chunked,
            (Some(_), _) => Framing::UntilEof,
            (None, Some(length)) => Framing::Length(length),
            (None, None) => Framing::UntilEof,
        }
    }
}

/// `1*DIGIT` that fits in a u64 (`+5`, `0x10`, ` ` and overflows are not lengths).
fn content_length(value: &[u8]) -> Result<u64, NetError> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(bad("Content-Length is not a number"));
    }
    std::str::from_utf8(value)
        .ok()
        .and_then(|digits| digits.parse::<u64>().ok())
        .ok_or_else(|| bad("Content-Length overflows"))
}

/// `chunk-size [ chunk-ext ]` (the line without its CRLF): 1 to 16 hex digits, then optional
/// whitespace and `;extensions`, which are ignored.
fn chunk_size(line: &[u8]) -> Result<u64, NetError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > MAX_CHUNK_DIGITS {
        return Err(bad("chunk size is not 1 to 16 hex digits"));
    }
    let rest = line[digits..].trim_ascii_start();
    if !rest.is_empty() && rest[0] != b';' {
        return Err(bad("chunk size followed by something other than an extension"));
    }
    let size = std::str::from_utf8(&line[..digits])
        .ok()
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or_else(|| bad("chunk size is not hex"))?;
    if size > MAX_CHUNK_SIZE {
        return Err(bad("chunk size overflows"));
    }
    Ok(size)
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

fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value.split(|b| *b == b',').any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
