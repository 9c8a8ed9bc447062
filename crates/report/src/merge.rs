//! `lameduck report merge`: the reports of `lameduck load --shard I/N` runs (their `--timeline`
//! files, or `--format json`) combined into the report of the whole schedule.
//!
//! Shards slice one schedule (send k goes to shard k mod N), and each second of a run is
//! counted on that run's own clock, so second t of the merge is the sum of second t of every
//! shard: sends, drops, each status and network outcome. LatencyMs percentiles are recomputed
//! from the shards' histograms added together (see `lameduck_core::schema::latency`), so they are exactly
//! those of one histogram holding every request, per second and for the whole run; the OK
//! responses' latency likewise, from their own histograms (unknown, as in the inputs, when one
//! of them predates it). Send lag
//! has no histogram in the files: the merge shows the worst shard's.
use std::collections::BTreeMap;

use lameduck_core::schema::latency::{self, add, to_buckets};
use lameduck_core::schema::{LatencyMs, LoadReport, SecondRecord};

/// Merges `reports` (each named, for messages). They must have run the same schedule, and
/// every second with completed requests must carry its latency histogram.
pub fn merge(reports: &[(String, LoadReport)]) -> Result<LoadReport, String> {
    let Some((_, first)) = reports.first() else {
        return Err("nothing to merge: give the --timeline files of the shards".into());
    };
    check_inputs(reports)?;
    let mut merged = LoadReport {
        schedule: first.schedule.clone(),
        started_unix_ms: reports.iter().map(|(_, r)| r.started_unix_ms).min().unwrap_or(0),
        shard: Some(shards_label(reports)),
        from_timeline: reports.iter().any(|(_, r)| r.from_timeline),
        ..LoadReport::default()
    };
    let mut whole = Histograms::new();
    let mut seconds: BTreeMap<u64, (SecondRecord, Histograms)> = BTreeMap::new();
    for (name, report) in reports {
        add_totals(&mut merged, report);
        whole.ok_known &= report.latency_ok_ms.is_some();
        for second in &report.seconds {
            let (into, histograms) = seconds
                .entry(second.t)
                .or_insert_with(|| (SecondRecord::default(), Histograms::new()));
            add_second(into, second);
            histograms.add(second);
            whole.add(second);
        }
        let prefix = match &report.shard {
            Some(shard) => format!("shard {shard}"),
            None => name.clone(),
        };
        for event in &report.events {
            let mut event = event.clone();
            event.label = format!("[{prefix}] {}", event.label);
            merged.events.push(event);
        }
        merged.failures.extend(report.failures.iter().map(|f| format!("{prefix}: {f}")));
    }
    merged.events.sort_by_key(|e| e.t_ms);
    merged.latency_ms = latency::percentiles(&to_buckets(&whole.all));
    merged.latency_ok_ms = whole.ok_known.then(|| latency::percentiles(&to_buckets(&whole.ok)));
    merged.seconds = seconds
        .into_iter()
        .map(|(t, (mut second, histograms))| {
            second.t = t;
            second.latency_hist_us = to_buckets(&histograms.all);
            second.latency_ms = latency::percentiles(&second.latency_hist_us);
            if histograms.ok_known {
                second.latency_ok_hist_us = to_buckets(&histograms.ok);
                second.latency_ok_ms = Some(latency::percentiles(&second.latency_ok_hist_us));
            }
            second
        })
        .collect();
    Ok(merged)
}

/// Every response's histogram and the OK responses', added up over several seconds.
struct Histograms {
    /// Count per bucket (`[value_us, count]` pairs added up).
    all: BTreeMap<u64, u64>,
    ok: BTreeMap<u64, u64>,
    /// Every second added carried its OK histogram (timeline schema 2 or later).
    ok_known: bool,
}

impl Histograms {
    fn new() -> Histograms {
        Histograms { all: BTreeMap::new(), ok: BTreeMap::new(), ok_known: true }
    }

    fn add(&mut self, second: &SecondRecord) {
        add(&mut self.all, &second.latency_hist_us);
        add(&mut self.ok, &second.latency_ok_hist_us);
        self.ok_known &= second.latency_ok_ms.is_some() || second.completed == 0;
    }
}

