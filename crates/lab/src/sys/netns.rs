//! Network namespaces: creating one per pod (held open by a file descriptor, so no "pause"
//! process is needed), bringing its loopback up, and creating sockets inside it.
//!
//! A socket belongs to the namespace it was created in, whatever thread later connects it, so
//! the ingress makes each upstream socket inside the target pod's namespace and then connects to
//! that pod's own `127.0.0.1`: traffic never leaves loopback.
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;

/// A network namespace kept alive by an open descriptor.
#[derive(Debug, Clone)]
pub struct NetNs(Arc<OwnedFd>);

impl NetNs {
    pub fn raw(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    /// The namespace of the calling thread.
    pub fn current() -> io::Result<Self> {
        Ok(Self(Arc::new(std::fs::File::open("/proc/thread-self/ns/net")?.into())))
    }

    /// A new namespace with `lo` up. Created on a short-lived thread so the caller's thread
    /// keeps its own namespace.
    pub fn create() -> io::Result<Self> {
        std::thread::spawn(|| {
            // SAFETY: unshare only affects this short-lived thread.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                return Err(io::Error::last_os_error());
            }
            loopback_up()?;
            Self::current()
        })
        .join()
        .map_err(|_| io::Error::other("network namespace thread panicked"))?
    }

    /// Creates a non-blocking TCP socket inside this namespace, then returns the calling thread to
    /// `home`. Call from a blocking-capable thread.
    pub fn tcp_socket(&self, home: &NetNs) -> io::Result<OwnedFd> {
        // SAFETY: setns/socket on descriptors we own; the thread is returned to `home` before
        // this function returns, whatever happens in between.
        unsafe {
            if libc::setns(self.raw(), libc::CLONE_NEWNET) != 0 {
                return Err(io::Error::last_os_error());
            }
            let fd = libc::socket(
                libc::AF_INET,
                libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                0,
            );
            let err = io::Error::last_os_error();
            if libc::setns(home.raw(), libc::CLONE_NEWNET) != 0 {
                // A thread stuck in a pod's namespace would send other traffic there.
                std::process::abort();
            }
            if fd < 0 {
                return Err(err);
            }
            Ok(OwnedFd::from_raw_fd(fd))
        }
    }
}

/// Brings `lo` up in the calling thread's network namespace.
pub fn loopback_up() -> io::Result<()> {
    // SAFETY: ioctl on a datagram socket with a zero-initialised ifreq naming "lo".
    unsafe {
        let sock = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if sock < 0 {
            return Err(io::Error::last_os_error());
        }
        let sock = OwnedFd::from_raw_fd(sock);
        let mut req: libc::ifreq = std::mem::zeroed();
        for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
            *dst = *src as libc::c_char;
        }
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) != 0 {
            return Err(io::Error::last_os_error());
        }
        req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
