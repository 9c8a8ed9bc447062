//! Reading inputs that may be hostile: `check` runs on untrusted pull requests, so a file in the
//! tree may be a symlink to `/proc/self/environ` or `/dev/zero`, a FIFO, or gigabytes long.
//!
//! Only regular files are read. A file found while walking a directory must resolve (through
//! symlinks) to a place inside that directory; a path named on the command line may be a symlink
//! to a regular file, as the user chose it. Files are opened with `O_NONBLOCK` (a FIFO swapped in
//! after the type check cannot hang the open) and, when found by walking, `O_NOFOLLOW`; the type
//! is checked again on the open descriptor. At most [`MAX_FILE_BYTES`] are read. Text must be
//! UTF-8 (a byte-order mark is dropped): NUL bytes, UTF-16 and invalid UTF-8 are errors, never a
//! silently clean file.
use std::fs::{Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The most bytes read from one file (or stdin): far more than any manifest or config.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// A file that was deliberately not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// Why a file gave no text.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not read on purpose (not a regular file, outside the tree, too big): reported as skipped.
    #[error("{0}")]
    Skip(String),
    /// Could not be read or decoded: an error.
    #[error("{0}")]
    Fail(String),
}

/// How a path reached the checker.
#[derive(Debug, Clone, Copy)]
pub enum Reach<'a> {
    /// Named on the command line.
    Named,
    /// Found while walking `root` (canonical).
    Walked { root: &'a Path },
}

/// A file's text and its canonical path.
#[derive(Debug)]
pub struct Text {
    pub text: String,
    pub canonical: PathBuf,
}

/// Reads a file as UTF-8 text under the rules of this module.
pub fn read(path: &Path, reach: Reach) -> Result<Text, ReadError> {
    let canonical = std::fs::canonicalize(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound if path.is_symlink() => {
            ReadError::Skip("a symlink to nothing".into())
        }
        _ => ReadError::Fail(e.to_string()),
    })?;
    if let Reach::Walked { root } = reach {
        if !canonical.starts_with(root) {
            return Err(ReadError::Skip(format!(
                "a symlink to {}, outside {}",
                canonical.display(),
                root.display()
            )));
        }
    }
    if ["/proc", "/sys", "/dev"].iter().any(|p| canonical.starts_with(p)) {
        return Err(ReadError::Skip(format!("{} is not a file on disk", canonical.display())));
    }
    let meta = std::fs::metadata(&canonical).map_err(|e| ReadError::Fail(e.to_string()))?;
    check_regular(&meta)?;
    let mut options = OpenOptions::new();
    options.read(true);
    // O_NONBLOCK: a FIFO put in place after the check above must not block the open.
    let mut flags = libc::O_NONBLOCK;
    if matches!(reach, Reach::Walked { .. }) {
        // The canonical path has no symlinks; one appearing now is a race, not a file to follow.
        flags |= libc::O_NOFOLLOW;
    }
    options.custom_flags(flags);
    let file = options.open(&canonical).map_err(|e| ReadError::Fail(e.to_string()))?;
    let meta = file.metadata().map_err(|e| ReadError::Fail(e.to_string()))?;
    check_regular(&meta)?;
    let bytes = read_limited(file)?;
    let text = decode(bytes).map_err(ReadError::Fail)?;
    Ok(Text { text, canonical })
}

/// Reads stdin, up to the limit.
pub fn read_stdin() -> Result<String, ReadError> {
    let bytes = read_limited(std::io::stdin().lock())?;
    decode(bytes).map_err(ReadError::Fail)
}

fn too_big() -> ReadError {
    ReadError::Skip(format!("larger than {} MiB", MAX_FILE_BYTES >> 20))
}

fn check_regular(meta: &Metadata) -> Result<(), ReadError> {
    let kind = meta.file_type();
    let what = if kind.is_file() {
        return if meta.len() > MAX_FILE_BYTES { Err(too_big()) } else { Ok(()) };
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    };
    Err(ReadError::Skip(what.into()))
}

/// Reads at most one byte past the limit, so a file that grows while read is still caught.
fn read_limited(reader: impl Read) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// UTF-8 text, without a byte-order mark. Anything else is named: a NUL byte (binary or UTF-16
/// without a mark), a UTF-16 byte-order mark, or the first byte that is not UTF-8.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err("UTF-16 text (byte-order mark): save it as UTF-8".into());
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(&bytes);
    if let Some(at) = body.iter().position(|&b| b == 0) {
        return Err(format!("a NUL byte at byte {at}: a binary file, or UTF-16 without a byte-order mark; save it as UTF-8"));
    }
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => Err(format!("invalid UTF-8 at byte {}: save it as UTF-8", e.valid_up_to())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_names_what_is_wrong() {
        assert_eq!(decode(b"\xEF\xBB\xBFkind: Pod\n".to_vec()).unwrap(), "kind: Pod\n");
        assert!(decode(b"\xFF\xFEk\0i\0".to_vec()).unwrap_err().contains("UTF-16"));
        assert!(decode(b"kind: Pod\0\n".to_vec()).unwrap_err().contains("NUL byte at byte 9"));
        assert!(decode(b"ab\xC3(".to_vec()).unwrap_err().contains("invalid UTF-8 at byte 2"));
    }
}
