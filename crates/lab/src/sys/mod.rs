//! Thin, safe-ish wrappers over the Linux system calls the lab needs: namespaces, process
//! creation inside them, reaping and signals.
pub mod confine;
pub mod netns;
pub mod reaper;
pub mod rootfs;
pub mod spawn;

/// Sends `signal` to `pid`. A process that is already gone is not an error.
pub fn kill(pid: i32, signal: i32) -> std::io::Result<()> {
    // SAFETY: kill with a positive PID the lab spawned.
    if unsafe { libc::kill(pid, signal) } == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::ESRCH) {
        return Ok(());
    }
    Err(err)
}