/// The merged report as JSON, in the shape of `lameduck load --format json`.
pub fn to_json(report: &LoadReport) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or_default()
}

/// Same schedule everywhere, no shard twice, and histograms wherever there are latencies.
fn check_inputs(reports: &[(String, LoadReport)]) -> Result<(), String> {
    let (first_name, first) = &reports[0];
    let mut shards_seen = BTreeMap::new();
    for (name, report) in reports {
        if report.schedule != first.schedule {
            return Err(format!(
                "{name} ran `{}` but {first_name} ran `{}`: only shards of one schedule merge",
                report.schedule, first.schedule
            ));
        }
        if let Some(shard) = &report.shard {
            if let Some(other) = shards_seen.insert(shard.clone(), name.clone()) {
                return Err(format!("{other} and {name} are both shard {shard}"));
            }
        }
        if let Some(second) =
            report.seconds.iter().find(|s| s.completed > 0 && s.latency_hist_us.is_empty())
        {
            return Err(format!(
                "{name}: second {} has no latency histogram (`latency_hist_us`), so percentiles \
                 cannot be merged exactly; record the shards with this version of lameduck",
                second.t
            ));
        }
    }
    Ok(())
}

/// `merged 3 runs: shards 0/3, 1/3, 2/3`.
fn shards_label(reports: &[(String, LoadReport)]) -> String {
    let shards: Vec<&str> = reports.iter().filter_map(|(_, r)| r.shard.as_deref()).collect();
    match shards.as_slice() {
        [] => format!("merged {} runs", reports.len()),
        _ => format!("merged {} runs: shards {}", reports.len(), shards.join(", ")),
    }
}

fn add_totals(into: &mut LoadReport, report: &LoadReport) {
    into.duration_s = into.duration_s.max(report.duration_s);
    into.stopped_early |= report.stopped_early;
    into.requests += report.requests;
    into.ok += report.ok;
    into.failed += report.failed;
    into.dropped += report.dropped;
    into.late += report.late;
    add_counts(&mut into.codes, &report.codes);
    add_counts(&mut into.net, &report.net);
    // Every shard sends over the same schedule, so the rates add up.
    into.rps += report.rps;
    into.send_lag_ms = worst(into.send_lag_ms, report.send_lag_ms);
    for target in &report.targets {
        if !into.targets.contains(target) {
            into.targets.push(target.clone());
        }
    }
    into.exec.extend(report.exec.iter().cloned());
    into.exec_may_fail |= report.exec_may_fail;
}

fn add_second(into: &mut SecondRecord, second: &SecondRecord) {
    into.sent += second.sent;
    into.completed += second.completed;
    into.ok += second.ok;
    into.failed += second.failed;
    into.dropped += second.dropped;
    into.late += second.late;
    add_counts(&mut into.codes, &second.codes);
    add_counts(&mut into.net, &second.net);
}

fn add_counts<K: Ord + Clone>(into: &mut BTreeMap<K, u64>, counts: &BTreeMap<K, u64>) {
    for (key, n) in counts {
        *into.entry(key.clone()).or_default() += n;
    }
}

