//! Where an HTTP/1.1 message's body ends, and whether its connection may carry another
//! (RFC 9112 §6 and §9.3), decided once for the load generator's incremental response reader
//! and the lab's ingress, which read the same servers and must not disagree about them.
//!
//! Only the decisions live here, from header fields the caller has already split (each crate
//! reads bytes its own way: `lameduck load` incrementally from one reused buffer, the lab whole
//! messages from a stream). Whatever does not fit the grammar is an error rather than a guess:
//! a guessed length is how one response gets read as two (response splitting).

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// `Transfer-Encoding: chunked` as the final coding.
    Chunked,
    /// `Content-Length`, or a request with neither field (length 0).
    Length(u64),
    /// Until the server closes: a response with neither field, or with a final transfer coding
    /// other than chunked.
    UntilClose,
}

/// A framing field that does not fit RFC 9112; the message is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad HTTP framing: {0}")]
pub struct FramingError(pub &'static str);

/// Most hex digits in a chunk size: 16 digits hold any size up to [`MAX_CHUNK_SIZE`].
pub const MAX_CHUNK_DIGITS: usize = 16;
/// Largest chunk accepted; as curl does, sizes that do not fit a signed 64-bit length are
/// treated as an overflow.
pub const MAX_CHUNK_SIZE: u64 = i64::MAX as u64;

/// The header fields of one message that decide its framing and its connection's reuse.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FramingFields {
    pub content_length: Option<u64>,
    /// The last transfer coding named, if any Transfer-Encoding field was present.
    pub final_coding: Option<Vec<u8>>,
    /// `Connection: close` (true) or `keep-alive` (false), if either was sent.
    pub close: Option<bool>,
}

impl FramingFields {
    /// Reads the framing fields out of `(name, value)` pairs, in the order received.
    pub fn read<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<FramingFields, FramingError> {
        let mut fields = FramingFields::default();
        for (name, value) in headers {
            if name.eq_ignore_ascii_case("content-length") {
                // RFC 9110 §8.6: identical values (repeated or as a list) may be accepted;
                // anything else is an invalid length, never a guess.
                for part in value.split(|b| *b == b',') {
                    let length = content_length(part.trim_ascii())?;
                    if fields.content_length.is_some_and(|seen| seen != length) {
                        return Err(FramingError("conflicting Content-Length values"));
                    }
                    fields.content_length = Some(length);
                }
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                let mut codings = value.split(|b| *b == b',').map(<[u8]>::trim_ascii);
                if let Some(last) = codings.rfind(|c| !c.is_empty()) {
                    fields.final_coding = Some(last.to_vec());
                }
            } else if name.eq_ignore_ascii_case("connection") {
                if contains_token(value, b"close") {
                    fields.close = Some(true);
                } else if contains_token(value, b"keep-alive") {
                    fields.close = Some(false);
                }
            }
        }
        Ok(fields)
    }

    /// A response's framing (RFC 9112 §6.3): chunked only if it is the final transfer coding;
    /// any other transfer coding runs until the server closes; otherwise Content-Length, or
    /// until close.
    pub fn response_framing(&self) -> BodyFraming {
        match (&self.final_coding, self.content_length) {
            (Some(coding), _) if coding.eq_ignore_ascii_case(b"chunked") => BodyFraming::Chunked,
            (Some(_), _) => BodyFraming::UntilClose,
            (None, Some(length)) => BodyFraming::Length(length),
            (None, None) => BodyFraming::UntilClose,
        }
    }

    /// A request's framing (RFC 9112 §6.3): a request's body never runs until close, so a
    /// transfer coding other than a final chunked is an error (the server answers 400), and
    /// a request with neither field has no body.
    pub fn request_framing(&self) -> Result<BodyFraming, FramingError> {
        match (&self.final_coding, self.content_length) {
            (Some(coding), _) if coding.eq_ignore_ascii_case(b"chunked") => {
                Ok(BodyFraming::Chunked)
            }
            (Some(_), _) => Err(FramingError("a request's final transfer coding is not chunked")),
            (None, length) => Ok(BodyFraming::Length(length.unwrap_or(0))),
        }
    }

    /// Whether the connection may carry another message after this one, as far as the fields
    /// tell (RFC 9112 §9.3): `Connection` decides, else HTTP/1.1 persists and HTTP/1.0 does
    /// not. A body that runs until close, or both Transfer-Encoding and Content-Length (a
    /// possible attempt at response splitting), end it too.
    pub fn keep_alive(&self, http11: bool) -> bool {
        let requested = self.close.map_or(http11, |close| !close);
        let smuggling = self.final_coding.is_some() && self.content_length.is_some();
        requested && !smuggling
    }
}

