//! The load schedule grammar, `--fail-on` thresholds and durations: any text gives a value or
//! an error, and a schedule's send offsets are ordered and as many as it says.
#![no_main]
use lameduck_load::thresholds::Threshold;
use lameduck_load::{durations, Schedule};
use libfuzzer_sys::fuzz_target;

/// Offsets checked per input, so that a schedule of a billion sends stays a quick input.
const MAX_CHECKED: usize = 100_000;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = durations::parse_duration(&text);
    let _ = Threshold::parse(&text);
    let Ok(schedule) = Schedule::parse(&text) else { return };
    assert!(schedule.total_requests() > 0, "{text}");
    let mut previous = std::time::Duration::ZERO;
    let mut seen = 0;
    for offset in schedule.offsets().take(MAX_CHECKED) {
        assert!(offset >= previous, "{text}: {offset:?} after {previous:?}");
        previous = offset;
        seen += 1;
    }
    if (seen as u64) < MAX_CHECKED as u64 {
        assert_eq!(seen as u64, schedule.total_requests(), "{text}");
    }
});
