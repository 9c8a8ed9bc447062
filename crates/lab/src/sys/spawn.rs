//! Process creation inside namespaces: containers (new PID + mount namespace, joined to a pod's
//! network namespace) and preStop `exec` hooks (joined to a running container's namespaces).
//!
//! The lab runs a multi-threaded async runtime, so after `clone` the child may only make raw
//! system calls: everything it needs (C strings, pointer arrays, file descriptors) is prepared
//! by the parent first, and failures are reported back through a close-on-exec pipe.
use std::ffi::{c_char, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::confine;

/// What a child does to its private mount namespace before `exec`.
#[derive(Debug, Clone)]
pub enum MountOp {
    /// A fresh tmpfs on an existing directory.
    Tmpfs(CString),
    /// `mkdir` (the parent exists, typically on a tmpfs this container mounted).
    Mkdir(CString),
    /// Create an empty file to bind a file onto (on a tmpfs this container mounted).
    Touch(CString),
    /// Bind `src` (in the lab's staging tmpfs) onto `dst`, read-only.
    Bind(CString, CString),
    /// Bind a path onto itself: its own mount, so its flags can differ from its directory's.
    SelfBind(CString),
    /// No device node in this tree (mounts below included) can be opened.
    NoDevices(CString),
    /// The self-bind at this path may be opened as a device again.
    AllowDevice(CString),
}

/// The program to execute and where its output goes.
#[derive(Debug)]
pub struct ExecSpec {
    pub path: CString,
    pub argv: Vec<CString>,
    pub env: Vec<CString>,
    /// Receives both stdout and stderr.
    pub log: OwnedFd,
}

/// The steps a child can fail at, reported to the parent with the errno.
const STEPS: &[&str] = &[
    "join the pod network namespace",
    "make mounts private",
    "mount /proc",
    "prepare the container's files",
    "redirect output",
    "exec the program",
    "join the container's namespaces",
    "fork inside the container's PID namespace",
    "make the host's files read-only",
    "drop capabilities",
];

fn raw_clone(flags: libc::c_long) -> libc::c_long {
    // SAFETY: clone without CLONE_VM and without a new stack behaves like fork: the child gets a
    // copy of this thread's address space and returns 0.
    unsafe { libc::syscall(libc::SYS_clone, flags | libc::SIGCHLD as libc::c_long, 0, 0, 0, 0) }
}

struct Prepared {
    argv: Vec<*const c_char>,
    env: Vec<*const c_char>,
}

fn prepare(exec: &ExecSpec) -> Prepared {
    let mut argv: Vec<*const c_char> = exec.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let mut env: Vec<*const c_char> = exec.env.iter().map(|a| a.as_ptr()).collect();
    env.push(std::ptr::null());
    Prepared { argv, env }
}

fn error_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 returned two fresh descriptors that we now own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Child side: report `step` and errno, then exit. Async-signal-safe.
fn fail(pipe: RawFd, step: u8) -> ! {
    let errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
    let mut buf = [0u8; 5];
    buf[0] = step;
    buf[1..].copy_from_slice(&errno.to_ne_bytes());
    // SAFETY: raw syscalls on owned descriptors; the child exits right after.
    unsafe {
        libc::write(pipe, buf.as_ptr().cast(), buf.len());
        libc::_exit(127)
    }
}

/// Parent side: EOF means the child reached `exec`; otherwise decode the failure.
fn read_failure(read: OwnedFd, what: &str) -> io::Result<()> {
    let mut buf = [0u8; 5];
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: reading into a local buffer from a descriptor we own.
        let n = unsafe {
            libc::read(read.as_raw_fd(), buf[got..].as_mut_ptr().cast(), buf.len() - got)
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        if n == 0 {
            break;
        }
        got += n as usize;
    }
    if got == 0 {
        return Ok(());
    }
    let errno = i32::from_ne_bytes([buf[1], buf[2], buf[3], buf[4]]);
    let step = STEPS.get(buf[0] as usize).copied().unwrap_or("start");
    let os = io::Error::from_raw_os_error(errno);
    Err(io::Error::new(os.kind(), format!("{what}: could not {step}: {os}")))
}

/// Child side: reset what the lab changed in its own process so the program starts as it would
/// under a container runtime: default signal dispositions, nothing blocked, own session.
fn reset_process_state() {
    // SAFETY: async-signal-safe libc calls on local data.
    unsafe {
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        for sig in 1..32 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        libc::setsid();
    }
}

fn redirect_and_exec(exec: &ExecSpec, prepared: &Prepared, pipe: RawFd) -> ! {
    // SAFETY: raw syscalls with pointers prepared by the parent before clone.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
        if null < 0
            || libc::dup2(null, 0) < 0
            || libc::dup2(exec.log.as_raw_fd(), 1) < 0
            || libc::dup2(exec.log.as_raw_fd(), 2) < 0
        {
            fail(pipe, 4);
        }
        libc::chdir(c"/".as_ptr());
        if !confine::drop_capabilities() {
            fail(pipe, 9);
        }
        libc::execve(exec.path.as_ptr(), prepared.argv.as_ptr(), prepared.env.as_ptr());
    }
    fail(pipe, 5)
}

