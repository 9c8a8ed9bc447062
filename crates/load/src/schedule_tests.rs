//! Unit and property tests of the schedule grammar and its send instants.
use std::time::Duration;

use proptest::prelude::*;

use super::*;

fn offsets_ms(text: &str) -> Vec<u128> {
    Schedule::parse(text).unwrap().offsets().map(|d| d.as_millis()).collect()
}

#[test]
fn const_spaces_sends_evenly() {
    assert_eq!(offsets_ms("const(4,1s)"), vec![0, 250, 500, 750]);
    assert_eq!(offsets_ms("const(0.5,5s)"), vec![0, 2000, 4000]);
    assert_eq!(Schedule::parse("const(100,30m)").unwrap().total_requests(), 180_000);
}

#[test]
fn chained_segments_start_where_the_previous_ended() {
    assert_eq!(offsets_ms("const(1,2s) const(2,1s)"), vec![0, 1000, 2000, 2500]);
    assert_eq!(offsets_ms("const(0,2s) const(1,1)"), vec![2000]);
}

#[test]
fn line_ramps_up_and_down() {
    let up = Schedule::parse("line(0,10,10s)").unwrap();
    assert_eq!(up.total_requests(), 50);
    let offsets: Vec<f64> = up.offsets().map(|d| d.as_secs_f64()).collect();
    // N(t) = t²/2 so the 8th send (k=8) is at t=4.
    assert!((offsets[8] - 4.0).abs() < 1e-9, "{offsets:?}");
    let down = Schedule::parse("line(10,0,10s)").unwrap();
    assert_eq!(down.total_requests(), 50);
    assert!(down.offsets().all(|d| d < Duration::from_secs(10)));
}

#[test]
fn step_expands_to_constant_levels() {
    let s = Schedule::parse("step(10,30,10,1m)").unwrap();
    assert_eq!(s.segments().len(), 3);
    assert_eq!(s.duration(), Duration::from_secs(180));
    assert_eq!(s.total_requests(), (10 + 20 + 30) * 60);
    let down = Schedule::parse("step(30,10,10,1s)").unwrap();
    assert_eq!(down.total_requests(), 60);
}

#[test]
fn accepts_tank_duration_forms_and_spaces_in_arguments() {
    let s = Schedule::parse("  const(1, 1h2m3s)   line( 1 , 2 , 30 ) ").unwrap();
    assert_eq!(s.duration(), Duration::from_secs(3723 + 30));
    assert_eq!(s.to_string(), "const(1,1h2m3s) line(1,2,30s)");
}

#[test]
fn errors_point_at_the_offending_text() {
    let cases = [
        ("const(100,30x)", "30x", "unknown unit"),
        ("cnst(100,30s)", "cnst", "unknown schedule"),
        ("const(abc,30s)", "abc", "expected a rate"),
        ("const(100)", "const(100)", "takes 2 arguments"),
        ("const(100,30s", "const(100,30s", "never closed"),
        ("const(1,1)const(1,1)", "c", "expected a space"),
        ("const(-1,1)", "-1", "between 0"),
        ("step(1,5,0,1s)", "0", "greater than 0"),
        ("   ", "   ", "empty"),
        ("100", "100", "expected const"),
    ];
    for (text, offending, message) in cases {
        let err = Schedule::parse(text).unwrap_err();
        assert_eq!(&text[err.span()], offending, "{text}: {err:?}");
        assert!(err.message.contains(message), "{text}: {}", err.message);
    }
}

proptest! {
    #[test]
    fn parse_never_panics(text in "\\PC{0,40}") {
        let _ = Schedule::parse(&text);
    }

    #[test]
    fn offsets_are_ordered_inside_the_schedule_and_counted(
        from in 0.0f64..200.0, to in 0.0f64..200.0, secs in 1u64..20, rps in 0.0f64..200.0,
    ) {
        let text = format!("line({from},{to},{secs}s) const({rps},{secs})");
        let s = Schedule::parse(&text).unwrap();
        let offsets: Vec<Duration> = s.offsets().collect();
        prop_assert_eq!(offsets.len() as u64, s.total_requests());
        prop_assert!(offsets.windows(2).all(|w| w[0] <= w[1]));
        prop_assert!(offsets.iter().all(|d| *d < s.duration()));
        // The count matches the area under the rate curve to within one send per segment.
        let area = (from + to) / 2.0 * secs as f64 + rps * secs as f64;
        prop_assert!((offsets.len() as f64 - area).abs() <= 2.0);
    }

    #[test]
    fn const_achieves_its_rate_every_second(rps in 1u32..500, secs in 1u64..5) {
        let s = Schedule::parse(&format!("const({rps},{secs}s)")).unwrap();
        let mut per_second = vec![0u32; secs as usize];
        for d in s.offsets() {
            per_second[d.as_secs() as usize] += 1;
        }
        prop_assert!(per_second.iter().all(|&n| n == rps));
    }
}

#[test]
fn a_schedule_that_sends_nothing_is_an_error() {
    for text in ["const(0,10s)", "const(0,1s) line(0,0,5s)", "step(0,0,1,3s)"] {
        let err = Schedule::parse(text).unwrap_err();
        assert!(err.message.contains("sends no requests"), "{text}: {err:?}");
        assert_eq!(err.span(), 0..text.len());
    }
    // A pause is fine as long as something is sent.
    assert_eq!(Schedule::parse("const(0,2s) const(1,1s)").unwrap().total_requests(), 1);
}

#[test]
fn steps_segments_duration_and_requests_are_bounded_at_the_offending_part() {
    let text = "const(1,1s) step(1,10000000,0.0000001,1s)";
    let err = Schedule::parse(text).unwrap_err();
    assert!(err.message.contains("at most 10000 segments"), "{err:?}");
    assert_eq!(&text[err.span()], "step(1,10000000,0.0000001,1s)");

    let many = "const(1,1s) ".repeat(MAX_SEGMENTS + 1);
    let err = Schedule::parse(&many).unwrap_err();
    assert!(err.message.contains("more than 10000 segments"), "{err:?}");
    assert_eq!(err.span().start, 12 * MAX_SEGMENTS);

    let text = "const(1,315360000s) const(1,1s)";
    let err = Schedule::parse(text).unwrap_err();
    assert!(err.message.contains("longer than ten years"), "{err:?}");
    assert_eq!(&text[err.span()], "const(1,1s)");

    let text = "const(10000000,1h) const(10000000,1000000s)";
    let err = Schedule::parse(text).unwrap_err();
    assert!(err.message.contains("more than 1000000000000 requests"), "{err:?}");
    assert_eq!(&text[err.span()], "const(10000000,1000000s)");
}
