//! Recognising what a saved file is: a load `--format json` report, a `--timeline` JSON-lines
//! file, or a lab `result.json`, and reading it with errors that name the line.
use serde::Deserialize;
use serde_json::Value;

use lameduck_core::schema::{
    achieved_rate, Event, LabResult, LabSummary, LoadReport, SecondRecord, TimelineHeader,
};

use crate::ReportError;

/// A parsed input, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Load(Box<LoadReport>),
    Lab(LabResult),
}

impl Input {
    /// What the file was recognised as, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Input::Load(_) => "load report",
            Input::Lab(_) => "lab result",
        }
    }
}

/// Parses `text` (the content of `source`, named in errors).
pub fn parse(source: &str, text: &str) -> Result<Input, ReportError> {
    let mut values = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    for (index, value) in stream.enumerate() {
        let value = value.map_err(|e| ReportError::Input {
            source_name: source.to_string(),
            line: e.line(),
            message: format!("not valid JSON ({e}); expected a load report, a --timeline file or a lab result.json"),
        })?;
        values.push((index, value));
    }
    if values.is_empty() {
        return Err(ReportError::Input {
            source_name: source.to_string(),
            line: 1,
            message:
                "the file is empty; expected a load report, a --timeline file or a lab result.json"
                    .into(),
        });
    }
    if let [(_, single)] = values.as_slice() {
        if single.get("scenarios").is_some() {
            return Ok(Input::Lab(lab_result(single).map_err(|m| at(source, 1, m))?));
        }
        if single.get("seconds").is_some() || single.get("requests").is_some() {
            return Ok(Input::Load(Box::new(load_report(single).map_err(|m| at(source, 1, m))?)));
        }
    }
    timeline(source, text, values.into_iter().map(|(_, v)| v).collect())
}

fn at(source: &str, line: usize, message: String) -> ReportError {
    ReportError::Input { source_name: source.to_string(), line, message }
}

/// Reads the load `Report` JSON (as `--format json` prints it, or serialized by a caller).
pub fn load_report(value: &Value) -> Result<LoadReport, String> {
    LoadReport::deserialize(value).map_err(|e| format!("not a load report: {e}"))
}

/// Reads a lab `result.json` value.
/// Reads a lab `result.json` value, or the `--format json` summary (rows without timelines).
pub fn lab_result(value: &Value) -> Result<LabResult, String> {
    LabResult::deserialize(value).or_else(|error| match LabSummary::deserialize(value) {
        Ok(summary) => Ok(summary.into()),
        Err(_) => Err(format!("not a lab result: {error}")),
    })
}

/// The records of a `--timeline` file: each line is a `SecondRecord` tagged `"type":"second"`,
/// an `Event` tagged `"type":"event"`, the header (`"type":"header"`, first) or the summary
/// (`"type":"summary"`, last; the `--format json` report without its seconds and events).
/// Lines of other types are skipped, so later additions do not break older readers.
fn timeline(source: &str, text: &str, values: Vec<Value>) -> Result<Input, ReportError> {
    // Line numbers for messages: the stream gives values, so match them to non-blank lines.
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, _)| i + 1)
        .collect();
    let line_of = |i: usize| lines.get(i).copied().unwrap_or(i + 1);
    let mut seconds = Vec::new();
    let mut events = Vec::new();
    let (mut header, mut summary) = (None, None);
    for (i, value) in values.into_iter().enumerate() {
        let kind = value.get("type").and_then(Value::as_str).map(str::to_owned);
        match kind.as_deref() {
            Some("header") => {
                header = Some(
                    serde_json::from_value::<TimelineHeader>(value)
                        .map_err(|e| at(source, line_of(i), format!("bad header record: {e}")))?,
                )
            }
            Some("summary") => {
                summary = Some(
                    load_report(&value)
                        .map_err(|e| at(source, line_of(i), format!("bad summary record: {e}")))?,
                )
            }
            Some("second") => seconds.push(
                serde_json::from_value::<SecondRecord>(value)
                    .map_err(|e| at(source, line_of(i), format!("bad second record: {e}")))?,
            ),
            Some("event") => events.push(
                serde_json::from_value::<Event>(value)
                    .map_err(|e| at(source, line_of(i), format!("bad event record: {e}")))?,
            ),
            Some(_) => {}
            None => {
                return Err(at(
                    source,
                    line_of(i),
                    "this JSON is neither a load report (`seconds`), a lab result (`scenarios`) nor a \
                     --timeline record (`\"type\": \"second\"` or `\"event\"`); pass the file written by \
                     `lameduck load --format json`, `--timeline`, or the lab's result.json"
                        .into(),
                ))
            }
        }
    }
    if seconds.is_empty() && events.is_empty() {
        return Err(at(source, 1, "the timeline has no second or event records".into()));
    }
    let report = from_timeline_records(header, summary, seconds, events);
    Ok(Input::Load(Box::new(report)))
}

