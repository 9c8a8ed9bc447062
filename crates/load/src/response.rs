//! Incremental HTTP/1.1 response parsing: status line and headers with httparse, then a body
//! framed by Content-Length, chunked encoding, or the end of the connection.
//!
//! The reader consumes bytes from the front of the connection's buffer as it goes, so a body
//! of any size needs only one read buffer.
use std::mem::MaybeUninit;

use crate::outcome::NetError;

/// Largest status line plus headers accepted; more is treated as a broken response.
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;

/// Progress after feeding more bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    NeedMore,
    Done { status: u16, reusable: bool },
}

#[derive(Debug)]
enum State {
    Head,
    Length { remaining: u64 },
    ChunkSize,
    ChunkData { remaining: u64 },
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
}

fn bad(reason: &str) -> NetError {
    let _ = reason; // The reason helps reading the code; the outcome name stays stable.
    NetError::Other("bad-response".into())
}

impl ResponseReader {
    pub fn new(head_request: bool) -> ResponseReader {
        ResponseReader { head_request, state: State::Head, status: 0, keepalive: false }
    }

    /// Consumes what it can from `buffer`.
    pub fn advance(&mut self, buffer: &mut Vec<u8>) -> Result<Step, NetError> {
        loop {
            match self.state {
                State::Head => {
                    // Uninitialised: zeroing 100 headers for every response shows in profiles.
                    let mut headers =
                        [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
                    let mut response = httparse::Response::new(&mut []);
                    let parsed = match httparse::ParserConfig::default()
                        .parse_response_with_uninit_headers(&mut response, buffer, &mut headers)
                    {
                        Ok(httparse::Status::Complete(n)) => n,
                        Ok(httparse::Status::Partial) if buffer.len() > MAX_HEAD => {
                            return Err(bad("response head too large"))
                        }
                        Ok(httparse::Status::Partial) => return Ok(Step::NeedMore),
                        Err(_) => return Err(bad("unparsable status line or header")),
                    };
                    let status = response.code.unwrap_or(0);
                    let http11 = response.version == Some(1);
                    let mut content_length = None;
                    let mut chunked = false;
                    let mut close = !http11;
                    for header in response.headers.iter() {
                        let name = header.name;
                        if name.eq_ignore_ascii_case("content-length") {
                            let value = std::str::from_utf8(header.value).ok();
                            let length = value.and_then(|v| v.trim().parse::<u64>().ok());
                            content_length = Some(length.ok_or_else(|| bad("bad Content-Length"))?);
                        } else if name.eq_ignore_ascii_case("transfer-encoding") {
                            chunked = contains_token(header.value, b"chunked");
                        } else if name.eq_ignore_ascii_case("connection") {
                            if contains_token(header.value, b"close") {
                                close = true;
                            } else if contains_token(header.value, b"keep-alive") {
                                close = false;
                            }
                        }
                    }
                    buffer.drain(..parsed);
                    if (100..200).contains(&status) && status != 101 {
                        continue; // 100 Continue and friends precede the real response.
                    }
                    self.status = status;
                    self.keepalive = !close;
                    self.state = if self.head_request || status == 204 || status == 304 {
                        return Ok(self.done());
                    } else if chunked {
                        State::ChunkSize
                    } else if let Some(remaining) = content_length {
                        State::Length { remaining }
                    } else {
                        self.keepalive = false;
                        State::UntilEof
                    };
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
                    let Some(line_end) = find_crlf(buffer) else {
                        return if buffer.len() > 1024 {
                            Err(bad("chunk size line too long"))
                        } else {
                            Ok(Step::NeedMore)
                        };
                    };
                    let line = &buffer[..line_end];
                    let digits = line.split(|b| *b == b';').next().unwrap_or(b"");
                    let size = std::str::from_utf8(digits)
                        .ok()
                        .and_then(|d| u64::from_str_radix(d.trim(), 16).ok())
                        .ok_or_else(|| bad("bad chunk size"))?;
                    buffer.drain(..line_end + 2);
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::ChunkData { remaining: size + 2 }
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
                    self.state = State::ChunkSize;
                }
                State::Trailers => {
                    let Some(line_end) = find_crlf(buffer) else {
                        return Ok(Step::NeedMore);
                    };
                    buffer.drain(..line_end + 2);
                    if line_end == 0 {
                        return Ok(self.done());
                    }
                }
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

    fn done(&self) -> Step {
        Step::Done { status: self.status, reusable: self.keepalive }
    }
}

fn consume(buffer: &mut Vec<u8>, n: usize) {
    if n == buffer.len() {
        buffer.clear();
    } else {
        buffer.drain(..n);
    }
}

fn find_crlf(buffer: &[u8]) -> Option<usize> {
    buffer.windows(2).position(|w| w == b"\r\n")
}

fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value.split(|b| *b == b',').any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `piece` bytes; returns the step and leftover bytes.
    fn feed(input: &[u8], piece: usize, head: bool) -> (Result<Step, NetError>, Option<u16>) {
        let mut reader = ResponseReader::new(head);
        let mut buffer = Vec::new();
        for chunk in input.chunks(piece) {
            buffer.extend_from_slice(chunk);
            match reader.advance(&mut buffer) {
                Ok(Step::NeedMore) => continue,
                other => return (other, None),
            }
        }
        (Ok(Step::NeedMore), reader.at_eof())
    }

    #[test]
    fn content_length_in_any_split() {
        let input = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        for piece in 1..input.len() {
            assert_eq!(feed(input, piece, false).0, Ok(Step::Done { status: 200, reusable: true }));
        }
    }

    #[test]
    fn chunked_with_trailers_in_any_split() {
        let input = b"HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n\
                      5;x=y\r\nhello\r\n0\r\nX-T: 1\r\n\r\n";
        for piece in 1..input.len() {
            assert_eq!(feed(input, piece, false).0, Ok(Step::Done { status: 502, reusable: true }));
        }
    }

    #[test]
    fn connection_close_http10_and_until_eof() {
        let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(feed(close, 7, false).0, Ok(Step::Done { status: 200, reusable: false }));
        let http10 = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(feed(http10, 7, false).0, Ok(Step::Done { status: 200, reusable: false }));
        let eof = b"HTTP/1.1 200 OK\r\n\r\nbody until close";
        assert_eq!(feed(eof, 7, false), (Ok(Step::NeedMore), Some(200)));
        let cut = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
        assert_eq!(feed(cut, 7, false), (Ok(Step::NeedMore), None));
    }

    #[test]
    fn head_204_and_100_continue_have_no_body() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
        assert_eq!(feed(head, 5, true).0, Ok(Step::Done { status: 200, reusable: true }));
        let cont = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(feed(cont, 3, false).0, Ok(Step::Done { status: 204, reusable: true }));
    }

    #[test]
    fn garbage_is_a_bad_response() {
        let (step, _) = feed(b"SSH-2.0-OpenSSH\r\n\r\n", 100, false);
        assert_eq!(step, Err(NetError::Other("bad-response".into())));
        let (step, _) = feed(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 100, false);
        assert_eq!(step, Err(NetError::Other("bad-response".into())));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn chunked(body: &[u8], sizes: &[usize]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = body;
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let take = (*size).clamp(1, rest.len());
            out.extend_from_slice(format!("{take:x}\r\n").as_bytes());
            out.extend_from_slice(&rest[..take]);
            out.extend_from_slice(b"\r\n");
            rest = &rest[take..];
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    }

    proptest! {
        /// However the bytes arrive, a framed response completes exactly at its last byte.
        #[test]
        fn completes_exactly_at_the_end_in_any_split(
            body in proptest::collection::vec(any::<u8>(), 0..300),
            sizes in proptest::collection::vec(1usize..40, 1..5),
            piece in 1usize..64,
            use_chunked: bool,
            status in 200u16..600,
        ) {
            let mut input = format!("HTTP/1.1 {status} X\r\n").into_bytes();
            if use_chunked {
                input.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                input.extend_from_slice(&chunked(&body, &sizes));
            } else {
                input.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
                input.extend_from_slice(&body);
            }
            let no_body = status == 204 || status == 304;
            let mut reader = ResponseReader::new(false);
            let mut buffer = Vec::new();
            let mut fed = 0;
            let mut done = None;
            for chunk in input.chunks(piece) {
                buffer.extend_from_slice(chunk);
                fed += chunk.len();
                match reader.advance(&mut buffer) {
                    Ok(Step::NeedMore) => {}
                    Ok(step) => { done = Some((step, fed)); break; }
                    Err(e) => prop_assert!(false, "{e:?}"),
                }
            }
            let (step, at) = done.expect("the response never completed");
            prop_assert_eq!(step, Step::Done { status, reusable: true });
            if !no_body {
                // Completion is seen in the piece holding the last byte, not before.
                prop_assert_eq!(at, input.len());
                prop_assert!(buffer.is_empty());
            }
        }

        #[test]
        fn garbage_never_panics(input in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut reader = ResponseReader::new(false);
            let mut buffer = input;
            let _ = reader.advance(&mut buffer);
        }
    }
}
