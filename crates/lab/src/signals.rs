//! Signal names as Kubernetes and Dockerfiles write them (`SIGQUIT`, `QUIT`, `3`), read with the
//! grammar every lameduck command shares ([`lameduck_core::signal`]).
pub use lameduck_core::signal::name;

/// Parses `SIGQUIT`, `QUIT`, `SIGRTMIN+1` or a number; `None` for what Linux has no signal for.
pub fn parse(text: &str) -> Option<i32> {
    lameduck_core::signal::parse(text).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_the_forms_kubernetes_and_dockerfiles_use() {
        assert_eq!(super::parse("SIGQUIT"), Some(libc::SIGQUIT));
        assert_eq!(super::parse("quit"), Some(libc::SIGQUIT));
        assert_eq!(super::parse("15"), Some(libc::SIGTERM));
        assert_eq!(super::parse("SIGWINCH"), Some(libc::SIGWINCH));
        assert_eq!(super::parse("SIGNOPE"), None);
        assert_eq!(super::name(libc::SIGTERM), "SIGTERM");
    }
}
