//! Yandex.Tank ammo files as request sources, in Tank's own formats so a Tank user's files work
//! unchanged (`--ammo FILE --ammo-type uri|uripost|phantom`, or `phantom.ammofile` and
//! `phantom.ammo_type` in load.yaml):
//!
//! - `uri`: one request target per line, `/path [tag]`, sent as GET. A line `[Name: value]`
//!   sets a header for the requests after it (a later one with the same name replaces it).
//! - `uripost`: `SIZE /path [tag]` followed by a SIZE-byte body, sent as POST; `[Name: value]`
//!   lines between requests set headers as in `uri`.
//! - `phantom`: `SIZE [tag]` followed by SIZE bytes of a complete HTTP request, sent unchanged.
//!   A SIZE of 0 ends the ammo, as it makes Tank start over.
//!
//! Blank lines between entries are skipped. Requests go round-robin over the ammo, as Tank does
//! when it loops over the file. Tags are read and ignored (Tank groups its statistics by them).
//! The file is read whole, so it is capped at [`MAX_FILE_BYTES`].
use std::path::Path;
use std::sync::Arc;

/// Largest ammo file read: it is held in memory for the run.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The ammo formats, by their Tank names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AmmoType {
    Uri,
    Uripost,
    Phantom,
}

impl AmmoType {
    /// The Tank name.
    pub fn name(self) -> &'static str {
        match self {
            AmmoType::Uri => "uri",
            AmmoType::Uripost => "uripost",
            AmmoType::Phantom => "phantom",
        }
    }

    /// Parses a Tank `ammo_type` name.
    pub fn parse(name: &str) -> Result<AmmoType, String> {
        match name {
            "uri" => Ok(AmmoType::Uri),
            "uripost" => Ok(AmmoType::Uripost),
            "phantom" => Ok(AmmoType::Phantom),
            other => Err(format!(
                "ammo type `{other}` is not supported: use uri, uripost or phantom{}",
                match other {
                    "uri_post" | "uri-post" | "post" => " (did you mean uripost?)",
                    "uris" | "url" => " (did you mean uri?)",
                    _ => "",
                }
            )),
        }
    }
}

/// One request of the ammo.
#[derive(Debug, Clone, PartialEq)]
pub enum Missile {
    /// From `uri` or `uripost` ammo: lameduck writes the request, with the run's headers and
    /// then the ammo's (`headers`, which win over the run's of the same name).
    Request {
        method: &'static str,
        /// Path and query, starting with `/`.
        uri: String,
        headers: Arc<Vec<(String, String)>>,
        body: Vec<u8>,
    },
    /// From `phantom` ammo: the bytes of a whole HTTP request, sent as they are.
    Raw(Vec<u8>),
}

impl Missile {
    /// About how many bytes the request takes once written out, for the memory bound.
    pub fn size(&self) -> usize {
        match self {
            Missile::Request { uri, headers, body, .. } => {
                let headers: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
                uri.len() + headers + body.len() + 64
            }
            Missile::Raw(bytes) => bytes.len(),
        }
    }
}

/// An ammo file that cannot be used: where (`line` 0 for the file as a whole), and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct AmmoError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for AmmoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.message),
            line => write!(f, "{}:{line}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for AmmoError {}

/// Reads and parses the ammo file at `path`.
pub fn load(path: &Path, kind: AmmoType) -> Result<Vec<Missile>, AmmoError> {
    use std::io::Read;
    let file = path.display().to_string();
    let fail = |message: String| AmmoError { file: file.clone(), line: 0, message };
    let opened = std::fs::File::open(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let mut bytes = Vec::new();
    opened
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(format!(
            "larger than {} MiB; the ammo is held in memory for the run, so split it or send \
             fewer distinct requests",
            MAX_FILE_BYTES >> 20
        )));
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(fail("gzip-compressed; decompress it first (gunzip)".into()));
    }
    parse(&file, &bytes, kind)
}

