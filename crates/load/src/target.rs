//! Target URLs and the request bytes sent to them, serialised once before the run.
//!
//! Pre-serialising means the hot loop only copies bytes into a socket; it also means every
//! request the run sends is byte-for-byte what `--help` and the docs describe.
use std::net::{SocketAddr, ToSocketAddrs};

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
}

/// A parsed `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    /// Host name or IP literal, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

/// A URL or header that cannot be used, with the offending text and what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetError {
    #[error("invalid URL `{url}`: {reason}")]
    Url { url: String, reason: String },
    #[error("invalid header `{header}`: {reason}")]
    Header { header: String, reason: String },
    #[error("cannot resolve `{host}`: {reason}")]
    Resolve { host: String, reason: String },
}

impl Target {
    /// Parses `http[s]://host[:port][/path][?query]`. Fragments are dropped, as browsers do.
    pub fn parse(url: &str) -> Result<Target, TargetError> {
        let fail =
            |reason: &str| TargetError::Url { url: redact_userinfo(url), reason: reason.into() };
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return Err(fail("expected it to start with http:// or https://"));
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let mut path = rest[authority_end..].split('#').next().unwrap_or("").to_string();
        if path.is_empty() || path.starts_with('?') {
            path.insert(0, '/');
        }
        if path.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
            return Err(fail(
                "the path contains spaces or control characters; percent-encode them",
            ));
        }
        if authority.contains('@') {
            return Err(fail(
                "user:password@ in URLs is not supported; use --header Authorization",
            ));
        }
        let default_port = if scheme == Scheme::Https { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let close = v6.find(']').ok_or_else(|| fail("missing `]` after IPv6 address"))?;
            let port = match &v6[close + 1..] {
                "" => default_port,
                p => parse_port(p.strip_prefix(':').ok_or_else(|| fail("expected `:port`"))?)
                    .ok_or_else(|| fail("the port must be a number from 1 to 65535"))?,
            };
            (v6[..close].to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, p)) => (
                    host.to_string(),
                    parse_port(p)
                        .ok_or_else(|| fail("the port must be a number from 1 to 65535"))?,
                ),
                None => (authority.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return Err(fail("the host is missing"));
        }
        if !host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b)) {
            return Err(fail("the host may only contain letters, digits, `-`, `.` and `_`"));
        }
        Ok(Target { scheme, host, port, path })
    }

    /// The URL as requests use it: scheme, authority and path (never any userinfo).
    pub fn url(&self) -> String {
        let scheme = if self.scheme == Scheme::Https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority(), self.path)
    }

    /// `host:port` as it goes in the Host header (port omitted when it is the default).
    pub fn authority(&self) -> String {
        let host =
            if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        let default = if self.scheme == Scheme::Https { 443 } else { 80 };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// Resolves the host once, before the run; the run then connects to this address only.
    /// IPv4 is preferred when the name has both (`localhost` is often `::1` first, while
    /// servers are often bound to 127.0.0.1 only).
    pub fn resolve(&self) -> Result<SocketAddr, TargetError> {
        let fail = |reason: String| TargetError::Resolve { host: self.host.clone(), reason };
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| fail(e.to_string()))?
            .collect();
        let v4 = addrs.iter().find(|a| a.is_ipv4());
        v4.or(addrs.first()).copied().ok_or_else(|| fail("no addresses".into()))
    }
}

fn parse_port(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|p| *p > 0)
}

/// `url` with any `user:password@` replaced by `***@`, so that messages and logs never show a
/// secret given in a URL.
pub fn redact_userinfo(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let authority_end =
        url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
    match url[after_scheme..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..after_scheme], &url[after_scheme + at..]),
        None => url.to_string(),
    }
}

/// Parses `Name: value` as given to `--header`.
pub fn parse_header(text: &str) -> Result<(String, String), TargetError> {
    let fail =
        |reason: &str| TargetError::Header { header: text.to_string(), reason: reason.into() };
    let (name, value) = text.split_once(':').ok_or_else(|| fail("expected `Name: value`"))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(fail("the name must be a non-empty HTTP token (letters, digits, `-`)"));
    }
    let value = value.trim();
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(fail("the value must not contain line breaks"));
    }
    Ok((name.to_string(), value.to_string()))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Builds the exact bytes of one HTTP/1.1 request.
pub(crate) fn serialize_request(
    target: &Target,
    method: &str,
    host_override: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
    keepalive: bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + body.len());
    let host = host_override.map(str::to_string).unwrap_or_else(|| target.authority());
    out.extend_from_slice(
        format!("{method} {} HTTP/1.1\r\nHost: {host}\r\n", target.path).as_bytes(),
    );
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !has("user-agent") {
        out.extend_from_slice(b"User-Agent: lameduck-load\r\n");
    }
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if !keepalive && !has("connection") {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    if (!body.is_empty() || !matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS"))
        && !has("content-length")
    {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let t = Target::parse("http://127.0.0.1:8080/a/b?x=1#frag").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.path.as_str()), ("127.0.0.1", 8080, "/a/b?x=1"));
        let t = Target::parse("https://example.com").unwrap();
        assert_eq!((t.scheme, t.port, t.path.as_str()), (Scheme::Https, 443, "/"));
        assert_eq!(t.authority(), "example.com");
        let t = Target::parse("http://[::1]:81?q").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.path.as_str()), ("::1", 81, "/?q"));
        assert_eq!(t.authority(), "[::1]:81");
    }

    #[test]
    fn rejects_bad_urls_with_a_reason() {
        for (url, reason) in [
            ("ftp://x/", "http:// or https://"),
            ("localhost:80", "http:// or https://"),
            ("http://:80/", "host is missing"),
            ("http://h:99999/", "port"),
            ("http://h:0/", "port"),
            ("http://h/a b", "spaces"),
        ] {
            let err = Target::parse(url).unwrap_err().to_string();
            assert!(err.contains(url) && err.contains(reason), "{url}: {err}");
        }
    }

    #[test]
    fn userinfo_is_rejected_without_showing_the_password() {
        let err = Target::parse("http://user:s3cret@h/x").unwrap_err().to_string();
        assert!(err.contains("`http://***@h/x`") && err.contains("Authorization"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        assert_eq!(redact_userinfo("https://tok@h:8443/p?u=a@b"), "https://***@h:8443/p?u=a@b");
        assert_eq!(redact_userinfo("http://h/a@b"), "http://h/a@b");
        let t = Target::parse("http://[::1]:81/p?q").unwrap();
        assert_eq!(t.url(), "http://[::1]:81/p?q");
    }

    proptest::proptest! {
        #[test]
        fn url_and_header_parsing_never_panic(text in "\\PC{0,40}") {
            let _ = Target::parse(&text);
            let _ = Target::parse(&format!("http://{text}"));
            let _ = parse_header(&text);
        }
    }

    #[test]
    fn headers_and_request_bytes() {
        assert_eq!(parse_header("X-A:  b c ").unwrap(), ("X-A".into(), "b c".into()));
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
        let t = Target::parse("http://h:81/p").unwrap();
        let headers = vec![("X-A".to_string(), "1".to_string())];
        let bytes = serialize_request(&t, "POST", Some("front"), &headers, b"hi", false);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "POST /p HTTP/1.1\r\nHost: front\r\nUser-Agent: lameduck-load\r\nX-A: 1\r\n\
             Connection: close\r\nContent-Length: 2\r\n\r\nhi"
        );
    }
}
