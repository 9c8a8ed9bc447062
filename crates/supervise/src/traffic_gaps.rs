//! The silences a pod's traffic normally has, read back from the kernel's socket table, so that
//! the auto drain can tell "the load balancer has stopped sending" from "no request happened to
//! come for a while".
//!
//! A fixed `quiet` of 1 s is right for a pod that gets a request every few milliseconds and
//! wrong for one that gets a request every two seconds: there, one second of silence happens
//! all the time, and a drain that ends on it quits nginx while the load balancer still sends.
//! So the drain asks for a silence several times longer than the longest gap the traffic has
//! shown ([`crate::drain`] applies the factor).
//!
//! The kernel keeps enough history to estimate that gap when the drain starts, with no need to
//! have watched before (a preStop hook only starts at termination):
//! - every connection on a watched port says when data last arrived on it
//!   (`tcpi_last_data_recv`), or when it opened if nothing came yet;
//! - every connection closed by the server in the last minute lingers in TIME_WAIT for exactly
//!   [`TIME_WAIT_LENGTH`], so the time left on its timer dates its close.
//!
//! These points are activity the pod certainly saw. Requests that left no point (earlier
//! requests on a keep-alive connection) may have filled a gap between two points, so a gap
//! computed here can only be too long, never too short: the error costs drain time, bounded by
//! the drain's `max`, and never a request.
//!
//! One kind of gap is not the traffic's own: the silence before it began. A pod behind an AWS
//! ALB gets only health checks (every 15 s) until its target turns healthy, then its full share
//! at once; counted, that gap would hold every such pod 30 s after the load balancer has
//! stopped. So [`TrafficGaps`] forgets a gap, and the gaps before it, once traffic has followed
//! it that was regular enough to show the gap was an exception: at least
//! [`FORGET_AFTER_POINTS`] points, for at least the gap's own length, with no silence over a
//! [`FORGET_RATIO`]th of it. A pod that gets a request every 2 s never forgets its 2 s gaps
//! (each later gap is as long), nor does one whose traffic comes in bursts (the silence until
//! the next burst is as long again). Forgetting errs the other way from the missing points
//! above: it can shorten the drain, so it asks for many points of dense traffic.
use std::time::{Duration, Instant};

use crate::netstat::{TcpSocket, TCP_ESTABLISHED, TCP_TIME_WAIT};

/// How long Linux keeps a socket in TIME_WAIT (`TCP_TIMEWAIT_LEN`, fixed at build time).
pub const TIME_WAIT_LENGTH: Duration = Duration::from_secs(60);

/// A gap is forgotten only if no silence after it was longer than the gap divided by this.
pub const FORGET_RATIO: u32 = 4;

/// A gap is forgotten only after this many points of activity (each ending a gap) followed it.
pub const FORGET_AFTER_POINTS: u32 = 16;

/// Gaps kept at most; past it the newest kept gap stands for the ones after it too.
const KEPT_GAPS: usize = 64;

/// The gaps of a pod's traffic that still count: the longest is what the drain's quiet follows.
///
/// Kept are the gaps longer than every gap after them (only those can be the longest once the
/// older ones are forgotten), oldest and longest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrafficGaps {
    kept: Vec<Gap>,
}

/// A gap between two points of activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gap {
    length: Duration,
    /// When the activity that ended it came.
    ended: Instant,
    /// Gaps recorded after it, none longer than its length / [`FORGET_RATIO`].
    points_after: u32,
    /// A later silence longer than its length / [`FORGET_RATIO`] showed the traffic has gaps
    /// of that order: it counts for as long as it is kept.
    settled: bool,
}

impl Gap {
    /// Whether the traffic up to `now`, silent for `silence`, has shown this gap was an
    /// exception, such as the silence before the traffic began.
    fn is_exception(&self, now: Instant, silence: Duration) -> bool {
        !self.settled
            && self.points_after >= FORGET_AFTER_POINTS
            && now.saturating_duration_since(self.ended) >= self.length
            && silence * FORGET_RATIO <= self.length
    }
}