/// Parses ammo `bytes` (named `file` in errors). Never panics, whatever the bytes.
pub fn parse(file: &str, bytes: &[u8], kind: AmmoType) -> Result<Vec<Missile>, AmmoError> {
    let mut reader = Reader { bytes, at: 0, line: 1, file };
    let missiles = match kind {
        AmmoType::Uri => uri(&mut reader)?,
        AmmoType::Uripost => uripost(&mut reader)?,
        AmmoType::Phantom => phantom(&mut reader)?,
    };
    if missiles.is_empty() {
        let message = format!("no requests in this {} ammo", kind.name());
        return Err(reader.error(1, message));
    }
    Ok(missiles)
}

/// A cursor over the file that knows the line it is on.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
    file: &'a str,
}

impl<'a> Reader<'a> {
    fn error(&self, line: usize, message: impl Into<String>) -> AmmoError {
        AmmoError { file: self.file.to_string(), line, message: message.into() }
    }

    /// The next line without its `\r\n` or `\n`, and its number.
    fn line(&mut self) -> Option<(usize, &'a [u8])> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let rest = &self.bytes[self.at..];
        let end = rest.iter().position(|b| *b == b'\n');
        let line = &rest[..end.unwrap_or(rest.len())];
        self.at += end.map_or(rest.len(), |n| n + 1);
        let number = self.line;
        self.line += 1;
        Some((number, line.strip_suffix(b"\r").unwrap_or(line)))
    }

    /// The next `size` bytes, or `None` when the file ends first.
    fn take(&mut self, size: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(size).filter(|end| *end <= self.bytes.len())?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        self.line += taken.iter().filter(|b| **b == b'\n').count();
        Some(taken)
    }
}

fn text(line: usize, bytes: &[u8], reader: &Reader) -> Result<String, AmmoError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| reader.error(line, "not UTF-8 text (only bodies may be binary)"))
}

/// A `[Name: value]` line, replacing any header of the same name in `headers`.
fn header(
    line: usize,
    raw: &[u8],
    headers: &mut Arc<Vec<(String, String)>>,
    reader: &Reader,
) -> Result<(), AmmoError> {
    let raw = text(line, raw, reader)?;
    let inner = raw.trim().trim_start_matches('[').trim_end_matches(']');
    let (name, value) = crate::target::parse_header(inner)
        .map_err(|e| reader.error(line, format!("{e}; header lines look like [Name: value]")))?;
    let headers = Arc::make_mut(headers);
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
    headers.push((name, value));
    Ok(())
}

/// A request target: a path starting with `/`, without spaces or control characters.
fn path(line: usize, field: Option<&str>, reader: &Reader) -> Result<String, AmmoError> {
    match field {
        Some(uri) if uri.starts_with('/') && !uri.bytes().any(|b| b.is_ascii_control()) => {
            Ok(uri.to_string())
        }
        Some(other) => {
            Err(reader
                .error(line, format!("`{other}` is not a path: request targets start with `/`")))
        }
        None => Err(reader.error(line, "expected a path such as /index.html")),
    }
}

fn uri(reader: &mut Reader) -> Result<Vec<Missile>, AmmoError> {
    let mut headers = Arc::new(Vec::new());
    let mut missiles = Vec::new();
    while let Some((line, raw)) = reader.line() {
        if raw.trim_ascii().is_empty() {
            continue;
        }
        if raw.trim_ascii_start().starts_with(b"[") {
            header(line, raw, &mut headers, reader)?;
            continue;
        }
        let entry = text(line, raw, reader)?;
        let uri = path(line, entry.split_whitespace().next(), reader)?;
        missiles.push(Missile::Request {
            method: "GET",
            uri,
            headers: headers.clone(),
            body: Vec::new(),
        });
    }
    Ok(missiles)
}

