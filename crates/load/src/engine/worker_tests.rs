//! Which sends count as `late` (held by the server) and which go into the send lag (the
//! generator's own lateness).
use std::time::Duration;

use super::Worker;
use crate::prepare::prepare;
use crate::{Plan, RunHooks, Schedule};

const MS: Duration = Duration::from_millis(1);
const US: Duration = Duration::from_micros(1);

#[test]
fn a_send_due_while_the_held_ones_are_written_is_held_too() {
    // Ten a second: each send alone in its batch, released 250 µs after its offset.
    let plan =
        Plan::new(&["http://127.0.0.1:9/".to_string()], Schedule::parse("const(10,1s)").unwrap())
            .unwrap();
    let prepared = prepare(&plan).unwrap();
    let mut hooks = RunHooks::default();
    let mut worker = Worker::start(&plan, &prepared, vec![Vec::new()], &mut hooks);
    let at = |ms: u32| worker.start + MS * ms;
    let (s0, s250, s320, s330) = (at(0), at(250), at(320), at(330));
    let s400 = at(400) + 300 * US;

    worker.count_sent(Duration::ZERO, s0);
    worker.observe_window(true, s0);
    // The server answers again at 250 ms: the sends due at 100 and 200 ms waited for it, and
    // writing them took until 320 ms.
    worker.observe_window(false, s250);
    worker.count_sent(100 * MS, s250);
    worker.count_sent(200 * MS, s320);
    // Due at 300 ms, after the window freed but before the send ahead of it was written.
    worker.count_sent(300 * MS, s330);
    // Due at 400 ms, with nothing ahead of it: on time again, and its lag is the generator's.
    worker.count_sent(400 * MS, s400);

    assert_eq!(worker.totals.late, 3);
    assert_eq!(worker.send_lag.len(), 2, "the first and the last send");
    assert!(worker.send_lag.max() < 1_000, "300 µs, not 100 ms: {}", worker.send_lag.max());
}