impl TrafficGaps {
    /// Records a gap of `length` that activity ended at `ended` (gaps in the order they ended).
    pub fn record(&mut self, length: Duration, ended: Instant) {
        self.forget_exceptions(ended, length);
        for gap in self.kept.iter_mut().filter(|gap| !gap.settled) {
            if length * FORGET_RATIO > gap.length {
                gap.settled = true;
            } else {
                gap.points_after = gap.points_after.saturating_add(1);
            }
        }
        // A newer gap at least as long outlives the older one: the older can no longer matter.
        while self.kept.last().is_some_and(|gap| gap.length <= length) {
            self.kept.pop();
        }
        if self.kept.len() >= KEPT_GAPS {
            // Keeping the longer gap until later errs on the long side.
            let newest = self.kept.last_mut().expect("KEPT_GAPS is not 0");
            *newest = Gap { ended, points_after: 0, ..*newest };
            return;
        }
        self.kept.push(Gap { length, ended, points_after: 0, settled: false });
    }

    /// The longest gap that counts at `now`, when the traffic has been silent for `silence`.
    pub fn longest(&mut self, now: Instant, silence: Duration) -> Duration {
        self.forget_exceptions(now, silence);
        self.kept.first().map_or(Duration::ZERO, |gap| gap.length)
    }

    /// Forgets an exceptional gap and every gap before it: they came before the traffic
    /// became regular.
    fn forget_exceptions(&mut self, now: Instant, silence: Duration) {
        if let Some(last) = self.kept.iter().rposition(|gap| gap.is_exception(now, silence)) {
            self.kept.drain(..=last);
        }
    }
}

/// What the socket table tells of the recent traffic on some ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentTraffic {
    /// Time since the latest activity.
    pub since_latest: Duration,
    /// The gaps between the activity before that.
    pub gaps: TrafficGaps,
}

impl RecentTraffic {
    /// The longest silence that counts at `now` (when the table was read), the one since the
    /// latest activity included.
    pub fn longest_gap(&mut self, now: Instant) -> Duration {
        self.gaps.longest(now, self.since_latest).max(self.since_latest)
    }
}

/// The recent traffic on `ports` in a socket table read at `now`; `None` when the table holds
/// no trace of traffic (nothing in the last minute, or a kernel without `sock_diag`).
pub fn recent_traffic(sockets: &[TcpSocket], ports: &[u16], now: Instant) -> Option<RecentTraffic> {
    let mut ages: Vec<Duration> = sockets
        .iter()
        .filter(|socket| ports.contains(&socket.local_port))
        .filter_map(activity_age)
        .filter(|age| *age <= TIME_WAIT_LENGTH)
        .collect();
    // Oldest first: the gaps are recorded in the order they ended.
    ages.sort_unstable_by(|a, b| b.cmp(a));
    let since_latest = *ages.last()?;
    let mut gaps = TrafficGaps::default();
    for pair in ages.windows(2) {
        // A point older than the clock can express carries no gap worth keeping.
        if let Some(ended) = now.checked_sub(pair[1]) {
            gaps.record(pair[0] - pair[1], ended);
        }
    }
    Some(RecentTraffic { since_latest, gaps })
}

