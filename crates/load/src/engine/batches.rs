//! Which send is due when: sends leave in small batches. A batch leaves when it holds
//! [`BATCH_SIZE`] sends (the last of them has come due) or when its first send has waited
//! [`MAX_BATCH_WAIT`], whichever comes first, and every send in it leaves in the same turn of
//! the loop.
//!
//! Sent one at a time at their exact instants, each request would wake the server and each
//! response the loop on its own, which at tens of thousands per second costs more CPU (system
//! time, on both sides of the loopback) than the requests themselves; leaving in small batches,
//! the server reads several in one wake-up and the loop collects several in one. Bounding a
//! batch by its size as well as by its wait keeps the send lag this costs proportional to the
//! gap between sends: at 80,000 sends a second a batch of 16 waits at most 190 µs, where a
//! fixed 250 µs grid held 20 sends and made the first of them 250 µs late. (Batches of 8 halve
//! that again but cost about a tenth more CPU per request at that rate: more, smaller turns.)
//! Below 64,000 sends a second the wait bound applies and batches are as on the grid. Latency,
//! counted from each send's own offset, includes the wait either way.
use std::collections::VecDeque;
use std::time::Duration;

/// Most sends in one batch.
pub(super) const BATCH_SIZE: usize = 16;

/// Longest a send waits for its batch to fill.
pub(super) const MAX_BATCH_WAIT: Duration = Duration::from_micros(250);

/// The schedule's offsets, with the next [`BATCH_SIZE`] of them looked ahead at.
pub(super) struct SendBatches<'a> {
    offsets: Box<dyn Iterator<Item = Duration> + 'a>,
    upcoming: VecDeque<Duration>,
    /// The release offset of the batch that last left: sends up to it belong to that batch and
    /// are due already.
    released: Option<Duration>,
}

impl<'a> SendBatches<'a> {
    pub fn new(offsets: impl Iterator<Item = Duration> + 'a) -> SendBatches<'a> {
        let mut batches = SendBatches {
            offsets: Box::new(offsets),
            upcoming: VecDeque::with_capacity(BATCH_SIZE),
            released: None,
        };
        batches.refill();
        batches
    }

    fn refill(&mut self) {
        while self.upcoming.len() < BATCH_SIZE {
            match self.offsets.next() {
                Some(offset) => self.upcoming.push_back(offset),
                None => break,
            }
        }
    }

    /// The next send's offset, due or not.
    pub fn next(&self) -> Option<Duration> {
        self.upcoming.front().copied()
    }

    /// The offset at which the next send leaves: that of its batch.
    pub fn release(&self) -> Option<Duration> {
        let first = self.next()?;
        if let Some(released) = self.released.filter(|released| first <= *released) {
            return Some(released);
        }
        let waited = first + MAX_BATCH_WAIT;
        let full = self.upcoming.get(BATCH_SIZE - 1).map_or(waited, |last| (*last).max(first));
        Some(full.min(waited))
    }

    /// Takes the next send: its offset and the release offset of its batch.
    pub fn take(&mut self) -> Option<(Duration, Duration)> {
        let release = self.release()?;
        self.released = Some(release);
        let offset = self.upcoming.pop_front()?;
        self.refill();
        Some((offset, release))
    }

    /// Ends the sending: no further send is due.
    pub fn clear(&mut self) {
        self.upcoming.clear();
        self.offsets = Box::new(std::iter::empty());
    }

    pub fn is_empty(&self) -> bool {
        self.upcoming.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// Takes every send, returning (offset, release) in microseconds.
    fn releases(offsets: Vec<Duration>) -> Vec<(u64, u64)> {
        let mut batches = SendBatches::new(offsets.into_iter());
        std::iter::from_fn(|| batches.take())
            .map(|(offset, release)| (offset.as_micros() as u64, release.as_micros() as u64))
            .collect()
    }

    #[test]
    fn at_a_high_rate_a_batch_leaves_when_its_last_send_comes_due() {
        // One send every 10 µs: a batch spans 150 µs, less than the longest wait.
        assert_eq!(BATCH_SIZE, 16);
        let sent = releases((0..32).map(|n| us(10 * n)).collect());
        let expected: Vec<(u64, u64)> =
            (0..32).map(|n| (10 * n, if n < 16 { 150 } else { 310 })).collect();
        assert_eq!(sent, expected);
    }

    #[test]
    fn at_a_low_rate_a_batch_leaves_when_its_first_send_has_waited_long_enough() {
        // One send every 100 µs: the batch starting at 0 takes in 100 and 200, then leaves.
        let sent = releases((0..5).map(|n| us(100 * n)).collect());
        assert_eq!(sent, [(0, 250), (100, 250), (200, 250), (300, 550), (400, 550)]);
    }

    #[test]
    fn the_last_sends_of_a_schedule_leave_after_the_longest_wait() {
        assert_eq!(releases(vec![us(5), us(6)]), [(5, 255), (6, 255)]);
    }

    #[test]
    fn no_send_waits_longer_than_the_bound_nor_leaves_before_its_offset() {
        // Uneven gaps, ties and bursts.
        let offsets: Vec<Duration> =
            [0, 0, 0, 3, 90, 91, 400, 401, 401, 402, 403, 404, 405, 406, 407, 408, 2000]
                .map(us)
                .to_vec();
        for (offset, release) in releases(offsets) {
            assert!(release >= offset, "left at {release} before its offset {offset}");
            assert!(release - offset <= 250, "waited from {offset} to {release}");
        }
    }

    #[test]
    fn clearing_ends_the_sending() {
        let mut batches = SendBatches::new((0..100).map(us));
        batches.take();
        batches.clear();
        assert!(batches.is_empty());
        assert_eq!(batches.take(), None);
        assert_eq!(batches.release(), None);
    }
}
