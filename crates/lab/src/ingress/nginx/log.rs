//! nginx's own account of each request, read from its syslog stream: the error log's upstream
//! failures (cause, upstream address, client connection) and one access line per request
//! (final status, every upstream tried and what each gave). Both come from the same worker in
//! order, and a client connection carries one request at a time, so the failures pending on a
//! connection when its access line arrives are that request's.
use lameduck_core::schema::Cause;

/// Marks the access lines in the stream (see `log_format lab` in the generated config).
pub const ACCESS_TAG: &str = "lameduck-access";

/// One line of nginx's syslog stream that matters to the lab.
#[derive(Debug, PartialEq)]
pub enum Line {
    /// An upstream attempt failed (nginx may still try the next one).
    Failure { conn: ClientConn, addr: String, cause: Cause, sent: bool },
    /// A request ended.
    Access { conn: ClientConn, status: u16, attempts: Vec<(String, Option<u16>)> },
    /// A worker's Lua balancer took the peers of the `version`-th endpoint post.
    Synced { worker: u32, version: u64 },
}

/// Marks a worker's balancer sync in the stream (see `balancer.lua`).
const SYNCED_TAG: &str = "lameduck-backends ";

/// A client connection: worker PID and nginx's connection serial number.
pub type ClientConn = (u32, u64);

/// Parses one syslog message; `None` for lines the lab does not use.
pub fn parse(message: &str) -> Option<Line> {
    if let Some(at) = message.find(ACCESS_TAG) {
        return parse_access(&message[at + ACCESS_TAG.len()..]);
    }
    if let Some(at) = message.find(SYNCED_TAG) {
        let version = message[at + SYNCED_TAG.len()..].split_whitespace().next()?.parse().ok()?;
        let worker = message[message.find("] ")? + 2..].split_once('#')?.0.parse().ok()?;
        return Some(Line::Synced { worker, version });
    }
    parse_error(message)
}

/// `PID CONN STATUS "ADDR, ADDR" "STATUS, STATUS"`
fn parse_access(rest: &str) -> Option<Line> {
    let mut words = rest.split_whitespace();
    let conn = (words.next()?.parse().ok()?, words.next()?.parse().ok()?);
    let status = words.next()?.parse().ok()?;
    let quoted: Vec<&str> = rest.split('"').collect();
    let (addrs, statuses) = (quoted.get(1)?, quoted.get(3)?);
    // Attempts in different upstream groups are separated by " : "; there is one group here.
    let attempts: Vec<&str> =
        addrs.split(" : ").flat_map(|group| group.split(',')).map(str::trim).collect();
    let statuses: Vec<Option<u16>> = statuses.split(',').map(|s| s.trim().parse().ok()).collect();
    let attempts = attempts
        .into_iter()
        .enumerate()
        .filter(|(_, a)| *a != "-")
        .map(|(i, a)| (a.to_string(), statuses.get(i).copied().flatten()))
        .collect();
    Some(Line::Access { conn, status, attempts })
}

/// `... [error] PID#TID: *CONN connect() failed (111: Connection refused) while connecting to
/// upstream, ..., upstream: "http://10.200.0.2:80/x", ...`
fn parse_error(message: &str) -> Option<Line> {
    let after_level = &message[message.find("] ")? + 2..];
    let (pid, rest) = after_level.split_once('#')?;
    let rest = &rest[rest.find(": *")? + 3..];
    let (conn, text) = rest.split_once(' ')?;
    let conn = (pid.parse().ok()?, conn.parse().ok()?);
    let addr = text.split("upstream: \"http://").nth(1)?.split(['/', '"']).next()?.to_string();
    let cause = if text.contains("no live upstreams") {
        Cause::NoEndpoints
    } else if text.contains("Connection refused") {
        Cause::Refused
    } else if text.contains("timed out") {
        Cause::Timeout
    } else if text.contains("prematurely closed") {
        Cause::Closed
    } else if text.contains("reset by peer") || text.contains("Broken pipe") {
        Cause::Reset
    } else if text.contains("upstream sent") {
        Cause::Malformed
    } else {
        return None;
    };
    let sent = !(text.contains("while connecting to upstream")
        || text.contains("while sending request to upstream"));
    Some(Line::Failure { conn, addr, cause, sent })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connect_is_a_failure_before_sending() {
        let line = r#"<187>Nov 26 17:13:15 nginx: 2026/11/26 17:13:15 [error] 29271#29271: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /x HTTP/1.1", upstream: "http://10.200.0.2:80/x", host: "localhost""#;
        assert_eq!(
            parse(line),
            Some(Line::Failure {
                conn: (29271, 1),
                addr: "10.200.0.2:80".into(),
                cause: Cause::Refused,
                sent: false
            })
        );
    }

    #[test]
    fn a_close_while_reading_the_header_is_after_sending() {
        let line = r#"<187>Nov 26 17:13:15 nginx: 2026/11/26 17:13:15 [error] 7#7: *42 upstream prematurely closed connection while reading response header from upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://10.200.0.6:80/", host: "h""#;
        assert!(matches!(
            parse(line),
            Some(Line::Failure { cause: Cause::Closed, sent: true, .. })
        ));
    }

    #[test]
    fn an_access_line_lists_every_attempt() {
        let line = r#"<190>Nov 26 17:13:15 nginx: lameduck-access 7 42 200 "10.200.0.6:80, 10.200.0.2:80" "502, 200""#;
        assert_eq!(
            parse(line),
            Some(Line::Access {
                conn: (7, 42),
                status: 200,
                attempts: vec![
                    ("10.200.0.6:80".into(), Some(502)),
                    ("10.200.0.2:80".into(), Some(200))
                ]
            })
        );
    }

    #[test]
    fn a_balancer_sync_names_its_worker_and_version() {
        let line = "<189>Nov 27 04:30:01 nginx: 2026/11/27 04:30:01 [notice] 31#31: *3 [lua] lameduck_balancer.lua:37: lameduck-backends 4 2, context: ngx.timer";
        assert_eq!(parse(line), Some(Line::Synced { worker: 31, version: 4 }));
    }

    #[test]
    fn notices_are_ignored() {
        let line =
            "<189>Nov 26 17:13:15 nginx: 2026/11/26 17:13:15 [notice] 1#1: start worker process 9";
        assert_eq!(parse(line), None);
    }
}
