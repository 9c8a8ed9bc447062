//! Keep-alive connections opened before the schedule's clock starts.
//!
//! Connections are otherwise opened lazily, by the first request that finds none idle. At high
//! rates that puts every TCP (and TLS) handshake of the run into its first milliseconds: the
//! early requests wait for their connects, so connect cost shows up as their latency, and the
//! sends that fall due while the window is full of connecting requests are counted `dropped`,
//! all in second 0 and all of it the generator's doing, not the server's. Opening, before t=0,
//! as many connections as the first [`WARM_WINDOW`] of the schedule can use takes that cost
//! out of the measurement.
//!
//! Pre-connecting never decides an outcome. A connect that fails or does not finish within
//! [`MAX_WAIT`] is skipped without a trace: the request that would have used it connects itself
//! and records what really happens (`refused`, `timeout`, `other:tls`...), exactly as without
//! pre-connecting. Nothing here counts in the timeline or the report.
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::client::Conn;
use crate::prepare::Prepared;
use crate::Plan;

/// Sends due in this first stretch of the schedule get a connection opened in advance.
const WARM_WINDOW: Duration = Duration::from_millis(10);

/// Longest the whole pre-connect phase may hold up the start (less if `--timeout` is shorter).
const MAX_WAIT: Duration = Duration::from_secs(1);

/// How many connections to open to each endpoint: one per send due in the first
/// [`WARM_WINDOW`] (at most `max_in_flight`, since no more can be outstanding at once), spread
/// over the endpoints the way the round-robin over the requests will use them.
///
/// A schedule with no send in that window gets none: a connection idling until a later first
/// send could be closed by the server meanwhile, and turn into a `closed` the server never
/// caused.
pub(crate) fn connections_wanted(plan: &Plan, prepared: &Prepared) -> Vec<usize> {
    let mut wanted = vec![0; prepared.endpoints.len()];
    if !plan.keepalive {
        return wanted;
    }
    let early_sends = plan
        .send_offsets()
        .take_while(|offset| *offset < WARM_WINDOW)
        .take(plan.max_in_flight)
        .count();
    for request in prepared.requests.iter().cycle().take(early_sends) {
        wanted[request.endpoint] += 1;
    }
    wanted
}

/// Opens the connections [`connections_wanted`] asks for, concurrently, and returns them as
/// the initial idle pool (one list per endpoint).
pub(crate) async fn preconnect(plan: &Plan, prepared: &Prepared) -> Vec<Vec<Conn>> {
    let mut idle: Vec<Vec<Conn>> = prepared.endpoints.iter().map(|_| Vec::new()).collect();
    let mut connecting: FuturesUnordered<_> = connections_wanted(plan, prepared)
        .into_iter()
        .enumerate()
        .flat_map(|(endpoint, count)| std::iter::repeat_n(endpoint, count))
        .map(|endpoint| async move { (endpoint, prepared.endpoints[endpoint].connect().await) })
        .collect();
    let deadline = tokio::time::Instant::now() + plan.timeout.min(MAX_WAIT);
    while let Ok(Some((endpoint, connected))) =
        tokio::time::timeout_at(deadline, connecting.next()).await
    {
        if let Ok(conn) = connected {
            idle[endpoint].push(conn);
        }
    }
    idle
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Schedule;

    fn wanted(urls: &[&str], schedule: &str, max_in_flight: usize, keepalive: bool) -> Vec<usize> {
        let mut plan = Plan::new(urls, Schedule::parse(schedule).unwrap()).unwrap();
        plan.max_in_flight = max_in_flight;
        plan.keepalive = keepalive;
        connections_wanted(&plan, &crate::prepare::prepare(&plan).unwrap())
    }

    #[test]
    fn one_connection_per_send_in_the_first_ten_milliseconds() {
        // 2,000 rps: sends at 0, 0.5, ... 9.5 ms.
        assert_eq!(wanted(&["http://127.0.0.1:1/"], "const(2000,1s)", 1024, true), [20]);
        assert_eq!(wanted(&["http://127.0.0.1:1/"], "const(300,1s)", 1024, true), [3]);
        assert_eq!(wanted(&["http://127.0.0.1:1/"], "const(1,1s)", 1024, true), [1]);
    }

    #[test]
    fn never_more_than_max_in_flight() {
        assert_eq!(wanted(&["http://127.0.0.1:1/"], "const(60000,3s)", 64, true), [64]);
    }

    #[test]
    fn spread_over_endpoints_as_the_round_robin_uses_them() {
        // Two URLs on one endpoint and one on another: the round-robin sends 2 of every 3
        // requests to the first.
        let urls = ["http://127.0.0.1:1/a", "http://127.0.0.1:2/", "http://127.0.0.1:1/b"];
        assert_eq!(wanted(&urls, "const(1000,1s)", 1024, true), [7, 3]);
        assert_eq!(wanted(&urls, "const(1000,1s)", 4, true), [3, 1]);
    }

    #[test]
    fn none_without_keepalive_or_without_an_early_send() {
        assert_eq!(wanted(&["http://127.0.0.1:1/"], "const(2000,1s)", 1024, false), [0]);
        assert_eq!(wanted(&["http://127.0.0.1:1/"], "const(0,1s) const(100,1s)", 1024, true), [0]);
    }
}
