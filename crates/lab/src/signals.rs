//! Signal names as Kubernetes and Dockerfiles write them (`SIGQUIT`, `QUIT`, `3`).
const TABLE: &[(&str, i32)] = &[
    ("SIGHUP", libc::SIGHUP),
    ("SIGINT", libc::SIGINT),
    ("SIGQUIT", libc::SIGQUIT),
    ("SIGKILL", libc::SIGKILL),
    ("SIGUSR1", libc::SIGUSR1),
    ("SIGUSR2", libc::SIGUSR2),
    ("SIGTERM", libc::SIGTERM),
    ("SIGWINCH", libc::SIGWINCH),
    ("SIGSTOP", libc::SIGSTOP),
    ("SIGCONT", libc::SIGCONT),
    ("SIGPIPE", libc::SIGPIPE),
    ("SIGALRM", libc::SIGALRM),
    ("SIGABRT", libc::SIGABRT),
    ("SIGSEGV", libc::SIGSEGV),
];

/// Parses `SIGQUIT`, `QUIT` or a number.
pub fn parse(text: &str) -> Option<i32> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i32>() {
        return (1..65).contains(&n).then_some(n);
    }
    let upper = text.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") { upper } else { format!("SIG{upper}") };
    TABLE.iter().find(|(name, _)| *name == full).map(|(_, n)| *n)
}

/// `SIGQUIT` for 3, `signal 40` for unnamed ones.
pub fn name(signal: i32) -> String {
    TABLE
        .iter()
        .find(|(_, n)| *n == signal)
        .map(|(name, _)| (*name).to_string())
        .unwrap_or_else(|| format!("signal {signal}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_the_forms_kubernetes_and_dockerfiles_use() {
        assert_eq!(super::parse("SIGQUIT"), Some(libc::SIGQUIT));
        assert_eq!(super::parse("quit"), Some(libc::SIGQUIT));
        assert_eq!(super::parse("15"), Some(libc::SIGTERM));
        assert_eq!(super::parse("SIGNOPE"), None);
        assert_eq!(super::name(libc::SIGTERM), "SIGTERM");
    }
}