fn worst(a: LatencyMs, b: LatencyMs) -> LatencyMs {
    LatencyMs {
        p50: a.p50.max(b.p50),
        p90: a.p90.max(b.p90),
        p99: a.p99.max(b.p99),
        max: a.max.max(b.max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shard's report whose seconds hold `latencies` (µs) each, all 200s.
    fn shard(shard: &str, latencies: &[&[u64]]) -> (String, LoadReport) {
        let mut report = LoadReport {
            schedule: "const(4,2s)".into(),
            shard: Some(shard.into()),
            ..LoadReport::default()
        };
        for (t, values) in latencies.iter().enumerate() {
            let histogram = crate::hdr_buckets(values);
            let n = values.len() as u64;
            report.requests += n;
            report.seconds.push(SecondRecord {
                t: t as u64,
                sent: n,
                completed: n,
                ok: n,
                codes: [(200, n)].into(),
                latency_ms: latency::percentiles(&histogram),
                latency_hist_us: histogram.clone(),
                latency_ok_ms: Some(latency::percentiles(&histogram)),
                latency_ok_hist_us: histogram,
                ..SecondRecord::default()
            });
        }
        report.latency_ok_ms = Some(LatencyMs::default());
        (format!("{shard}.jsonl"), report)
    }

    #[test]
    fn late_sends_add_up_per_second_and_in_total() {
        let (mut a, mut b) = (shard("0/2", &[&[1000]]), shard("1/2", &[&[2000]]));
        (a.1.late, a.1.seconds[0].late) = (3, 3);
        (b.1.late, b.1.seconds[0].late) = (4, 4);
        let merged = merge(&[a, b]).unwrap();
        assert_eq!((merged.late, merged.seconds[0].late), (7, 7));
    }

    #[test]
    fn ok_latency_merges_exactly_and_stays_unknown_when_an_input_lacks_it() {
        let a = shard("0/2", &[&[1000, 1200]]);
        let mut b = shard("1/2", &[&[300, 80_000]]);
        // Shard 1's 300µs response was a 502: only the 80ms one was OK.
        let ok = crate::hdr_buckets(&[80_000]);
        let second = &mut b.1.seconds[0];
        (second.ok, second.failed) = (1, 1);
        second.latency_ok_ms = Some(latency::percentiles(&ok));
        second.latency_ok_hist_us = ok;
        let merged = merge(&[a.clone(), b.clone()]).unwrap();
        let expected = crate::hdr_buckets(&[1000, 1200, 80_000]);
        assert_eq!(merged.seconds[0].latency_ok_ms, Some(latency::percentiles(&expected)));
        assert_eq!(merged.seconds[0].latency_ok_hist_us, expected);
        assert_eq!(merged.latency_ok_ms, Some(latency::percentiles(&expected)));
        let failed = merged.seconds[0].failed_latency().expect("one failed response");
        assert_eq!(failed.max, 0.3);

        b.1.latency_ok_ms = None;
        b.1.seconds[0].latency_ok_ms = None;
        b.1.seconds[0].latency_ok_hist_us.clear();
        let merged = merge(&[a, b]).unwrap();
        assert_eq!(merged.seconds[0].latency_ok_ms, None);
        assert_eq!(merged.latency_ok_ms, None);
    }

    #[test]
    fn counts_add_up_and_percentiles_are_those_of_all_requests() {
        let a = shard("0/2", &[&[1000, 1200], &[5000, 900_000]]);
        let b = shard("1/2", &[&[1100, 40_000], &[6000]]);
        let merged = merge(&[a, b]).unwrap();
        assert_eq!(merged.requests, 7);
        let sent: Vec<u64> = merged.seconds.iter().map(|s| s.sent).collect();
        assert_eq!(sent, [4, 3]);
        assert_eq!(merged.seconds[1].codes.get(&200), Some(&3));
        let all = crate::hdr_buckets(&[1000, 1200, 5000, 900_000, 1100, 40_000, 6000]);
        assert_eq!(merged.latency_ms, latency::percentiles(&all));
        assert_eq!(merged.shard.as_deref(), Some("merged 2 runs: shards 0/2, 1/2"));
    }

    #[test]
    fn refuses_what_cannot_merge_exactly() {
        let (a, b) = (shard("0/2", &[&[1000]]), shard("0/2", &[&[1000]]));
        assert!(merge(&[a.clone(), b]).unwrap_err().contains("both shard 0/2"));
        let mut other = shard("1/2", &[&[1000]]);
        other.1.schedule = "const(5,2s)".into();
        assert!(merge(&[a.clone(), other]).unwrap_err().contains("only shards of one schedule"));
        let mut old = shard("1/2", &[&[1000]]);
        old.1.seconds[0].latency_hist_us.clear();
        assert!(merge(&[a, old]).unwrap_err().contains("no latency histogram"));
        assert!(merge(&[]).is_err());
    }
}