/// The report a `--timeline` file holds. With its summary record (written when the run ends)
/// it is exactly the `--format json` report; without, the totals are summed from the seconds
/// and the header, if any, gives the schedule, targets and start.
pub fn from_timeline_records(
    header: Option<TimelineHeader>,
    summary: Option<LoadReport>,
    seconds: Vec<SecondRecord>,
    events: Vec<Event>,
) -> LoadReport {
    if let Some(mut report) = summary {
        report.seconds = seconds;
        report.events = events;
        return report;
    }
    let mut report = from_seconds(seconds, events);
    if let Some(header) = header {
        let sent = report.seconds.iter().map(|s| s.sent).sum();
        let sending_s = match header.planned_duration_s {
            planned if planned > 0.0 => planned.min(report.duration_s),
            _ => report.duration_s,
        };
        report.rps = achieved_rate(sent, sending_s);
        report.schema_version = header.schema_version;
        report.schedule = header.schedule;
        report.targets = header.targets;
        report.shard = header.shard;
        report.started_unix_ms = header.started_unix_ms;
    }
    report
}

/// A report rebuilt from the seconds and events of a `--timeline` file alone: the totals are
/// summed from the seconds, and whole-run percentiles but the maximum are unknown.
pub fn from_seconds(seconds: Vec<SecondRecord>, events: Vec<Event>) -> LoadReport {
    let mut report = LoadReport::default();
    let mut sent = 0;
    for s in &seconds {
        sent += s.sent;
        report.requests += s.completed;
        report.ok += s.ok;
        report.failed += s.failed;
        report.dropped += s.dropped;
        report.late += s.late;
        for (code, n) in &s.codes {
            *report.codes.entry(*code).or_default() += n;
        }
        for (name, n) in &s.net {
            *report.net.entry(name.clone()).or_default() += n;
        }
        report.latency_ms.max = report.latency_ms.max.max(s.latency_ms.max);
    }
    report.duration_s = seconds.last().map_or(0.0, |s| (s.t + 1) as f64);
    report.rps = achieved_rate(sent, report.duration_s);
    report.from_timeline = true;
    report.seconds = seconds;
    report.events = events;
    report
}

#[cfg(test)]
mod tests {
    use lameduck_core::schema::{EventKind, TimelineLine};

    use super::*;

    fn second(t: u64, sent: u64, codes: &[(u16, u64)], net: &[(&str, u64)]) -> SecondRecord {
        let ok = codes.iter().filter(|(c, _)| *c < 400).map(|(_, n)| n).sum::<u64>();
        let completed = codes.iter().chain([]).map(|(_, n)| n).sum::<u64>()
            + net.iter().map(|(_, n)| n).sum::<u64>();
        SecondRecord {
            t,
            sent,
            completed,
            ok,
            failed: completed - ok,
            codes: codes.iter().copied().collect(),
            net: net.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            ..SecondRecord::default()
        }
    }

    fn line(record: TimelineLine) -> String {
        serde_json::to_string(&record).unwrap() + "\n"
    }

    fn header() -> TimelineHeader {
        TimelineHeader {
            schema_version: 2,
            version: "0.1.0".into(),
            schedule: "const(2,2s)".into(),
            targets: vec!["http://h/".into()],
            thresholds: vec!["failed>0".into()],
            started: "2026-11-19T12:05:09.250Z".into(),
            started_unix_ms: 1795089909250,
            planned_duration_s: 2.0,
            shard: None,
        }
    }

    #[test]
    fn recognises_a_load_report() {
        let report = LoadReport {
            requests: 10,
            seconds: vec![second(0, 5, &[(200, 5)], &[])],
            ..LoadReport::default()
        };
        let mut json = serde_json::to_value(&report).unwrap();
        json["new_field"] = 1.into();
        let Input::Load(read) = parse("r.json", &json.to_string()).unwrap() else {
            panic!("not load")
        };
        assert_eq!(*read, report, "a field added later is ignored, nothing else is lost");
    }

    #[test]
    fn recognises_a_timeline_and_sums_its_totals() {
        let event =
            Event { t_ms: 500, kind: EventKind::ExecStart, label: "echo".into(), exit_code: None };
        let text = [
            line(TimelineLine::Second(second(0, 3, &[(200, 2)], &[("refused", 1)]))),
            "\n".into(),
            line(TimelineLine::Event(event)),
            line(TimelineLine::Second(second(1, 2, &[(200, 2)], &[]))),
            "{\"type\":\"future-kind\"}\n".into(),
        ]
        .concat();
        let Input::Load(report) = parse("t.jsonl", &text).unwrap() else { panic!("not load") };
        assert_eq!(report.seconds.len(), 2);
        assert_eq!(report.events.len(), 1);
        assert_eq!((report.requests, report.ok, report.failed), (5, 4, 1));
        assert_eq!(report.net.get("refused"), Some(&1));
        assert_eq!(report.duration_s, 2.0);
    }

