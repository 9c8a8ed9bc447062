//! The lab's own namespaces, so the kernel cleans up after it.
//!
//! `lameduck lab` (the outer process) re-executes itself as PID 1 of a new PID namespace, in new
//! mount and network namespaces (plus a user namespace when not root). That inner process dies
//! with the outer one (`PR_SET_PDEATHSIG`), and when PID 1 of a PID namespace dies the kernel
//! kills every process in it; the namespaces and every mount in them go with their last user.
//! So a normal exit, Ctrl-C, a panic or SIGKILL of `lameduck lab` all leave nothing behind but
//! the run directory, which is kept on purpose.
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// Set in the environment of the inner process.
pub const INNER_ENV: &str = "LAMEDUCK_LAB_INNER_RUN_DIR";

/// The inode of the network namespace `lameduck lab` was started in, handed to the inner
/// process so that what changes a namespace's firewall can refuse to touch that one.
pub const HOST_NETNS_ENV: &str = "LAMEDUCK_LAB_HOST_NETNS";

/// Directories tried, in order, for the lab's private staging tmpfs. They must not be `/run`,
/// `/tmp` or an image's private directory, which containers cover with their own tmpfs.
const STAGE_CANDIDATES: &[&str] = &["/mnt", "/srv", "/opt", "/media"];

static FORWARD: AtomicI32 = AtomicI32::new(0);

extern "C" fn remember_signal(sig: libc::c_int) {
    FORWARD.store(sig, Ordering::SeqCst);
}

fn check_privileges() -> Result<bool> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return Ok(false);
    }
    let max = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap_or_default();
    let clone = std::fs::read_to_string("/proc/sys/kernel/unprivileged_userns_clone")
        .unwrap_or_else(|_| "1".into());
    if max.trim() == "0" || clone.trim() == "0" {
        bail!(
            "lameduck lab needs root or unprivileged user namespaces, and this machine has neither.\n  \
             Run it as root (sudo), or enable user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=15000"
        );
    }
    Ok(true)
}

fn write_id_maps(uid: u32, gid: u32) -> Result<()> {
    std::fs::write("/proc/self/setgroups", "deny")
        .context("deny setgroups in the user namespace")?;
    std::fs::write("/proc/self/uid_map", format!("0 {uid} 1")).context("write uid_map")?;
    std::fs::write("/proc/self/gid_map", format!("0 {gid} 1")).context("write gid_map")?;
    Ok(())
}

/// Outer side: starts the inner lab and waits for it, forwarding Ctrl-C and SIGTERM once.
pub fn run_outer(run_dir: &Path) -> Result<ExitCode> {
    let user_ns = check_privileges()?;
    // SAFETY: getuid/getgid have no preconditions.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let mut flags = libc::CLONE_NEWPID;
    if user_ns {
        flags |= libc::CLONE_NEWUSER;
    }
    // SAFETY: the process is still single-threaded here (only argument parsing ran).
    if unsafe { libc::unshare(flags) } != 0 {
        let err = std::io::Error::last_os_error();
        bail!("cannot create the lab's namespaces: {err}\n  hint: run as root, or enable unprivileged user namespaces");
    }
    if user_ns {
        write_id_maps(uid, gid)?;
    }
    let exe = std::fs::read_link("/proc/self/exe").context("find this executable")?;
    let mut cmd = Command::new(&exe);
    cmd.args(std::env::args_os().skip(1)).env(INNER_ENV, run_dir);
    if let Ok(host) = std::fs::metadata("/proc/self/ns/net") {
        cmd.env(HOST_NETNS_ENV, std::os::unix::fs::MetadataExt::ino(&host).to_string());
    }
    // The outer process holds the write end of this pipe for as long as it lives: the inner one
    // checks it right after asking for PR_SET_PDEATHSIG, closing the window in which the outer
    // process could die unnoticed.
    let mut alive = [0; 2];
    // SAFETY: `alive` is a valid two-element array.
    if unsafe { libc::pipe2(alive.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("create a pipe");
    }
    let [alive_read, alive_write] = alive;
    // SAFETY: the closure only makes async-signal-safe system calls.
    unsafe {
        cmd.pre_exec(move || {
            if libc::unshare(libc::CLONE_NEWNS | libc::CLONE_NEWNET) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::close(alive_write);
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            let mut poll = libc::pollfd { fd: alive_read, events: libc::POLLIN, revents: 0 };
            if libc::poll(&mut poll, 1, 0) > 0 && poll.revents & libc::POLLHUP != 0 {
                libc::_exit(1);
            }
            // Own process group: the terminal's Ctrl-C reaches only the outer process, which
            // forwards it exactly once.
            libc::setpgid(0, 0);
            Ok(())
        });
    }
    // SAFETY: installing a handler that only stores into an atomic.
    unsafe {
        libc::signal(libc::SIGINT, remember_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, remember_signal as *const () as libc::sighandler_t);
    }
    let mut child = cmd.spawn().context("start the lab's inner process")?;
    // SAFETY: our copy of the read end is not needed; the write end stays open until we exit.
    unsafe { libc::close(alive_read) };
    let mut forwarded = false;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(match status.code() {
                Some(code) => ExitCode::from(code.clamp(0, 255) as u8),
                None => ExitCode::from(130),
            });
        }
        let sig = FORWARD.swap(0, Ordering::SeqCst);
        if sig != 0 {
            // A second Ctrl-C stops at once.
            let send = if forwarded { libc::SIGKILL } else { libc::SIGINT };
            forwarded = true;
            // SAFETY: signalling our own child.
            unsafe { libc::kill(child.id() as i32, send) };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Inner side: private mounts, a fresh /proc for the lab's PID namespace, a root with
/// `/lameduck` in it (`self_exe`), `lo` up, the reaper, and a private tmpfs for staged pod
/// files. Returns that staging directory.
pub fn setup_inner(self_exe: &Path) -> Result<PathBuf> {
    // SAFETY: mount calls with static C strings in our own new mount namespace.
    unsafe {
        if libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) != 0
        {
            return Err(std::io::Error::last_os_error()).context("make the lab's mounts private");
        }
        if libc::mount(
            c"proc".as_ptr(),
            c"/proc".as_ptr(),
            c"proc".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            std::ptr::null(),
        ) != 0
        {
            return Err(std::io::Error::last_os_error())
                .context("mount /proc for the lab's PID namespace");
        }
    }
    crate::sys::netns::loopback_up().context("bring up lo in the lab's network namespace")?;
    let stage = STAGE_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_dir())
        .context("no directory for the lab's staging tmpfs (tried /mnt, /srv, /opt, /media)")?;
    // The new root is built on a tmpfs at `stage`, which stays an empty directory inside it and
    // then receives the staging tmpfs.
    crate::sys::rootfs::enter_root_with_lameduck(&stage, self_exe)
        .context("give the lab a root with /lameduck in it")?;
    let c = std::ffi::CString::new(stage.as_os_str().as_encoded_bytes())?;
    // SAFETY: mounting a tmpfs over an existing directory, inside the lab's mount namespace only.
    if unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            c.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            c"mode=0755".as_ptr().cast(),
        )
    } != 0
    {
        return Err(std::io::Error::last_os_error()).context("mount the lab's staging tmpfs");
    }
    crate::sys::reaper::start();
    Ok(stage)
}
