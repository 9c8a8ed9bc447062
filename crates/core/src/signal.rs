//! Signal names as Kubernetes `stopSignal`, Dockerfile `STOPSIGNAL`, `kill` and lameduck's flags
//! write them: `SIGQUIT`, `QUIT`, `quit`, `3`, `SIGRTMIN+2`.
//!
//! The numbers are Linux's (the same on x86_64 and arm64); real-time signals are numbered as
//! glibc does, `SIGRTMIN` = 34 (glibc keeps 32 and 33 for itself).

/// Linux's standard signals by name.
const STANDARD: &[(&str, i32)] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGSTKFLT", 16),
    ("SIGCHLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIGVTALRM", 26),
    ("SIGPROF", 27),
    ("SIGWINCH", 28),
    ("SIGIO", 29),
    ("SIGPWR", 30),
    ("SIGSYS", 31),
];

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGKILL: i32 = 9;
pub const SIGUSR1: i32 = 10;
pub const SIGUSR2: i32 = 12;
pub const SIGTERM: i32 = 15;
pub const SIGCHLD: i32 = 17;
pub const SIGWINCH: i32 = 28;
/// The first and last real-time signal as glibc numbers them.
pub const SIGRTMIN: i32 = 34;
pub const SIGRTMAX: i32 = 64;

/// Why a text is not a signal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    #[error("`{0}` is not a signal number (1-31, or 34-64 for real-time signals)")]
    BadNumber(String),
    #[error("`{text}` is not a signal; write e.g. QUIT, TERM, WINCH, USR2 or 3{suggestion}")]
    Unknown { text: String, suggestion: String },
    #[error(
        "`{0}` is a real-time signal, which lameduck cannot send or forward; use a standard \
         signal such as QUIT, TERM or USR1"
    )]
    RealTime(String),
}

/// Parses a signal lameduck can send as a stop signal: any standard one, not a real-time one.
/// `lameduck run` and `prestop` accept exactly these; `lameduck check` asks the same question.
pub fn parse_sendable(text: &str) -> Result<i32, SignalError> {
    let number = parse(text)?;
    if number >= SIGRTMIN {
        return Err(SignalError::RealTime(text.trim().to_string()));
    }
    Ok(number)
}

/// Parses `QUIT`, `SIGQUIT`, `sigquit`, `3`, `RTMIN+2` or `SIGRTMAX-1` into a signal number.
pub fn parse(text: &str) -> Result<i32, SignalError> {
    let trimmed = text.trim();
    if let Ok(number) = trimmed.parse::<i32>() {
        return if is_signal(number) {
            Ok(number)
        } else {
            Err(SignalError::BadNumber(trimmed.to_string()))
        };
    }
    let upper = trimmed.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") { upper } else { format!("SIG{upper}") };
    if let Some((_, number)) = STANDARD.iter().find(|(name, _)| *name == full) {
        return Ok(*number);
    }
    realtime(&full).ok_or_else(|| SignalError::Unknown {
        text: trimmed.to_string(),
        suggestion: suggest(&full)
            .map(|name| format!("; did you mean {name}?"))
            .unwrap_or_default(),
    })
}

/// Whether Linux has a signal with this number.
pub fn is_signal(number: i32) -> bool {
    (1..=31).contains(&number) || (SIGRTMIN..=SIGRTMAX).contains(&number)
}

/// `SIGRTMIN`, `SIGRTMIN+3`, `SIGRTMAX-2`.
fn realtime(full: &str) -> Option<i32> {
    let (base, rest) = if let Some(rest) = full.strip_prefix("SIGRTMIN") {
        (SIGRTMIN, rest)
    } else {
        (SIGRTMAX, full.strip_prefix("SIGRTMAX")?)
    };
    let offset = match rest.as_bytes().first() {
        None => 0,
        Some(b'+') => rest[1..].parse::<i32>().ok()?,
        Some(b'-') => -rest[1..].parse::<i32>().ok()?,
        Some(_) => return None,
    };
    let number = base.checked_add(offset)?;
    (SIGRTMIN..=SIGRTMAX).contains(&number).then_some(number)
}

/// The name of a close standard signal, for "did you mean".
fn suggest(full: &str) -> Option<&'static str> {
    STANDARD
        .iter()
        .map(|(name, _)| *name)
        .find(|name| edit_distance(name.as_bytes(), full.as_bytes()) <= 1)
}

/// Levenshtein distance, for names of a dozen letters.
fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, y) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(x != y);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// `SIGQUIT` for 3, `SIGRTMIN+2` for 36, `signal 99` for a number Linux has no signal for.
pub fn name(number: i32) -> String {
    if let Some((name, _)) = STANDARD.iter().find(|(_, n)| *n == number) {
        return (*name).to_string();
    }
    match number {
        SIGRTMIN => "SIGRTMIN".to_string(),
        n if (SIGRTMIN + 1..=SIGRTMAX).contains(&n) => format!("SIGRTMIN+{}", n - SIGRTMIN),
        n => format!("signal {n}"),
    }
}

/// The name without `SIG`, as lameduck's logs and config write it: `QUIT` for 3.
pub fn short_name(number: i32) -> String {
    let full = name(number);
    full.strip_prefix("SIG").map(str::to_string).unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_kubernetes_docker_and_kill_use() {
        for (text, number) in [
            ("SIGQUIT", 3),
            ("quit", 3),
            ("Quit", 3),
            ("3", 3),
            ("SIGTERM", 15),
            ("WINCH", 28),
            ("SIGRTMIN", 34),
            ("SIGRTMIN+2", 36),
            ("RTMAX-1", 63),
            ("64", 64),
        ] {
            assert_eq!(parse(text), Ok(number), "{text}");
        }
    }

    #[test]
    fn rejects_what_linux_has_no_signal_for() {
        for text in ["0", "32", "65", "-1", "SIGNOPE", "SIGRTMIN+31", "SIGRTMAX+1", "RTMINX", ""] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert!(parse("SIGQIUT").is_err());
        assert!(parse("SIGQUT").unwrap_err().to_string().contains("did you mean SIGQUIT?"));
        assert_eq!(parse_sendable("QUIT"), Ok(SIGQUIT));
        assert!(matches!(parse_sendable("SIGRTMIN+1"), Err(SignalError::RealTime(_))));
    }

    #[test]
    fn names_round_trip() {
        for number in (1..=31).chain(SIGRTMIN..=SIGRTMAX) {
            assert_eq!(parse(&name(number)), Ok(number));
            assert_eq!(parse(&short_name(number)), Ok(number));
        }
        assert_eq!(name(99), "signal 99");
        assert_eq!(short_name(SIGQUIT), "QUIT");
    }
}
