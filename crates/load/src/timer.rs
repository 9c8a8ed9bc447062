//! A precise one-shot timer for send instants, built on Linux timerfd.
//!
//! tokio's timer rounds every deadline up to the next millisecond, which alone would make
//! sends up to 1 ms late. A timerfd armed with an absolute CLOCK_MONOTONIC deadline (the clock
//! behind `Instant`) fires within microseconds and still wakes the same event loop.
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;

/// Shortest interval between two timer arms (see [`SendTimer::wait_until`]).
const MIN_REARM: Duration = Duration::from_micros(100);

pub(crate) struct SendTimer {
    fd: AsyncFd<OwnedFd>,
    /// CLOCK_MONOTONIC reading taken together with `origin`.
    origin_clock: Duration,
    origin: Instant,
    armed: Option<Instant>,
    last_fired: Option<Instant>,
}

impl SendTimer {
    pub fn new() -> io::Result<SendTimer> {
        // SAFETY: plain syscalls; the returned descriptor is owned by the OwnedFd below.
        let raw = unsafe {
            libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC)
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns; the OwnedFd keeps it open for
        // as long as the AsyncFd lives.
        let fd = unsafe {
            AsyncFd::register_with_interest(
                OwnedFd::from_raw_fd(raw),
                tokio::io::Interest::READABLE,
            )
        }
        .map_err(|e| e.into_parts().1)?;
        let origin = Instant::now();
        let origin_clock = monotonic_now();
        Ok(SendTimer { fd, origin_clock, origin, armed: None, last_fired: None })
    }

    /// Resolves at `deadline` (at once if it has passed).
    ///
    /// Arming a timerfd costs a syscall and, on virtual machines, a trap to the hypervisor; at
    /// tens of thousands of sends per second that would dominate. So the timer is armed at most
    /// once per [`MIN_REARM`]: at high rates sends that fall due within one such interval leave
    /// together, at most that late. An armed timer that fires no later than the new deadline
    /// is kept, since waking early only costs one more turn of the loop.
    pub async fn wait_until(&mut self, deadline: Instant) -> io::Result<()> {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(());
            }
            // Rate-limit by the last *expiry*, never by the last arming: a wait that is
            // interrupted and resumed must find the same target, not push it further out.
            let target = match self.last_fired {
                Some(fired) => deadline.max(fired + MIN_REARM),
                None => deadline,
            };
            match self.armed {
                Some(armed) if armed > now && armed <= target => {}
                _ => self.arm(target)?,
            }
            let mut guard = self.fd.readable().await?;
            // The expiration count is never read: arming resets it (and the readiness the
            // next expiry reports), so reading it would only cost one more syscall per expiry.
            // Readiness left over from an expiry nobody waited for is told apart by the clock.
            guard.clear_ready();
            let now = Instant::now();
            if self.armed.is_some_and(|armed| now >= armed) {
                self.armed = None;
                self.last_fired = Some(now);
            }
        }
    }

    fn arm(&mut self, deadline: Instant) -> io::Result<()> {
        let at = self.origin_clock + deadline.saturating_duration_since(self.origin);
        let spec = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
            it_value: libc::timespec {
                tv_sec: at.as_secs() as libc::time_t,
                // A zero value would disarm the timer.
                tv_nsec: at.subsec_nanos().max(1) as libc::c_long,
            },
        };
        // SAFETY: valid descriptor and a fully initialised itimerspec.
        let rc = unsafe {
            libc::timerfd_settime(
                self.fd.get_ref().as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        self.armed = Some(deadline);
        Ok(())
    }
}

fn monotonic_now() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[test]
    fn an_interrupted_wait_keeps_its_target() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut timer = SendTimer::new().unwrap();
            let deadline = Instant::now() + Duration::from_secs(60);
            // Each poll arms (or keeps) the timer and is then dropped, as when another branch
            // of the engine's select wins; the target must not creep later.
            for _ in 0..5 {
                assert!(timer.wait_until(deadline).now_or_never().is_none());
                assert_eq!(timer.armed, Some(deadline));
            }
            // A deadline that has passed resolves at once.
            assert!(timer.wait_until(Instant::now()).now_or_never().is_some());
        });
    }

    #[test]
    fn expiries_keep_waking_without_their_count_being_read() {
        // Arming resets the expiry count and its readiness; were that not so, the second wait
        // would never see its expiry and the runtime's timeout would end it.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut timer = SendTimer::new().unwrap();
            for _ in 0..20 {
                let deadline = Instant::now() + Duration::from_millis(1);
                let waited =
                    tokio::time::timeout(Duration::from_secs(5), timer.wait_until(deadline));
                waited.await.expect("the timer fired").unwrap();
                assert!(Instant::now() >= deadline);
            }
        });
    }
}
