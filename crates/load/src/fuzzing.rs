//! Entry points for the cargo-fuzz targets in `fuzz/`: the response parser is private, so this
//! feeds it the way the client does and checks what it promises. Not a public interface.
use crate::response::{ResponseReader, Step, MAX_HEAD_BYTES};

/// Feeds `data` to a response reader in pieces whose lengths cycle through `pieces` (each at
/// least 1 byte), as reads from a socket would arrive. Panics if the reader ever keeps more
/// than [`MAX_HEAD_BYTES`] buffered while waiting for more, or leaves more in the buffer than
/// it was given. Returns the status when a response completes, or at the end of the data for a
/// response framed by the connection closing.
pub fn response(data: &[u8], pieces: &[u8], head_request: bool) -> Option<u16> {
    let mut reader = ResponseReader::new(head_request);
    let mut buffer = Vec::new();
    let mut rest = data;
    let mut lengths = pieces.iter().map(|n| usize::from(*n) + 1).cycle();
    while !rest.is_empty() {
        let (piece, after) = rest.split_at(lengths.next().unwrap_or(rest.len()).min(rest.len()));
        rest = after;
        buffer.extend_from_slice(piece);
        let before = buffer.len();
        match reader.advance(&mut buffer) {
            Ok(Step::NeedMore) => {
                assert!(buffer.len() <= before, "the reader grew the buffer");
                assert!(buffer.len() <= MAX_HEAD_BYTES, "{} bytes kept", buffer.len());
            }
            Ok(Step::Done { status, .. }) => return Some(status),
            Err(_) => return None,
        }
    }
    reader.at_eof()
}
