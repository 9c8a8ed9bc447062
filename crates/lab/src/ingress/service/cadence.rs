//! When kube-proxy may sync: a token bucket of [`BURST_SYNCS`] tokens, refilled once per
//! `minSyncPeriod` (see the parent module for the sources).
use std::time::{Duration, Instant};

/// kube-proxy's `burstSyncs`.
const BURST_SYNCS: u32 = 2;

/// kube-proxy's sync limiter: a token bucket of [`BURST_SYNCS`] tokens, one more every
/// `period` (client-go's `NewTokenBucketRateLimiter(qps, burst)`, full at start).
#[derive(Debug)]
pub struct Limiter {
    period: Duration,
    tokens: f64,
    at: Option<Instant>,
}

impl Limiter {
    pub fn new(period: Duration) -> Self {
        Self { period, tokens: BURST_SYNCS as f64, at: None }
    }

    /// When a sync asked for at `now` may run; takes its token.
    pub fn grant(&mut self, now: Instant) -> Instant {
        let refill = self.at.map_or(0.0, |at| {
            now.saturating_duration_since(at).as_secs_f64() / self.period.as_secs_f64()
        });
        self.tokens = (self.tokens + refill).min(BURST_SYNCS as f64);
        let wait = if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            self.period.mul_f64(1.0 - self.tokens)
        };
        self.tokens = (self.tokens - 1.0).max(0.0);
        self.at = Some(now + wait);
        now + wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_third_sync_in_a_row_waits_for_the_next_token() {
        let mut limiter = Limiter::new(Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(limiter.grant(t0), t0, "the first sync of a burst runs at once");
        assert_eq!(limiter.grant(t0), t0, "so does the second (burstSyncs = 2)");
        let third = limiter.grant(t0);
        assert!(third >= t0 + Duration::from_secs(1), "the third waits for a token");
        let fourth = limiter.grant(third);
        assert!(fourth >= third + Duration::from_secs(1), "and the next one a period more");
        let rested = fourth + Duration::from_secs(10);
        assert_eq!(limiter.grant(rested), rested, "a rested bucket allows a sync at once");
    }
}