/// Whether a response with `status` has a body at all (RFC 9110 §6.4.1: never to a HEAD
/// request, never with 1xx, 204 or 304).
pub fn response_has_body(head_request: bool, status: u16) -> bool {
    !(head_request || (100..200).contains(&status)) && status != 204 && status != 304
}

/// `1*DIGIT` that fits in a u64 (`+5`, `0x10`, ` ` and overflows are not lengths).
pub fn content_length(value: &[u8]) -> Result<u64, FramingError> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(FramingError("Content-Length is not a number"));
    }
    std::str::from_utf8(value)
        .ok()
        .and_then(|digits| digits.parse::<u64>().ok())
        .ok_or(FramingError("Content-Length overflows"))
}

/// `chunk-size [ chunk-ext ]` (the line without its CRLF): 1 to 16 hex digits, then optional
/// whitespace and `;extensions`, which are ignored.
pub fn chunk_size(line: &[u8]) -> Result<u64, FramingError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > MAX_CHUNK_DIGITS {
        return Err(FramingError("chunk size is not 1 to 16 hex digits"));
    }
    let rest = line[digits..].trim_ascii_start();
    if !rest.is_empty() && rest[0] != b';' {
        return Err(FramingError("chunk size followed by something other than an extension"));
    }
    let size = std::str::from_utf8(&line[..digits])
        .ok()
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or(FramingError("chunk size is not hex"))?;
    if size > MAX_CHUNK_SIZE {
        return Err(FramingError("chunk size overflows"));
    }
    Ok(size)
}

/// Whether a comma-separated field value names `token` (case-insensitive).
pub fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value.split(|b| *b == b',').any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(headers: &[(&str, &str)]) -> Result<FramingFields, FramingError> {
        FramingFields::read(headers.iter().map(|(n, v)| (*n, v.as_bytes())))
    }

    #[test]
    fn chunked_wins_over_content_length_and_ends_reuse() {
        let f = fields(&[("Content-Length", "5"), ("Transfer-Encoding", "gzip, chunked")]).unwrap();
        assert_eq!(f.response_framing(), BodyFraming::Chunked);
        assert!(!f.keep_alive(true));
    }

    #[test]
    fn repeated_lengths_must_agree() {
        assert_eq!(fields(&[("content-length", "7, 7")]).unwrap().content_length, Some(7));
        assert!(fields(&[("Content-Length", "7"), ("Content-Length", "8")]).is_err());
        assert!(fields(&[("Content-Length", "+7")]).is_err());
        assert!(fields(&[("Content-Length", "99999999999999999999999")]).is_err());
    }

    #[test]
    fn a_response_without_length_runs_until_close_a_request_has_none() {
        let f = fields(&[]).unwrap();
        assert_eq!(f.response_framing(), BodyFraming::UntilClose);
        assert_eq!(f.request_framing(), Ok(BodyFraming::Length(0)));
        let gzip = fields(&[("Transfer-Encoding", "gzip")]).unwrap();
        assert_eq!(gzip.response_framing(), BodyFraming::UntilClose);
        assert!(gzip.request_framing().is_err());
    }

    #[test]
    fn connection_decides_reuse_else_the_version() {
        assert!(fields(&[]).unwrap().keep_alive(true));
        assert!(!fields(&[]).unwrap().keep_alive(false));
        assert!(!fields(&[("Connection", "Close")]).unwrap().keep_alive(true));
        assert!(fields(&[("Connection", "upgrade, keep-alive")]).unwrap().keep_alive(false));
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_size(b"1aF;name=value"), Ok(0x1af));
        assert_eq!(chunk_size(b"0"), Ok(0));
        assert!(chunk_size(b"").is_err());
        assert!(chunk_size(b"12 x").is_err());
        assert!(chunk_size(b"10000000000000000").is_err());
        assert!(chunk_size(b"8000000000000000").is_err());
    }

    #[test]
    fn bodies_after_head_1xx_204_304_never_come() {
        assert!(!response_has_body(true, 200));
        assert!(!response_has_body(false, 204));
        assert!(!response_has_body(false, 304));
        assert!(!response_has_body(false, 100));
        assert!(response_has_body(false, 502));
    }
}
