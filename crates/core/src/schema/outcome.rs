//! The names of network outcomes: why a request got no complete response. They are the keys
//! of every `net` map, the names `--fail-on net(NAME)` accepts and the per-second lines'
//! words, all derived from [`NetOutcome`].
use std::borrow::Cow;

/// Why a request got no complete response. Classifying an I/O error into one is the load
/// generator's job (it knows the sockets); the names are everyone's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetOutcome {
    /// The server refused the connection (ECONNREFUSED): nothing listens on the port.
    Refused,
    /// The connection was reset (ECONNRESET, or EPIPE while writing the request).
    Reset,
    /// The server closed the connection (EOF) before the response was complete.
    Closed,
    /// No complete response within `--timeout` (connect and response together).
    Timeout,
    /// Abandoned when the run was stopped before the request finished.
    Aborted,
    /// Any other failure, named by errno (`other:EHOSTUNREACH`) or kind (`other:tls`,
    /// `other:bad-response`).
    Other(String),
}

/// The prefix of [`NetOutcome::Other`]'s names.
const OTHER_PREFIX: &str = "other:";

impl NetOutcome {
    /// Every outcome with a fixed name, in the order help texts list them.
    pub const NAMED: [NetOutcome; 5] = [
        NetOutcome::Refused,
        NetOutcome::Reset,
        NetOutcome::Closed,
        NetOutcome::Timeout,
        NetOutcome::Aborted,
    ];

    /// The stable name used in every output.
    pub fn name(&self) -> Cow<'static, str> {
        match self {
            NetOutcome::Refused => "refused".into(),
            NetOutcome::Reset => "reset".into(),
            NetOutcome::Closed => "closed".into(),
            NetOutcome::Timeout => "timeout".into(),
            NetOutcome::Aborted => "aborted".into(),
            NetOutcome::Other(what) => format!("{OTHER_PREFIX}{what}").into(),
        }
    }

    /// The outcome a name stands for: one of [`NetOutcome::NAMED`] or `other:WHAT` (WHAT not
    /// empty). `None` for anything else.
    pub fn from_name(name: &str) -> Option<NetOutcome> {
        if let Some(what) = name.strip_prefix(OTHER_PREFIX) {
            return (!what.is_empty()).then(|| NetOutcome::Other(what.to_string()));
        }
        NetOutcome::NAMED.into_iter().find(|outcome| outcome.name() == name)
    }

    /// The names for a help text or an error: `refused, reset, closed, timeout, aborted,
    /// other:<errno>`.
    pub fn names_help() -> String {
        let mut names: Vec<String> = NetOutcome::NAMED.iter().map(|o| o.name().into()).collect();
        names.push(format!("{OTHER_PREFIX}<errno>"));
        names.join(", ")
    }
}

impl std::fmt::Display for NetOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_outcome() {
        for outcome in NetOutcome::NAMED {
            assert_eq!(NetOutcome::from_name(&outcome.name()), Some(outcome));
        }
        let other = NetOutcome::Other("EHOSTUNREACH".into());
        assert_eq!(NetOutcome::from_name("other:EHOSTUNREACH"), Some(other));
        assert_eq!(NetOutcome::from_name("other:"), None);
        assert_eq!(NetOutcome::from_name("refuse"), None);
        assert_eq!(
            NetOutcome::names_help(),
            "refused, reset, closed, timeout, aborted, other:<errno>"
        );
    }
}
