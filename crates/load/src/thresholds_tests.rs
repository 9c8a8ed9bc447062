//! Unit and property tests of `--fail-on` parsing and evaluation.
use proptest::prelude::*;

use super::*;
use crate::report::LatencyMs;

fn report() -> Report {
    Report {
        requests: 10_000,
        ok: 9_950,
        failed: 50,
        codes: [(200, 9_950), (502, 35), (503, 5)].into_iter().collect(),
        net: [("refused".to_string(), 10)].into_iter().collect(),
        dropped: 0,
        late: 25,
        latency_ms: LatencyMs { p50: 2.0, p90: 10.0, p99: 450.0, max: 900.0 },
        ..Report::default()
    }
}

fn crossed(text: &str) -> bool {
    Threshold::parse(text).unwrap().evaluate(&report()).crossed
}

#[test]
fn the_documented_examples_evaluate_correctly() {
    assert!(crossed("failed>0"));
    assert!(crossed("http(5xx)>0.1%"), "40 of 10000 is 0.4%");
    assert!(!crossed("http(5xx)>1%"));
    assert!(crossed("http(502)>0"));
    assert!(!crossed("http(504)>0"));
    assert!(crossed("net(any)>0"));
    assert!(crossed("net(refused)>=10"));
    assert!(!crossed("net(refused)>10"));
    assert!(!crossed("net(reset)>0"));
    assert!(!crossed("p99>500ms"));
    assert!(crossed("p99>0.4s"));
    assert!(crossed("max >= 900"));
    assert!(!crossed("dropped>0"));
    assert!(crossed("late>0.2%"), "25 of 10000 is 0.25%");
    assert!(!crossed("late>25"));
    assert!(crossed("requests<20000"));
    assert!(crossed("ok <= 99.5%"));
}

#[test]
fn verdicts_say_what_was_measured() {
    let verdict = Threshold::parse("http(5xx)>0.1%").unwrap().evaluate(&report());
    assert_eq!(verdict.actual, "0.400% (40 of 10000)");
}

#[test]
fn errors_point_at_the_offending_part() {
    let cases = [
        ("failed", "failed", "comparison"),
        ("fialed>0", "fialed", "unknown metric"),
        ("http(6xx)>0", "6xx", "1xx to 5xx"),
        ("http(abc)>0", "abc", "status code"),
        ("net(refsued)>0", "refsued", "one of"),
        ("failed>x", "x", "count"),
        ("failed>150%", "150%", "percentage"),
        ("p99>5 parsecs", "5 parsecs", "unit"),
        ("failed>", "", "value"),
        ("p99>1e300", "1e300", "at most ten years"),
        ("max>99999999h", "99999999h", "at most ten years"),
    ];
    for (text, offending, message) in cases {
        let err = Threshold::parse(text).unwrap_err();
        assert_eq!(&text[err.span()], offending, "{text}: {err:?}");
        assert!(err.message.contains(message), "{text}: {}", err.message);
    }
}

proptest! {
    #[test]
    fn parse_never_panics(text in "\\PC{0,30}") {
        let _ = Threshold::parse(&text);
    }

    #[test]
    fn count_thresholds_compare_exactly(limit in 0u64..20_000, failed in 0u64..20_000) {
        let mut r = report();
        r.failed = failed;
        let gt = Threshold::parse(&format!("failed>{limit}")).unwrap().evaluate(&r).crossed;
        let le = Threshold::parse(&format!("failed<={limit}")).unwrap().evaluate(&r).crossed;
        prop_assert_eq!(gt, failed > limit);
        prop_assert_eq!(gt, !le);
    }
}

#[test]
fn latency_verdicts_read_in_the_unit_the_threshold_was_written_in() {
    let mut r = report();
    r.latency_ms.p99 = 2739.123;
    let measured = |text: &str, r: &Report| Threshold::parse(text).unwrap().evaluate(r).actual;
    let actual = |text: &str| measured(text, &r);
    assert_eq!(actual("p99>2s"), "2.74s");
    assert_eq!(actual("p99>1m30s"), "2.74s");
    assert_eq!(actual("p99>500ms"), "2739ms");
    assert_eq!(actual("p99>500"), "2739ms");
    assert_eq!(actual("p50<900us"), "2000us");
    assert_eq!(actual("p90>5ms"), "10.0ms");
    r.latency_ms.p99 = 0.35;
    assert_eq!(measured("p99>1s", &r), "0.000350s");
    assert_eq!(measured("p99>1ms", &r), "0.350ms");
}
