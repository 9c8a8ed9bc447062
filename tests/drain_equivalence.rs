//! `lameduck check` accepts a `--drain` value, a duration and a stop signal if and only if
//! `lameduck run` and `lameduck prestop` do: generated values, some valid and many nearly so, go
//! through both command lines.
use clap::Parser;
use lameduck_check::shell::lameduck_call;
use lameduck_supervise::cli::{PrestopArgs, RunArgs};
use proptest::prelude::*;

#[derive(Parser)]
#[command(name = "lameduck")]
enum Cli {
    Run(RunArgs),
    Prestop(PrestopArgs),
}

/// Whether the real command line parses: clap runs the same `FromStr` the supervisor uses.
fn run_accepts_flag(subcommand: &str, flag: &str, value: &str) -> bool {
    let mut argv = vec!["lameduck", subcommand, flag, value];
    if subcommand == "run" {
        argv.extend(["--", "php-fpm", "-F"]);
    }
    Cli::try_parse_from(argv).is_ok()
}

fn check_accepts_flag(subcommand: &str, flag: &str, value: &str) -> bool {
    let words: Vec<String> =
        ["lameduck", subcommand, flag, value, "--", "php-fpm"].map(String::from).to_vec();
    let call = lameduck_call(&words).expect("a lameduck command line");
    !call.fails()
}

fn run_accepts(subcommand: &str, drain: &str) -> bool {
    run_accepts_flag(subcommand, "--drain", drain)
}

fn check_accepts(subcommand: &str, drain: &str) -> bool {
    check_accepts_flag(subcommand, "--drain", drain)
}

fn duration() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        Just("0".to_string()),
        (0u32..100).prop_map(|n| n.to_string()),
        (0u32..100, 0u32..10).prop_map(|(a, b)| format!("{a}.{b}")),
        Just("86400".to_string()),
        Just("86401".to_string()),
        Just("-1".to_string()),
        Just("1e3".to_string()),
    ];
    let unit =
        prop::sample::select(vec!["", "s", "ms", "us", "m", "min", "h", "d", "y", "x", " s"]);
    prop_oneof![
        (number.clone(), unit.clone()).prop_map(|(n, u)| format!("{n}{u}")),
        (number.clone(), unit.clone(), number, unit)
            .prop_map(|(a, u, b, v)| format!("{a}{u}{b}{v}")),
        Just("deadline".to_string()),
        Just(String::new()),
    ]
}

fn option() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec!["quiet", "min", "max", "adapt", "wait", ""]);
    prop_oneof![
        (key.clone(), duration()).prop_map(|(k, v)| format!("{k}={v}")),
        (0u32..120).prop_map(|n| format!("adapt={n}")),
        key.prop_map(str::to_string),
    ]
}

fn spec() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("none".to_string()),
        Just("auto".to_string()),
        duration().prop_map(|d| format!("fixed:{d}")),
        duration().prop_map(|d| format!("none:{d}")),
        duration(),
        prop::collection::vec(option(), 0..4).prop_map(|o| format!("auto:{}", o.join(","))),
        prop::collection::vec(option(), 1..3).prop_map(|o| format!("sleep:{}", o.join(","))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn check_accepts_a_drain_exactly_when_run_and_prestop_do(spec in spec()) {
        for subcommand in ["run", "prestop"] {
            prop_assert_eq!(
                check_accepts(subcommand, &spec),
                run_accepts(subcommand, &spec),
                "lameduck {} --drain {:?}", subcommand, spec
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn check_accepts_a_duration_exactly_when_run_and_prestop_do(value in duration()) {
        for subcommand in ["run", "prestop"] {
            for flag in ["--grace-period", "--safety-margin"] {
                prop_assert_eq!(
                    check_accepts_flag(subcommand, flag, &value),
                    run_accepts_flag(subcommand, flag, &value),
                    "lameduck {} {} {:?}", subcommand, flag, value
                );
            }
        }
    }
}

#[test]
fn the_cases_that_used_to_disagree_agree() {
    for (spec, accepted) in [("fixed:1min", true), ("fixed:1d", true), ("fixed:1d1s", false)] {
        assert_eq!(run_accepts("prestop", spec), accepted, "run: {spec}");
        assert_eq!(check_accepts("prestop", spec), accepted, "check: {spec}");
    }
    for (value, accepted) in [("1min", true), ("1d1s", false), ("x", false)] {
        assert_eq!(run_accepts_flag("run", "--grace-period", value), accepted, "run: {value}");
        assert_eq!(check_accepts_flag("run", "--grace-period", value), accepted, "{value}");
    }
}

/// Whether `prestop --stop-signal` parses on the real command line.
fn prestop_accepts_signal(signal: &str) -> bool {
    Cli::try_parse_from(["lameduck", "prestop", "--stop-signal", signal]).is_ok()
}

fn check_accepts_signal(signal: &str) -> bool {
    let words: Vec<String> =
        ["lameduck", "prestop", "--stop-signal", signal].map(String::from).to_vec();
    !lameduck_call(&words).expect("a lameduck command line").fails()
}

fn signal_text() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "QUIT",
        "quit",
        "SIGQUIT",
        "TERM",
        "WINCH",
        "USR2",
        "HUP",
        "KILL",
        "QIUT",
        "SIGNOPE",
        "RTMIN",
        "SIGRTMIN+3",
        "RTMAX-1",
        "SIGRTMAX+1",
        "",
    ]);
    prop_oneof![name.prop_map(str::to_string), (-2i32..70).prop_map(|n| n.to_string())]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn check_accepts_a_stop_signal_exactly_when_prestop_does(signal in signal_text()) {
        prop_assert_eq!(check_accepts_signal(&signal), prestop_accepts_signal(&signal), "{:?}", signal);
    }
}
