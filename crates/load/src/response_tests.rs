//! Unit and property tests of the response parser, hostile responses included.
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

fn is_bad(step: &Result<Step, NetError>) -> bool {
    *step == Err(NetError::Other("bad-response".into()))
}

/// Feeds `head` and then `filler` over and over, as a server that never stops would, and
/// returns the outcome with the most bytes the reader ever left in the buffer; gives up (and
/// returns NeedMore) after 4 MiB.
fn flood(head: &[u8], filler: &[u8]) -> (Result<Step, NetError>, usize) {
    let mut reader = ResponseReader::new(false);
    let mut buffer = head.to_vec();
    let mut most_kept = 0;
    let mut fed = head.len();
    loop {
        match reader.advance(&mut buffer) {
            Ok(Step::NeedMore) if fed < 4 << 20 => {}
            other => return (other, most_kept),
        }
        most_kept = most_kept.max(buffer.len());
        for _ in 0..(4096 / filler.len()).max(1) {
            buffer.extend_from_slice(filler);
            fed += filler.len();
        }
    }
}

const CHUNKED_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n";

#[test]
fn endless_trailers_are_a_bad_response_within_the_head_budget() {
    for filler in [&b"x"[..], b"X-Trailer: 1\r\n", b"X-Long: 12345678901234567890\r\n"] {
        let (step, most_kept) = flood(CHUNKED_HEAD, filler);
        assert!(is_bad(&step), "{filler:?}: {step:?}");
        assert!(most_kept <= MAX_HEAD_BYTES, "{filler:?}: kept {most_kept} bytes");
    }
}

#[test]
fn endless_headers_and_interim_responses_are_a_bad_response() {
    let (step, most_kept) = flood(b"HTTP/1.1 200 OK\r\n", b"X-Header: 1\r\n");
    assert!(is_bad(&step), "{step:?}");
    assert!(most_kept <= MAX_HEAD_BYTES, "kept {most_kept} bytes");
    let (step, _) = flood(b"", b"HTTP/1.1 100 Continue\r\n\r\n");
    assert!(is_bad(&step), "an endless run of 100 Continue: {step:?}");
}

#[test]
fn more_than_100_trailer_fields_is_a_bad_response() {
    let mut input = CHUNKED_HEAD.to_vec();
    let fields = |n| (0..n).map(|i| format!("T{i}: v\r\n")).collect::<String>();
    let mut ok = input.clone();
    ok.extend_from_slice(format!("{}\r\n", fields(100)).as_bytes());
    assert_eq!(feed(&ok, 4096, false).0, Ok(Step::Done { status: 200, reusable: true }));
    input.extend_from_slice(format!("{}\r\n", fields(101)).as_bytes());
    assert!(is_bad(&feed(&input, 4096, false).0));
}

#[test]
fn content_length_must_be_one_number() {
    let response = |fields: &str| format!("HTTP/1.1 200 OK\r\n{fields}\r\nhello").into_bytes();
    let done = Ok(Step::Done { status: 200, reusable: true });
    for same in ["Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n"] {
        assert_eq!(feed(&response(same), 3, false).0, done, "{same}");
    }
    for bad in [
        "Content-Length: 5\r\nContent-Length: 4\r\n",
        "Content-Length: 5, 6\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: 5 5\r\n",
        "Content-Length: \r\n",
        "Content-Length: 99999999999999999999\r\n",
    ] {
        assert!(is_bad(&feed(&response(bad), 3, false).0), "{bad}");
    }
}

#[test]
fn transfer_encoding_overrides_content_length_and_the_connection_is_not_reused() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n\
                  5\r\nhello\r\n0\r\n\r\n";
    for piece in 1..input.len() {
        assert_eq!(feed(input, piece, false).0, Ok(Step::Done { status: 200, reusable: false }));
    }
}

#[test]
fn only_a_final_chunked_coding_frames_the_body() {
    let chunked_last = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n";
    assert_eq!(feed(chunked_last, 4, false).0, Ok(Step::Done { status: 200, reusable: true }));
    // RFC 9112 §6.3: any other final coding is read until the server closes.
    let gzip_last = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n";
    assert_eq!(feed(gzip_last, 4, false), (Ok(Step::NeedMore), Some(200)));
    let http10 = b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert!(is_bad(&feed(http10, 4, false).0));
}

#[test]
fn broken_chunk_framing_is_a_bad_response() {
    let chunked = |body: &str| {
        format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{body}").into_bytes()
    };
    assert_eq!(
        feed(&chunked("0000000000000005 ; ext\r\nhello\r\n0\r\n\r\n"), 5, false).0,
        Ok(Step::Done { status: 200, reusable: true })
    );
    for bad in [
        "ffffffffffffffff\r\n",
        "00000000000000005\r\nhello\r\n0\r\n\r\n",
        "5\nhello\r\n0\r\n\r\n",
        "5\r\nhelloXX0\r\n\r\n",
        "5\r\nhello\n0\r\n\r\n",
        "+5\r\nhello\r\n0\r\n\r\n",
        "5 x\r\nhello\r\n0\r\n\r\n",
        "\r\n",
    ] {
        for piece in [1, 3, 4096] {
            assert!(is_bad(&feed(&chunked(bad), piece, false).0), "{bad:?} in pieces of {piece}");
        }
    }
    let (step, most_kept) = flood(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5", b"0");
    assert!(is_bad(&step), "an endless chunk-size line: {step:?}");
    assert!(most_kept <= MAX_CHUNK_LINE, "kept {most_kept} bytes");
}

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
