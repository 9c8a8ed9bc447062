//! Real load runs to render: the `lameduck-load` engine against real nginx + php-fpm from
//! `lameduck-testkit`. Shared by the tests and the `real-runs` example behind
//! scripts/screenshots.
use std::time::Duration;

use lameduck_load::{ExecAt, Plan, RunHooks, Schedule};
use lameduck_testkit::{Stack, StackOptions};

/// The schedule of both runs: short, but long enough for a visible timeline.
pub const SCHEDULE: &str = "line(10,60,2s) const(60,3s)";

/// A load run against a healthy nginx + php-fpm: every request answers 200.
pub fn clean_run() -> serde_json::Value {
    let stack = Stack::start(StackOptions::default()).expect("start nginx + php-fpm");
    let urls = [stack.url("/index.php"), stack.url("/sleep.php?ms=20")];
    run(&urls, Vec::new())
}

/// The articles' story, for real: at 2s php-fpm gets SIGTERM (fast shutdown), so nginx answers
/// 502; at 3.5s nginx gets SIGTERM too, so connections are refused. Both commands appear as
/// `--exec-at` events on the timeline.
pub fn failing_run() -> serde_json::Value {
    let mut stack = Stack::start(StackOptions::default()).expect("start nginx + php-fpm");
    let urls = [stack.url("/index.php"), stack.url("/sleep.php?ms=20")];
    let exec_at = vec![
        ExecAt {
            at: Duration::from_millis(2000),
            command: format!("kill -TERM {}", stack.php_fpm().pid()),
        },
        ExecAt {
            at: Duration::from_millis(3500),
            command: format!("kill -TERM {}", stack.nginx().pid()),
        },
    ];
    let report = run(&urls, exec_at);
    drop(stack);
    report
}

fn run(urls: &[String], exec_at: Vec<ExecAt>) -> serde_json::Value {
    let schedule = Schedule::parse(SCHEDULE).expect("valid schedule");
    let mut plan = Plan::new(urls, schedule).expect("valid targets");
    // Generous, so a busy CI machine cannot turn a healthy answer into a timeout.
    plan.timeout = Duration::from_secs(5);
    plan.exec_at = exec_at;
    let report = lameduck_load::run(&plan, RunHooks::default()).expect("load run");
    serde_json::to_value(&report).expect("serialize the report")
}

/// The outcome kinds a report's totals contain, named as the legend's `data-kind`s.
#[allow(dead_code)] // used by the tests, not by the example that shares this file
pub fn kinds_seen(report: &serde_json::Value) -> Vec<String> {
    let mut counts = [0u64; lameduck_report::outcome::Kind::COUNT];
    let codes = serde_json::from_value(report["codes"].clone()).expect("codes by status");
    let net = serde_json::from_value(report["net"].clone()).expect("net by name");
    lameduck_report::outcome::add_counts(
        &mut counts,
        &codes,
        &net,
        report["dropped"].as_u64().unwrap_or(0),
    );
    lameduck_report::outcome::Kind::ALL
        .iter()
        .filter(|k| counts[k.index()] > 0)
        .map(|k| k.slug().to_string())
        .collect()
}
