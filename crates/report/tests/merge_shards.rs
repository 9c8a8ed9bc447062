//! `lameduck report merge` on real load runs: three shards of one schedule, run at the same
//! time against real nginx + php-fpm, merge into the counts of one run of the whole schedule.
use std::time::Duration;

use lameduck_core::schema::LoadReport;
use lameduck_load::{Plan, RunHooks, Schedule, Shard};
use lameduck_testkit::{Stack, StackOptions};

fn run(url: &str, schedule: &str, shard: Option<Shard>) -> LoadReport {
    let mut plan = Plan::new(&[url], Schedule::parse(schedule).unwrap()).unwrap();
    // Generous, so a busy CI machine cannot turn a healthy answer into a timeout.
    plan.timeout = Duration::from_secs(5);
    plan.shard = shard;
    lameduck_load::run(&plan, RunHooks::default()).unwrap()
}

#[test]
fn three_shards_merge_into_the_counts_of_one_run() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    // Sends only in the first half of each second: a completion cannot slip into the next
    // second in one run and not in another, however loaded the machine is.
    let schedule = "const(20,0.5s) const(0,0.5s) ".repeat(3);
    let url = stack.url("/ok");
    let shards: Vec<(String, LoadReport)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..3)
            .map(|index| {
                let (url, schedule) = (&url, &schedule);
                scope.spawn(move || run(url, schedule, Some(Shard { index, count: 3 })))
            })
            .collect();
        runs.into_iter()
            .enumerate()
            .map(|(i, r)| (format!("shard-{i}"), r.join().unwrap()))
            .collect()
    });
    let single = run(&url, &schedule, None);

    let merged = lameduck_report::merge::merge(&shards).unwrap();
    let counts = |report: &LoadReport| {
        let seconds: Vec<_> = report
            .seconds
            .iter()
            .map(|s| (s.t, s.sent, s.completed, s.codes.clone(), s.net.clone(), s.dropped))
            .collect();
        (report.requests, report.codes.clone(), report.net.clone(), report.dropped, seconds)
    };
    assert_eq!(counts(&merged), counts(&single));
    assert_eq!(merged.requests, 30);
    let in_histograms: u64 =
        merged.seconds.iter().flat_map(|s| &s.latency_hist_us).map(|[_, n]| n).sum();
    assert_eq!(in_histograms, 30);
    assert!(merged.latency_ms.p50 > 0.0 && (merged.rps - single.rps).abs() < 1e-9, "{merged:?}");
    assert_eq!(merged.shard.as_deref(), Some("merged 3 runs: shards 0/3, 1/3, 2/3"));
}