fn apply_mount(op: &MountOp) -> bool {
    // SAFETY: raw mount/mkdir/open calls with C strings prepared by the parent.
    unsafe {
        match op {
            MountOp::Tmpfs(dir) => {
                libc::mount(
                    c"tmpfs".as_ptr(),
                    dir.as_ptr(),
                    c"tmpfs".as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    c"mode=1777".as_ptr().cast(),
                ) == 0
            }
            MountOp::Mkdir(dir) => {
                libc::mkdir(dir.as_ptr(), 0o755) == 0 || *libc::__errno_location() == libc::EEXIST
            }
            MountOp::Touch(file) => {
                let fd = libc::open(
                    file.as_ptr(),
                    libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                    0o644,
                );
                fd >= 0 && libc::close(fd) == 0
            }
            MountOp::SelfBind(path) => {
                libc::mount(
                    path.as_ptr(),
                    path.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ) == 0
            }
            MountOp::NoDevices(dir) => confine::no_devices_tree(dir),
            MountOp::AllowDevice(path) => confine::allow_device(path),
            MountOp::Bind(src, dst) => {
                libc::mount(
                    src.as_ptr(),
                    dst.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ) == 0
                    && libc::mount(
                        std::ptr::null(),
                        dst.as_ptr(),
                        std::ptr::null(),
                        libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
                        std::ptr::null(),
                    ) == 0
            }
        }
    }
}

/// Starts a container: a new PID namespace (the program is its PID 1) and a private mount
/// namespace with its own read-only /proc, the host's files read-only, `mounts` (private tmpfs,
/// the pod's files, the device nodes it may open) on top, inside the pod's network namespace,
/// with a container runtime's default capabilities (see `confine`). Returns the program's PID as the lab sees it.
pub fn spawn_container(netns: RawFd, mounts: &[MountOp], exec: &ExecSpec) -> io::Result<i32> {
    let prepared = prepare(exec);
    let (read, write) = error_pipe()?;
    let pipe = write.as_raw_fd();
    let flags = (libc::CLONE_NEWPID | libc::CLONE_NEWNS) as libc::c_long;
    let pid = raw_clone(flags);
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        reset_process_state();
        // SAFETY: raw syscalls only; see the module documentation.
        unsafe {
            if libc::setns(netns, libc::CLONE_NEWNET) != 0 {
                fail(pipe, 0);
            }
            if libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) != 0
            {
                fail(pipe, 1);
            }
            // The host's files, read-only; what the container may write is mounted after.
            if !confine::read_only_tree() {
                fail(pipe, 8);
            }
            if libc::mount(
                c"proc".as_ptr(),
                c"/proc".as_ptr(),
                c"proc".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC | libc::MS_RDONLY,
                std::ptr::null(),
            ) != 0
            {
                fail(pipe, 2);
            }
        }
        for op in mounts {
            if !apply_mount(op) {
                fail(pipe, 3);
            }
        }
        redirect_and_exec(exec, &prepared, pipe);
    }
    drop(write);
    read_failure(read, "container").map(|()| pid as i32)
}

/// Namespaces of a running container, opened from `/proc/<pid>/ns/*`.
pub struct ContainerNamespaces {
    net: OwnedFd,
    pid: OwnedFd,
    mnt: OwnedFd,
}

impl ContainerNamespaces {
    pub fn of(pid: i32) -> io::Result<Self> {
        let open = |kind: &str| -> io::Result<OwnedFd> {
            Ok(std::fs::File::open(format!("/proc/{pid}/ns/{kind}"))?.into())
        };
        Ok(Self { net: open("net")?, pid: open("pid")?, mnt: open("mnt")? })
    }
}

/// Runs a program inside a running container (as the kubelet's exec hook does): joins its
/// network, PID and mount namespaces (so it sees what the container sees, read-only host files
/// included) and has the same capabilities. Returns the PID of a small intermediate process that
/// exits with the program's status (joining a PID namespace only affects children).
pub fn spawn_in_container(ns: &ContainerNamespaces, exec: &ExecSpec) -> io::Result<i32> {
    let prepared = prepare(exec);
    let (read, write) = error_pipe()?;
    let pipe = write.as_raw_fd();
    let pid = raw_clone(0);
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        reset_process_state();
        // SAFETY: raw syscalls only; see the module documentation.
        unsafe {
            if libc::setns(ns.net.as_raw_fd(), libc::CLONE_NEWNET) != 0
                || libc::setns(ns.pid.as_raw_fd(), libc::CLONE_NEWPID) != 0
                || libc::setns(ns.mnt.as_raw_fd(), libc::CLONE_NEWNS) != 0
            {
                fail(pipe, 6);
            }
            let child = raw_clone(0);
            if child < 0 {
                fail(pipe, 7);
            }
            if child == 0 {
                redirect_and_exec(exec, &prepared, pipe);
            }
            // The intermediate must not hold any pipe open — its own, or those of spawns that
            // other threads of the lab were doing at the moment of the clone — or their parents
            // would wait for this whole hook instead of just an exec. It needs no descriptor.
            libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32);
            let mut status = 0;
            loop {
                let r = libc::waitpid(child as i32, &mut status, 0);
                if r == child as i32 {
                    break;
                }
                if r < 0 && *libc::__errno_location() != libc::EINTR {
                    libc::_exit(126);
                }
            }
            if libc::WIFEXITED(status) {
                libc::_exit(libc::WEXITSTATUS(status));
            }
            libc::_exit(128 + libc::WTERMSIG(status));
        }
    }
    drop(write);
    read_failure(read, "preStop hook").map(|()| pid as i32)
}