/// How long ago `socket` last showed activity, if it tells.
fn activity_age(socket: &TcpSocket) -> Option<Duration> {
    match socket.state {
        TCP_ESTABLISHED => socket.since_data_received,
        TCP_TIME_WAIT => socket.timer_left.map(|left| TIME_WAIT_LENGTH.saturating_sub(left)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(state: u8, port: u16, since_data: u64, timer_left: u64) -> TcpSocket {
        TcpSocket {
            state,
            local_port: port,
            remote: String::new(),
            inode: 0,
            receive_queue: 0,
            bytes_received: Some(1),
            since_data_received: Some(Duration::from_millis(since_data)),
            timer_left: Some(Duration::from_millis(timer_left)),
        }
    }

    /// A socket table with one closed connection (TIME_WAIT) per age in ms, and an open one
    /// that received data `latest` ms ago.
    fn table(closed_ages: impl IntoIterator<Item = u64>, latest: u64) -> Vec<TcpSocket> {
        let mut sockets: Vec<TcpSocket> =
            closed_ages.into_iter().map(|age| socket(TCP_TIME_WAIT, 80, 0, 60_000 - age)).collect();
        sockets.push(socket(TCP_ESTABLISHED, 80, latest, 0));
        sockets
    }

    fn longest_gap(sockets: &[TcpSocket]) -> Duration {
        let now = Instant::now();
        recent_traffic(sockets, &[80], now).expect("traffic in the table").longest_gap(now)
    }

    #[test]
    fn the_longest_gap_spans_closed_and_open_connections() {
        let ms = Duration::from_millis;
        let sockets = [
            // Open connection, data 300 ms ago.
            socket(TCP_ESTABLISHED, 80, 300, 0),
            // Closed 2.3 s and 2.6 s ago (57.7 s and 57.4 s left in TIME_WAIT).
            socket(TCP_TIME_WAIT, 80, 0, 57_700),
            socket(TCP_TIME_WAIT, 80, 0, 57_400),
            // Another port is not watched.
            socket(TCP_ESTABLISHED, 9000, 1_000, 0),
        ];
        let now = Instant::now();
        let mut traffic = recent_traffic(&sockets, &[80], now).unwrap();
        assert_eq!(traffic.since_latest, ms(300));
        assert_eq!(traffic.longest_gap(now), ms(2000));
    }

    #[test]
    fn the_current_silence_counts_and_no_trace_means_unknown() {
        let ms = Duration::from_millis;
        let now = Instant::now();
        let sockets = [socket(TCP_ESTABLISHED, 80, 4_000, 0)];
        let mut traffic = recent_traffic(&sockets, &[80], now).unwrap();
        assert_eq!(traffic.since_latest, ms(4000));
        assert_eq!(traffic.longest_gap(now), ms(4000));
        assert_eq!(recent_traffic(&sockets, &[443], now), None);
        // A listener carries no activity time.
        let listener = socket(crate::netstat::TCP_LISTEN, 80, 10, 0);
        assert_eq!(recent_traffic(&[listener], &[80], now), None);
    }

    #[test]
    fn the_silence_before_traffic_began_does_not_count() {
        // A target behind an ALB: health checks 45 s and 30 s ago, then from 15 s ago a
        // request every 250 ms.
        let checks = [45_000, 30_000];
        let traffic = (1..=60).map(|i| 15_000 - i * 250 + 250);
        let gap = longest_gap(&table(checks.into_iter().chain(traffic), 100));
        assert_eq!(gap, Duration::from_millis(250), "the 15 s gaps came before the traffic");
        // Only 5 s of traffic after a 25 s gap prove nothing yet: the gap still counts.
        let short = (1..=20).map(|i| 5_000 - i * 250 + 250);
        let gap = longest_gap(&table(checks.into_iter().chain(short), 100));
        assert_eq!(gap, Duration::from_secs(25));
    }

    #[test]
    fn a_pod_with_a_request_every_two_seconds_keeps_its_gaps() {
        // deploy/lab/lameduck-low-traffic.yaml: a request every 2 s (±300 ms) for a minute.
        let ages = (1..30u64).map(|i| i * 2_000 + [0, 300, 150][i as usize % 3]);
        assert_eq!(longest_gap(&table(ages, 500)), Duration::from_millis(2_300));
        // One silence of 7 s among them: later 2 s gaps show silences of that order happen.
        let ages = (1..27u64).map(|i| i * 2_000 + if i > 10 { 5_000 } else { 0 });
        assert_eq!(longest_gap(&table(ages, 500)), Duration::from_secs(7));
    }

    #[test]
    fn traffic_in_bursts_keeps_the_silence_between_bursts() {
        // 20 requests in a second every 20 s: after each burst, silence until the next.
        let ages = [0u64, 20_000, 40_000]
            .into_iter()
            .flat_map(|start| (0..20).map(move |i| start + 1_000 + i * 50));
        assert_eq!(longest_gap(&table(ages, 200)), Duration::from_millis(19_050));
    }

    /// A gap of 10 s that ended at `start`, then a request every 100 ms until 9 s later.
    fn ten_seconds_then_dense_traffic(start: Instant) -> TrafficGaps {
        let mut gaps = TrafficGaps::default();
        gaps.record(Duration::from_secs(10), start);
        for i in 1..=90 {
            gaps.record(Duration::from_millis(100), start + Duration::from_millis(i * 100));
        }
        gaps
    }

    #[test]
    fn a_gap_is_forgotten_as_regular_traffic_follows_it_but_not_while_silent() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let ms = Duration::from_millis;
        let mut gaps = ten_seconds_then_dense_traffic(start);
        // Regular traffic has not yet lasted as long as the gap.
        assert_eq!(gaps.longest(at(9_500), ms(500)), Duration::from_secs(10));
        // It has, and the silence since is short: the gap was an exception.
        assert_eq!(gaps.longest(at(10_500), ms(1_500)), ms(100));
        assert_eq!(gaps.longest(at(40_000), ms(1_500)), ms(100), "forgotten for good");

        // The traffic stops for 3 s, a gap of the order of the first: that one still counts,
        // also once the next request ends the 3 s gap, until regular traffic outlasts that.
        let mut gaps = ten_seconds_then_dense_traffic(start);
        assert_eq!(gaps.longest(at(12_000), ms(3_000)), Duration::from_secs(10));
        gaps.record(ms(3_000), at(12_000));
        for i in 1..=20 {
            gaps.record(ms(100), at(12_000 + i * 100));
        }
        assert_eq!(gaps.longest(at(14_000), ms(0)), Duration::from_secs(10));
        for i in 21..=40 {
            gaps.record(ms(100), at(12_000 + i * 100));
        }
        assert_eq!(gaps.longest(at(16_000), ms(0)), ms(100));
    }

    #[test]
    fn kept_gaps_stay_few_whatever_the_traffic() {
        let start = Instant::now();
        let mut gaps = TrafficGaps::default();
        // Ever shorter gaps: each is kept (longer than every later one), up to the bound.
        for i in 0..10_000u64 {
            gaps.record(Duration::from_millis(20_000 - i), start + Duration::from_millis(i));
        }
        assert!(gaps.kept.len() <= KEPT_GAPS, "{}", gaps.kept.len());
        assert_eq!(gaps.longest(start, Duration::ZERO), Duration::from_secs(20));
    }

    #[test]
    fn a_real_connection_and_a_real_time_wait_are_dated() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        client.write_all(b"ping").unwrap();
        server.read_exact(&mut [0u8; 4]).unwrap();
        // The server closes first, so its side of the connection goes to TIME_WAIT.
        drop(server);
        client.read_exact(&mut [0u8; 1]).unwrap_err();
        drop(client);
        let sockets = crate::netstat::tcp_sockets_with_time_wait().unwrap();
        let ours: Vec<_> = sockets.iter().filter(|s| s.local_port == port).collect();
        assert!(ours.iter().any(|s| s.state == TCP_TIME_WAIT), "{ours:?}");
        let now = Instant::now();
        let gap = recent_traffic(&sockets, &[port], now)
            .expect("the TIME_WAIT socket is dated")
            .longest_gap(now);
        assert!(gap < Duration::from_secs(5), "closed just now, not {gap:?} ago");
    }
}
