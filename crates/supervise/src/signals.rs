//! Signal names and synchronous signal delivery.
//!
//! lameduck never runs logic in a signal handler: the signals it cares about are blocked and read
//! from a `signalfd` inside the main poll loop, like any other event. Children get a clean signal
//! mask back before `exec`.
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// Signals that begin a graceful shutdown. SIGQUIT is included because images that declare
/// `STOPSIGNAL SIGQUIT` make the runtime send it to PID 1.
pub const SHUTDOWN: [Signal; 3] = [Signal::SIGTERM, Signal::SIGINT, Signal::SIGQUIT];

/// Signals passed on to the supervised processes (each process may remap or drop them).
pub const FORWARDED: [Signal; 4] =
    [Signal::SIGHUP, Signal::SIGUSR1, Signal::SIGUSR2, Signal::SIGWINCH];

/// Real-time signals (`SIGRTMIN..=SIGRTMAX`, 34–64 with glibc): forwarded unchanged to every
/// process, as tini does. nix's `Signal` cannot hold them, so they travel as plain numbers.
pub fn realtime() -> std::ops::RangeInclusive<i32> {
    libc::SIGRTMIN()..=libc::SIGRTMAX()
}

/// Parses `QUIT`, `SIGQUIT`, `sigquit` or `3` with the shared signal grammar
/// ([`lameduck_core::signal`]), into a signal lameduck can send.
pub fn parse(text: &str) -> Result<Signal, String> {
    let number = lameduck_core::signal::parse_sendable(text).map_err(|e| e.to_string())?;
    // Every standard Linux signal is one of nix's.
    Signal::try_from(number).map_err(|_| format!("`{text}` is not a signal lameduck can send"))
}

/// The short name used in logs and config: `QUIT` for SIGQUIT.
pub fn short_name(signal: Signal) -> &'static str {
    signal.as_str().trim_start_matches("SIG")
}

/// Blocks every signal lameduck handles and returns a non-blocking `signalfd` that delivers them.
/// Real-time signals are included: unblocked, one would kill lameduck (their default action),
/// or be dropped when lameduck is PID 1.
pub fn open_signalfd() -> nix::Result<SignalFd> {
    let mut set = SigSet::empty();
    for signal in SHUTDOWN.iter().chain(FORWARDED.iter()).chain([Signal::SIGCHLD].iter()) {
        set.add(*signal);
    }
    let mut raw = *set.as_ref();
    for number in realtime() {
        // SAFETY: sigaddset writes to `raw` only; the numbers are valid signals.
        unsafe { libc::sigaddset(&mut raw, number) };
    }
    // SAFETY: `raw` was initialised by SigSet::empty() and sigaddset.
    let set = unsafe { SigSet::from_sigset_t_unchecked(raw) };
    set.thread_block()?;
    SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
}

/// Restores the default mask in a freshly forked child, so that the program it execs receives
/// signals normally. Only async-signal-safe calls are made here.
pub fn unblock_all_in_child() -> std::io::Result<()> {
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
        .map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_numbers() {
        assert_eq!(parse("QUIT").unwrap(), Signal::SIGQUIT);
        assert_eq!(parse("sigusr2").unwrap(), Signal::SIGUSR2);
        assert_eq!(parse("15").unwrap(), Signal::SIGTERM);
        assert!(parse("NOPE").is_err());
        assert!(parse("34").unwrap_err().contains("real-time"));
        assert!(parse("65").unwrap_err().contains("not a signal number"));
        assert_eq!(short_name(Signal::SIGWINCH), "WINCH");
    }
}
