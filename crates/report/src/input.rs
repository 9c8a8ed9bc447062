//! Recognising what a saved file is: a load `--format json` report, a `--timeline` JSON-lines
//! file, or a lab `result.json`, and reading it with errors that name the line.
use serde::Deserialize;
use serde_json::Value;

use crate::model::{LabResult, LoadEvent, LoadReport, Second, TimelineHeader};
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
pub fn lab_result(value: &Value) -> Result<LabResult, String> {
    LabResult::deserialize(value).map_err(|e| format!("not a lab result: {e}"))
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
                serde_json::from_value::<Second>(value)
                    .map_err(|e| at(source, line_of(i), format!("bad second record: {e}")))?,
            ),
            Some("event") => events.push(
                serde_json::from_value::<LoadEvent>(value)
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
    let report = LoadReport::from_timeline_records(header, summary, seconds, events);
    Ok(Input::Load(Box::new(report)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_a_load_report() {
        let text = r#"{"schedule":"const(5,2s)","requests":10,"codes":{"200":10},"seconds":[{"t":0,"codes":{"200":5}}],"thresholds":[{"threshold":"failed>0","crossed":false,"actual":"0"}],"new_field":1}"#;
        let Input::Load(report) = parse("r.json", text).unwrap() else { panic!("not load") };
        assert_eq!(report.requests, 10);
        assert_eq!(report.seconds.len(), 1);
        assert_eq!(report.thresholds.len(), 1);
    }

    #[test]
    fn recognises_a_timeline_and_sums_its_totals() {
        let text = concat!(
            "{\"t\":0,\"sent\":3,\"completed\":3,\"ok\":2,\"failed\":1,\"codes\":{\"200\":2},\"net\":{\"refused\":1},\"dropped\":0,\"type\":\"second\"}\n",
            "\n",
            "{\"t_ms\":500,\"kind\":\"exec_start\",\"label\":\"echo\",\"type\":\"event\"}\n",
            "{\"t\":1,\"sent\":2,\"completed\":2,\"ok\":2,\"failed\":0,\"codes\":{\"200\":2},\"type\":\"second\"}\n",
            "{\"type\":\"future-kind\"}\n",
        );
        let Input::Load(report) = parse("t.jsonl", text).unwrap() else { panic!("not load") };
        assert_eq!(report.seconds.len(), 2);
        assert_eq!(report.events.len(), 1);
        assert_eq!((report.requests, report.ok, report.failed), (5, 4, 1));
        assert_eq!(report.net.get("refused"), Some(&1));
        assert_eq!(report.duration_s, 2.0);
    }

    #[test]
    fn a_timeline_header_and_summary_give_the_whole_report() {
        let header = concat!(
            "{\"type\":\"header\",\"schema_version\":1,\"schedule\":\"const(2,2s)\",",
            "\"targets\":[\"http://h/\"],\"thresholds\":[\"failed>0\"],",
            "\"started\":\"2026-11-19T12:05:09.250Z\",\"started_unix_ms\":1795089909250,",
            "\"planned_duration_s\":2.0}\n",
        );
        let seconds = concat!(
            "{\"type\":\"second\",\"t\":0,\"sent\":2,\"completed\":2,\"ok\":2,\"codes\":{\"200\":2}}\n",
            "{\"type\":\"second\",\"t\":1,\"sent\":2,\"completed\":1,\"ok\":1,\"codes\":{\"200\":1}}\n",
            "{\"type\":\"second\",\"t\":2,\"completed\":1,\"ok\":1,\"codes\":{\"200\":1}}\n",
        );
        // Cut short (no summary): the header names the run, the rate is over the schedule.
        let Input::Load(cut) = parse("t.jsonl", &format!("{header}{seconds}")).unwrap() else {
            panic!("not load")
        };
        assert_eq!((cut.schedule.as_str(), cut.targets.len()), ("const(2,2s)", 1));
        assert_eq!((cut.started_unix_ms, cut.requests, cut.rps), (1795089909250, 4, 2.0));
        assert!(cut.from_timeline);
        let summary = "{\"type\":\"summary\",\"schedule\":\"const(2,2s)\",\"requests\":4,\"rps\":2.0,\"latency_ms\":{\"p50\":1.5},\"failures\":[\"x\"]}\n";
        let text = format!("{header}{seconds}{summary}");
        let Input::Load(whole) = parse("t.jsonl", &text).unwrap() else { panic!("not load") };
        assert_eq!((whole.latency_ms.p50, whole.failures.len(), whole.seconds.len()), (1.5, 1, 3));
        assert!(!whole.from_timeline);
    }

    #[test]
    fn recognises_a_lab_result() {
        let text = r#"{"run_dir":"/x","scenarios":[{"name":"a","timeline":[{"t":0}],"events":[{"ms":1,"kind":"deleted"}]}]}"#;
        let Input::Lab(lab) = parse("result.json", text).unwrap() else { panic!("not lab") };
        assert_eq!(lab.scenarios[0].name, "a");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let bad = "{\"t\":0,\"type\":\"second\"}\n{\"t\": oops}\n";
        let message = parse("t.jsonl", bad).unwrap_err().to_string();
        assert!(message.contains("t.jsonl:2"), "{message}");
        let unknown = "{\"t\":0,\"type\":\"second\"}\n{\"hello\":1}\n";
        let message = parse("t.jsonl", unknown).unwrap_err().to_string();
        assert!(message.contains("t.jsonl:2") && message.contains("--timeline"), "{message}");
        let wrong_type = "{\"t\":\"zero\",\"type\":\"second\"}\n";
        let message = parse("t.jsonl", wrong_type).unwrap_err().to_string();
        assert!(
            message.contains("t.jsonl:1") && message.contains("bad second record"),
            "{message}"
        );
        assert!(parse("e.json", "  \n").unwrap_err().to_string().contains("empty"));
    }
}