    #[test]
    fn a_timeline_header_and_summary_give_the_whole_report() {
        let header = line(TimelineLine::Header(header()));
        let seconds = [
            line(TimelineLine::Second(second(0, 2, &[(200, 2)], &[]))),
            line(TimelineLine::Second(second(1, 2, &[(200, 1)], &[]))),
            line(TimelineLine::Second(second(2, 0, &[(200, 1)], &[]))),
        ]
        .concat();
        // Cut short (no summary): the header names the run, the rate is over the schedule.
        let Input::Load(cut) = parse("t.jsonl", &format!("{header}{seconds}")).unwrap() else {
            panic!("not load")
        };
        assert_eq!((cut.schedule.as_str(), cut.targets.len()), ("const(2,2s)", 1));
        assert_eq!((cut.started_unix_ms, cut.requests, cut.rps), (1795089909250, 4, 2.0));
        assert!(cut.from_timeline);
        let mut summary = LoadReport {
            schedule: "const(2,2s)".into(),
            requests: 4,
            rps: 2.0,
            failures: vec!["x".into()],
            ..LoadReport::default()
        };
        summary.latency_ms.p50 = 1.5;
        let summary = line(TimelineLine::Summary(Box::new(summary)));
        let text = format!("{header}{seconds}{summary}");
        let Input::Load(whole) = parse("t.jsonl", &text).unwrap() else { panic!("not load") };
        assert_eq!((whole.latency_ms.p50, whole.failures.len(), whole.seconds.len()), (1.5, 1, 3));
        assert!(!whole.from_timeline);
    }

    #[test]
    fn recognises_a_lab_result_and_a_lab_summary() {
        let text = include_str!("../tests/fixtures/lab-result.json");
        let Input::Lab(lab) = parse("result.json", text).unwrap() else { panic!("not lab") };
        assert!(!lab.scenarios.is_empty() && !lab.scenarios[0].timeline.is_empty());
        assert_eq!(lab.schema_version, 0, "the fixture predates schema_version");
        let summary = lameduck_core::schema::LabSummary::of("/x", &lab.scenarios);
        let text = serde_json::to_string(&summary).unwrap();
        let Input::Lab(rows) = parse("summary.json", &text).unwrap() else { panic!("not lab") };
        assert_eq!(rows.scenarios[0].name, lab.scenarios[0].name);
        assert_eq!(rows.scenarios[0].verdict, lab.scenarios[0].verdict);
    }

    #[test]
    fn a_load_report_from_before_schema_version_renders() {
        // As `lameduck load --output json` wrote it before `schema_version`, `targets`,
        // `late`, `exec` and the OK responses' latencies existed.
        let old = r#"{"schedule":"const(2,2s)","started_unix_ms":0,"duration_s":2.0,
            "stopped_early":false,"requests":4,"ok":3,"failed":1,"codes":{"200":3,"502":1},
            "net":{},"dropped":0,"rps":2.0,"latency_ms":{"p50":1,"p90":2,"p99":3,"max":3},
            "send_lag_ms":{"p50":0,"p90":0,"p99":0,"max":0},
            "seconds":[{"t":0,"sent":4,"completed":4,"ok":3,"failed":1,
                "codes":{"200":3,"502":1},"net":{},"dropped":0,
                "latency_ms":{"p50":1,"p90":2,"p99":3,"max":3}}],
            "events":[{"t_ms":500,"kind":"exec_start","label":"kubectl scale"}]}"#;
        let Input::Load(report) = parse("old.json", old).unwrap() else { panic!("not load") };
        assert_eq!((report.schema_version, report.requests, report.late), (0, 4, 0));
        let html = crate::render_load_html(&serde_json::from_str(old).unwrap()).unwrap();
        assert!(html.contains("data-kind='502'") && html.contains("kubectl scale"), "{html}");
    }

    #[test]
    fn a_renamed_field_is_an_error_not_a_zero() {
        let json = line(TimelineLine::Second(second(0, 3, &[(200, 3)], &[])));
        let renamed = json.replace("\"completed\"", "\"done\"");
        let message = parse("t.jsonl", &renamed).unwrap_err().to_string();
        assert!(message.contains("t.jsonl:1") && message.contains("`completed`"), "{message}");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let good = line(TimelineLine::Second(second(0, 1, &[(200, 1)], &[])));
        let message =
            parse("t.jsonl", &format!("{good}{{\"t\": oops}}\n")).unwrap_err().to_string();
        assert!(message.contains("t.jsonl:2"), "{message}");
        let message =
            parse("t.jsonl", &format!("{good}{{\"hello\":1}}\n")).unwrap_err().to_string();
        assert!(message.contains("t.jsonl:2") && message.contains("--timeline"), "{message}");
        let wrong_type = good.replace("\"t\":0", "\"t\":\"zero\"");
        let message = parse("t.jsonl", &wrong_type).unwrap_err().to_string();
        assert!(
            message.contains("t.jsonl:1") && message.contains("bad second record"),
            "{message}"
        );
        assert!(parse("e.json", "  \n").unwrap_err().to_string().contains("empty"));
    }
}