/// `SIZE ...` at the start of a chunk header: the size, and the rest of the fields.
fn chunk_header<'a>(
    line: usize,
    entry: &'a str,
    reader: &Reader,
    expected: &str,
) -> Result<(usize, std::str::SplitWhitespace<'a>), AmmoError> {
    let mut fields = entry.split_whitespace();
    let size = fields.next().and_then(|s| s.parse::<usize>().ok()).ok_or_else(|| {
        reader.error(
            line,
            format!(
                "expected `{expected}`, found `{}`; if the line above ends a request, its SIZE \
                 is wrong (it counts every byte, line ends included)",
                entry.chars().take(60).collect::<String>()
            ),
        )
    })?;
    Ok((size, fields))
}

fn body<'a>(reader: &mut Reader<'a>, line: usize, size: usize) -> Result<&'a [u8], AmmoError> {
    reader
        .take(size)
        .ok_or_else(|| reader.error(line, format!("SIZE {size} runs past the end of the file")))
}

fn uripost(reader: &mut Reader) -> Result<Vec<Missile>, AmmoError> {
    let mut headers = Arc::new(Vec::new());
    let mut missiles = Vec::new();
    while let Some((line, raw)) = reader.line() {
        if raw.trim_ascii().is_empty() {
            continue;
        }
        if raw.trim_ascii_start().starts_with(b"[") {
            header(line, raw, &mut headers, reader)?;
            continue;
        }
        let entry = text(line, raw, reader)?;
        let (size, mut fields) = chunk_header(line, &entry, reader, "SIZE /path [tag]")?;
        let uri = path(line, fields.next(), reader)?;
        let body = body(reader, line, size)?.to_vec();
        missiles.push(Missile::Request { method: "POST", uri, headers: headers.clone(), body });
    }
    Ok(missiles)
}

fn phantom(reader: &mut Reader) -> Result<Vec<Missile>, AmmoError> {
    let mut missiles = Vec::new();
    while let Some((line, raw)) = reader.line() {
        if raw.is_empty() {
            continue;
        }
        let entry = text(line, raw, reader)?;
        let (size, _tag) = chunk_header(line, &entry, reader, "SIZE [tag]")?;
        if size == 0 {
            break;
        }
        let request = body(reader, line, size)?;
        check_raw_request(request).map_err(|message| reader.error(line + 1, message))?;
        missiles.push(Missile::Raw(request.to_vec()));
    }
    Ok(missiles)
}

/// A phantom request must at least be one: `METHOD /target HTTP/1.x`, then headers ending with
/// a blank line. This catches a wrong SIZE before the run instead of as timeouts during it.
fn check_raw_request(request: &[u8]) -> Result<(), String> {
    let first = request.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let mut parts = first.split(|b| *b == b' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    let version = parts.next().unwrap_or_default();
    let looks_right = !method.is_empty()
        && method.iter().all(u8::is_ascii_uppercase)
        && !target.is_empty()
        && version.starts_with(b"HTTP/1.")
        && parts.next().is_none();
    if !looks_right {
        return Err(format!(
            "expected a request line such as `GET / HTTP/1.1`, found `{}`",
            String::from_utf8_lossy(&first[..first.len().min(60)])
        ));
    }
    let ends_head =
        request.windows(4).any(|w| w == b"\r\n\r\n") || request.windows(2).any(|w| w == b"\n\n");
    if !ends_head {
        return Err("the request's headers do not end with a blank line; its SIZE must count \
                    every byte, the blank line's \\r\\n included"
            .into());
    }
    Ok(())
}

/// Whether a raw request is a HEAD request (its response has no body whatever it says).
pub(crate) fn is_head(request: &[u8]) -> bool {
    request.starts_with(b"HEAD ")
}

/// Whether a request's head says `Connection: close` (the run's `--no-keepalive`, or a request
/// of the ammo that asks for it).
pub(crate) fn declares_close(request: &[u8]) -> bool {
    let head_end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(request.len());
    let head = String::from_utf8_lossy(&request[..head_end]);
    head.lines().skip(1).any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("connection")
                && value.split(',').any(|token| token.trim().eq_ignore_ascii_case("close"))
        })
    })
}

#[cfg(test)]
#[path = "ammo_tests.rs"]
mod tests;
