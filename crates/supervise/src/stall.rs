//! How much of the time between two samples of the auto drain counts as evidence of quiet.
//!
//! Silence on the watched ports means "the load balancer has stopped sending" only if the load
//! balancer, the kernel and lameduck could all run during it. On a starved machine the ingress
//! may send nothing for a second and then resume, before it has applied the endpoint removal.
//! lameduck's own scheduling is the probe: it is a task that sleeps and wakes, as an ingress
//! does, so when it waits for a CPU, such tasks wait too. A window between two samples is
//! credited as quiet only for the time in which lameduck got the CPU when it asked for it:
//! - a window much longer than planned (lameduck was not scheduled, the node or the container
//!   was frozen or throttled) counts not at all;
//! - otherwise the time lameduck spent runnable but waiting for a CPU (`run_delay` in
//!   `/proc/thread-self/schedstat`) is subtracted from it.
//!
//! The node-wide CPU pressure (`/proc/pressure/cpu`) is deliberately not used: its `some` time
//! counts any task waiting, and is 50 % or more on a merely busy node where every task still
//! runs within milliseconds; it would turn every drain on such a node into a `max` drain.
//!
//! The cost is a longer drain, up to its `max`, while the node starves lameduck; the alternative
//! is refused connections when the stall ends. A stall of the load balancer alone (on another
//! node) is not seen: raise `quiet` or `min` for that.
use std::time::{Duration, Instant};

/// This thread's scheduler statistics: on-CPU time, run-queue wait time (ns), time slices.
const SCHEDSTAT: &str = "/proc/thread-self/schedstat";

/// Accounts the drain's sampling windows.
#[derive(Debug)]
pub struct Observer {
    /// The longest window that is still an observation (several planned intervals).
    stall_limit: Duration,
    last_sample: Instant,
    /// This thread's run-queue wait at the last sample, in ns; `None` without schedstat.
    run_delay: Option<u64>,
    /// Time not credited as quiet, for the log.
    pub unobserved: Duration,
    /// Windows discarded because lameduck itself was not scheduled in time.
    pub stalls: u64,
}

impl Observer {
    /// Starts observing at `now`, with samples planned every `interval`.
    pub fn new(now: Instant, interval: Duration) -> Observer {
        Observer {
            stall_limit: interval * 3,
            last_sample: now,
            run_delay: read_run_delay(),
            unobserved: Duration::ZERO,
            stalls: 0,
        }
    }

    /// The quiet credit of the window from the previous sample to `now`.
    pub fn credit(&mut self, now: Instant) -> Duration {
        let run_delay = read_run_delay();
        let waited = match (self.run_delay, run_delay) {
            (Some(before), Some(after)) => Duration::from_nanos(after.saturating_sub(before)),
            _ => Duration::ZERO,
        };
        let window = now.saturating_duration_since(self.last_sample);
        self.last_sample = now;
        self.run_delay = run_delay;
        let credit = window_credit(window, waited, self.stall_limit);
        if window > self.stall_limit {
            self.stalls += 1;
        }
        self.unobserved += window - credit;
        credit
    }
}

/// Nothing for a window longer than `stall_limit`, else the window minus the time lameduck
/// waited for a CPU.
fn window_credit(window: Duration, waited: Duration, stall_limit: Duration) -> Duration {
    if window > stall_limit {
        Duration::ZERO
    } else {
        window.saturating_sub(waited)
    }
}

fn read_run_delay() -> Option<u64> {
    parse_run_delay(&std::fs::read_to_string(SCHEDSTAT).ok()?)
}

/// `1234567 89012 34` → 89012 (the second field).
fn parse_run_delay(text: &str) -> Option<u64> {
    text.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_schedstat() {
        assert_eq!(parse_run_delay("2208637 76541 12\n"), Some(76_541));
        assert_eq!(parse_run_delay("2208637\n"), None);
    }

    #[test]
    fn stalled_windows_are_not_quiet() {
        let ms = Duration::from_millis;
        assert_eq!(window_credit(ms(100), ms(0), ms(300)), ms(100));
        assert_eq!(window_credit(ms(100), ms(40), ms(300)), ms(60));
        assert_eq!(window_credit(ms(250), ms(400), ms(300)), ms(0));
        // lameduck itself was not scheduled for over a second: none of it is an observation.
        assert_eq!(window_credit(ms(1200), ms(0), ms(300)), ms(0));
    }

    #[test]
    fn a_real_window_is_credited_at_most_its_length() {
        let start = Instant::now();
        let mut observer = Observer::new(start, Duration::from_millis(100));
        let now = start + Duration::from_millis(50);
        assert!(observer.credit(now) <= Duration::from_millis(50));
        assert_eq!(observer.credit(now + Duration::from_secs(2)), Duration::ZERO);
        assert_eq!(observer.stalls, 1);
    }
}
