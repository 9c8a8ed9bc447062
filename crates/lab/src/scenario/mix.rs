//! Checks of the load's request mix (`load.requests`, `load.duration`) that parsing alone
//! cannot make.
use super::{Invalid, LoadSpec};

/// Largest body of one request kind.
pub const MAX_BODY: u64 = 1 << 20;

/// Checks `load.requests` and `load.duration`.
pub fn check(load: &LoadSpec) -> Result<(), Invalid> {
    let fix = |message: String, needle: &str, hint: &str| {
        Err((message, Some(needle.to_string()), hint.to_string()))
    };
    if !load.requests.is_empty() && load.uris != ["/"] {
        return fix(
            "load has both uris and requests".into(),
            "requests",
            "give the paths as the requests' `uri` and drop `uris`",
        );
    }
    if !load.requests.is_empty() && load.requests.iter().all(|r| r.weight == 0) {
        return fix(
            "every entry of load.requests has weight 0".into(),
            "requests",
            "give at least one request a weight above 0",
        );
    }
    for r in &load.requests {
        if !r.uri.starts_with('/') {
            return fix(
                format!("request uri `{}` does not start with /", r.uri),
                &r.uri,
                "give a path such as /upload",
            );
        }
        if r.body.0 > MAX_BODY {
            return fix(
                format!("a request body of {} is over the lab's limit of 1MiB", r.body),
                "body",
                "use a smaller body, e.g. 4KiB",
            );
        }
    }
    if let Some(problem) = load.duration.as_ref().and_then(|d| d.problem()) {
        return fix(
            format!("load.duration: {problem}"),
            "duration",
            "e.g. duration: {uniform: [200ms, 2s]}",
        );
    }
    Ok(())
}
