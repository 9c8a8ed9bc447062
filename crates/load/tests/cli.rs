//! The command line as users and CI run it: exit codes, JSON output, the timeline and raw
//! files, --exec-at events, Ctrl-C, and Yandex.Tank's load.yaml from the first article.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use lameduck_testkit::{Stack, StackOptions};

fn lameduck_load() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lameduck-load"))
}

fn output(args: &[&str]) -> Output {
    lameduck_load().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn exit_code_0_when_thresholds_pass_and_1_naming_the_one_crossed() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let ok = stack.url("/ok");
    let pass = output(&[&ok, "-s", "const(10,1s)", "--fail-on", "failed>0", "--fail-on", "p99>5s"]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass.stderr));
    assert!(text(&pass.stdout).contains("requests 10  ok 10  failed 0"), "{}", text(&pass.stdout));

    let bad = stack.url("/status.php?code=502");
    let fail = output(&[
        &bad,
        "-s",
        "const(10,1s)",
        "--fail-on",
        "http(5xx)>10%",
        "--fail-on",
        "net(any)>0",
    ]);
    assert_eq!(fail.status.code(), Some(1), "{}", text(&fail.stderr));
    let stdout = text(&fail.stdout);
    assert!(stdout.contains("http(5xx)>10%: FAILED (measured 100.000% (10 of 10))"), "{stdout}");
    assert!(stdout.contains("net(any)>0: passed"), "{stdout}");
    let stderr = text(&fail.stderr);
    assert!(stderr.contains("threshold FAILED: http(5xx)>10%"), "{stderr}");
    assert!(stdout.contains("codes    502=10"), "{stdout}");
}

#[test]
fn exit_code_2_and_the_offending_text_for_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let bad_yaml = dir.path().join("load.yaml");
    std::fs::write(&bad_yaml, "phantom:\n  address: h\n  load_profile: {load_type: instances}\n")
        .unwrap();
    let url = "http://127.0.0.1:9/";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![url, "-s", "const(10,5x)"], "unknown unit `x`"),
        (vec![url, "-s", "cosnt(10,5s)"], "unknown schedule `cosnt`"),
        (vec![url, "-s", "const(0,10s)"], "the schedule sends no requests"),
        (vec![url, "-s", "step(1,10000000,0.0000001,1s)"], "at most 10000 segments"),
        (vec![url, "-s", "const(1,1)", "--timeout", "11y"], "unknown unit `y`"),
        (vec![url, "-s", "const(1,1)", "--timeout", "99999999999"], "at most ten years"),
        (vec!["ftp://h/", "-s", "const(1,1)"], "`ftp://h/`: expected it to start with http://"),
        (vec![url, "-s", "const(1,1)", "-H", "NoColon"], "`NoColon`: expected `Name: value`"),
        (vec![url, "-s", "const(1,1)", "--fail-on", "p99>>1"], "p99>>1"),
        (vec![url, "-s", "const(1,1)", "--timeout", "soon"], "--timeout"),
        (vec![url, "-s", "const(1,1)", "--exec-at", "5s", "true"], "after the end of the schedule"),
        (vec!["--tank", bad_yaml.to_str().unwrap()], "load_type `instances` is not supported"),
        (vec![url], "no schedule given"),
        (vec!["-s", "const(1,1)"], "no target URL given"),
    ];
    for (args, message) in cases {
        let out = output(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(message), "{args:?}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("panicked"), "{args:?}");
        // Internal module paths (miette codes such as `lameduck::load::schedule`) never show.
        assert!(!text(&out.stderr).contains("lameduck::"), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn json_output_timeline_raw_and_exec_at_events() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (timeline, raw) = (dir.path().join("t.jsonl"), dir.path().join("raw.tsv"));
    let out = output(&[
        &stack.url("/ok"),
        "-s",
        "const(10,2s)",
        // The deprecated spelling of --format json still works, with a note.
        "--output",
        "json",
        "--timeline",
        timeline.to_str().unwrap(),
        "--raw",
        raw.to_str().unwrap(),
        "--exec-at",
        "1s",
        "echo from-exec",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("lameduck load: --output json is deprecated; use --format json"),
        "{}",
        text(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["requests", "ok", "failed", "codes", "net", "dropped", "latency_ms", "seconds"] {
        assert!(report.get(key).is_some(), "missing {key}: {report}");
    }
    assert!(report["schema_version"].as_u64().is_some_and(|v| v >= 1), "{report}");
    assert_eq!(report["requests"], 20);
    assert_eq!(report["codes"]["200"], 20);
    assert!(report["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    assert_eq!(report["targets"], serde_json::json!([stack.url("/ok")]));
    let events = report["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["exec_start", "exec_exit"], "{events:?}");
    assert_eq!(events[1]["exit_code"], 0);
    assert!(events[0]["t_ms"].as_u64().unwrap() >= 1000);
    assert_eq!(report["exec"][0]["status"], "exit 0", "{report}");
    assert_eq!(report["failures"], serde_json::json!([]), "{report}");
    // The command's own output reaches stderr, marked as its own.
    assert!(text(&out.stderr).contains("[exec 1s stdout] from-exec\n"), "{}", text(&out.stderr));

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&timeline)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seconds: Vec<_> = lines.iter().filter(|l| l["type"] == "second").collect();
    assert_eq!(seconds.len(), report["seconds"].as_array().unwrap().len());
    assert_eq!(seconds[0]["sent"], 10);
    assert_eq!(lines.iter().filter(|l| l["type"] == "event").count(), 2);

    let raw = std::fs::read_to_string(&raw).unwrap();
    assert_eq!(raw.lines().count(), 20);
    for line in raw.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 5, "{line}");
        assert!(fields[0].parse::<f64>().unwrap() > 1.7e9, "{line}");
        assert_eq!(fields[2], "200", "{line}");
    }
}

#[test]
fn a_failed_exec_at_command_fails_the_run_and_its_output_is_shown() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let command = "lameduck-no-such-command --context nope scale deploy web --replicas=1";
    let run = |extra: &[&str]| {
        let url = stack.url("/ok");
        let mut args = vec![&url[..], "-s", "const(20,2s)", "--exec-at", "1s", command];
        args.extend_from_slice(&["--fail-on", "failed>0", "--format", "json"]);
        args.extend_from_slice(extra);
        output(&args)
    };
    let out = run(&[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("--exec-at 1s `{command}` failed: exit 127")), "{stderr}");
    // The shell's own complaint is not lost.
    assert!(stderr.contains("[exec 1s stderr] ") && stderr.contains("not found"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failed"], 0, "{report}");
    assert_eq!(report["exec"][0]["succeeded"], false, "{report}");
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{report}");
    assert!(failures[0].as_str().unwrap().contains("exit 127"), "{report}");

    let allowed = run(&["--exec-may-fail"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
    let report: serde_json::Value = serde_json::from_slice(&allowed.stdout).unwrap();
    assert_eq!(
        (report["exec_may_fail"].clone(), report["failures"].clone()),
        (true.into(), serde_json::json!([]))
    );
}

#[test]
fn a_report_from_the_timeline_is_the_report_from_json() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let timeline = dir.path().join("t.jsonl");
    let out = output(&[
        &stack.url("/ok"),
        "-s",
        "line(10,50,2s) const(30,1s)",
        "--fail-on",
        "p99>10s",
        "--exec-at",
        "500ms",
        "true",
        "--format",
        "json",
        "--timeline",
        timeline.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    let timeline_text = std::fs::read_to_string(&timeline).unwrap();
    let header: serde_json::Value =
        serde_json::from_str(timeline_text.lines().next().unwrap()).unwrap();
    assert_eq!(header["type"], "header", "{header}");
    assert_eq!(header["schema_version"], 2, "{header}");
    assert_eq!(header["schedule"], "line(10,50,2s) const(30,1s)", "{header}");
    assert_eq!(header["thresholds"], serde_json::json!(["p99>10s"]), "{header}");
    assert_eq!(header["targets"], serde_json::json!([stack.url("/ok")]), "{header}");
    assert!(header["started"].as_str().unwrap().ends_with('Z'), "{header}");
    assert!(!header["version"].as_str().unwrap().is_empty(), "{header}");

    // Both outputs read strictly into the one schema (every field present, none renamed), and
    // writing them back gives exactly what was read: nothing is dropped or defaulted.
    use lameduck_core::schema::{LoadReport, TimelineLine, TIMELINE_SCHEMA_VERSION};
    let from_json: LoadReport = serde_json::from_str(&json).unwrap();
    assert_eq!(
        serde_json::to_value(&from_json).unwrap(),
        serde_json::from_str::<serde_json::Value>(&json).unwrap()
    );
    assert_eq!(from_json.schema_version, TIMELINE_SCHEMA_VERSION);
    assert!(from_json.latency_ms.p50 > 0.0 && from_json.rps > 0.0, "{from_json:?}");
    assert_eq!(from_json.thresholds.len(), 1);
    let (mut seconds, mut events, mut summary) = (Vec::new(), Vec::new(), None);
    for line in timeline_text.lines() {
        let record: TimelineLine = serde_json::from_str(line).unwrap();
        let written: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_value(&record).unwrap(), written, "{line}");
        match record {
            TimelineLine::Second(second) => seconds.push(second),
            TimelineLine::Event(event) => events.push(event),
            TimelineLine::Summary(report) => summary = Some(*report),
            TimelineLine::Header(_) => {}
            TimelineLine::Unknown => panic!("an unknown line: {line}"),
        }
    }
    let from_timeline = LoadReport { seconds, events, ..summary.expect("a summary record") };
    assert_eq!(from_timeline, from_json);
}

/// Starts the command, waits for its first per-second line on stderr, then sends SIGINT.
fn interrupt_after_first_second(mut command: Command) -> (Output, String) {
    let mut child: Child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut seen = String::new();
    loop {
        let line = lines_rx.recv_timeout(Duration::from_secs(30)).expect("no per-second line");
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("t=0s") {
            break;
        }
    }
    // SAFETY: kill(2) on our own child.
    unsafe { libc_kill(child.id() as i32, 2) };
    let out = child.wait_with_output().unwrap();
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(5)) {
        seen.push_str(&line);
        seen.push('\n');
    }
    (out, seen)
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, signal: i32) -> i32;
}

#[test]
fn ctrl_c_stops_cleanly_and_still_prints_the_summary() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let mut command = lameduck_load();
    command.args([&stack.url("/ok"), "-s", "const(20,10m)", "--format", "json"]);
    let (out, stderr) = interrupt_after_first_second(command);
    assert_eq!(out.status.code(), Some(130), "interrupted: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stopped_early"], true);
    assert!(report["requests"].as_u64().unwrap() >= 20, "{report}");
    assert_eq!(report["requests"], report["ok"], "{report}");
    assert_eq!(report["events"][0]["kind"], "stop");
}

#[test]
fn the_articles_tank_load_yaml_runs_with_only_its_address_changed() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let fixture = include_str!("fixtures/tank-article.yaml");
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("load.yaml");
    std::fs::write(&yaml, fixture.replace("ADDRESS", &format!("127.0.0.1:{}", stack.port())))
        .unwrap();
    let mut command = lameduck_load();
    command.args(["--tank", yaml.to_str().unwrap()]);
    let (out, stderr) = interrupt_after_first_second(command);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("warning: section `console` is ignored"), "{stderr}");
    assert!(stderr.contains("warning: section `telegraf` is ignored"), "{stderr}");
    assert!(stderr.contains("t=0s sent=100 "), "{stderr}");
    let summary = text(&out.stdout);
    assert!(summary.contains("(stopped early)") && summary.contains("failed 0"), "{summary}");
}

#[test]
fn method_host_header_and_body_reach_the_server() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let url = stack.url("/expect.php?method=POST&host=front.example&header=X-Test:yes&body=hello");
    let out = output(&[
        &url,
        "-s",
        "const(5,1s)",
        "-X",
        "POST",
        "--host",
        "front.example",
        "-H",
        "X-Test: yes",
        "--body",
        "hello",
    ]);
    assert!(text(&out.stdout).contains("codes    200=5\n"), "{}", text(&out.stdout));
    // The same expectations with a different body are refused by the script: the check bites.
    let out = output(&[
        &url,
        "-s",
        "const(5,1s)",
        "-X",
        "POST",
        "--host",
        "front.example",
        "--body",
        "x",
    ]);
    assert!(text(&out.stdout).contains("codes    417=5\n"), "{}", text(&out.stdout));
}

#[test]
fn uris_file_and_body_file() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (uris, body) = (dir.path().join("uris.txt"), dir.path().join("body.bin"));
    std::fs::write(&body, "from-file").unwrap();
    let second = stack.url("/status.php?code=201");
    std::fs::write(&uris, format!("# comment\n/expect.php?body=from-file\n\n{second}\n")).unwrap();
    let out = output(&[
        &stack.url("/"),
        "-s",
        "const(10,1s)",
        "-X",
        "PUT",
        "--uris-file",
        uris.to_str().unwrap(),
        "--body-file",
        body.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("codes    200=5 201=5\n"), "{}", text(&out.stdout));
    std::fs::write(&uris, "not a url\n").unwrap();
    let out = output(&[&stack.url("/"), "-s", "const(1,1)", "--uris-file", uris.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("uris.txt:1: `not a url` must be a URL"),
        "{}",
        text(&out.stderr)
    );
}

/// Processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(needle) {
                found.push(format!("{}: {cmdline}", entry.file_name().to_string_lossy()));
            }
        }
    }
    found
}

#[test]
fn an_exec_at_command_still_running_at_the_end_is_killed_with_its_children() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    // A duration no other process on the machine will be sleeping for.
    let marker = format!("86{}.5", std::process::id());
    let command = format!("sleep {marker}; echo never");
    let out = output(&[
        &stack.url("/ok"),
        "-s",
        "const(5,1s)",
        "--timeout",
        "1s",
        "--format",
        "json",
        "--exec-at",
        "0s",
        &command,
    ]);
    // Killed is a failure: the run fails, naming it.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("killed: still running when the run ended"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> =
        report["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["exec_start", "exec_killed"]);
    // SIGKILL is delivered asynchronously: allow the killed process a moment to vanish.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut left = processes_with(&format!("sleep {marker}"));
    while !left.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        left = processes_with(&format!("sleep {marker}"));
    }
    assert_eq!(left, Vec::<String>::new());
}

#[test]
fn the_standalone_binary_refuses_report_before_running() {
    // The HTML report is drawn by `lameduck-report`, which this crate does not depend on; the
    // `lameduck` binary passes it in (tested in the workspace's tests/load_report.rs).
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("run.html");
    let out =
        output(&["http://127.0.0.1:9/", "-s", "const(1,1s)", "--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--report needs the `lameduck` binary"),
        "{}",
        text(&out.stderr)
    );
    assert!(!report.exists());
}

#[test]
fn fast_errors_do_not_pull_the_ok_latency_down() {
    // Half the requests are slow OKs (php sleeps 200ms), half instant 502s from nginx: every
    // response's p50 is a 502's, the OK responses' p50 the sleep.
    let options = StackOptions {
        nginx_server: "location = /down { return 502; }".into(),
        ..StackOptions::default()
    };
    let stack = Stack::start(options).unwrap();
    let (slow, down) = (stack.url("/sleep.php?ms=200"), stack.url("/down"));
    let out = output(&[&slow, &down, "-s", "const(5,2s)", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["ok"].as_u64(), report["failed"].as_u64()), (Some(5), Some(5)), "{report}");
    let ok_p50 = report["latency_ok_ms"]["p50"].as_f64().unwrap();
    let all_p50 = report["latency_ms"]["p50"].as_f64().unwrap();
    assert!(ok_p50 >= 200.0, "OK p50 {ok_p50}ms: {report}");
    assert!(all_p50 < 150.0, "every response's p50 {all_p50}ms is a fast 502's: {report}");
    // Per second, the OK histogram holds exactly the OK responses.
    for second in report["seconds"].as_array().unwrap() {
        let count = |key: &str| -> u64 {
            second[key].as_array().map_or(0, |b| b.iter().map(|b| b[1].as_u64().unwrap()).sum())
        };
        assert_eq!(count("latency_ok_hist_us"), second["ok"].as_u64().unwrap(), "{second}");
        assert_eq!(count("latency_hist_us"), second["completed"].as_u64().unwrap(), "{second}");
    }
}

#[test]
fn a_result_that_cannot_be_written_is_an_error_and_a_closed_pipe_is_not() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let ok = stack.url("/ok");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let lost =
        lameduck_load().args([&ok, "-s", "const(5,1s)", "-q"]).stdout(full).output().unwrap();
    assert_eq!(lost.status.code(), Some(2), "{}", text(&lost.stderr));
    assert!(
        text(&lost.stderr).contains("cannot write the result to stdout"),
        "{}",
        text(&lost.stderr)
    );

    // A reader that stops early (`| head -c1`) is the reader's choice: the run's own exit code.
    let mut child = lameduck_load()
        .args([&ok, "-s", "const(5,1s)", "-q", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let closed = child.wait_with_output().unwrap();
    assert_eq!(closed.status.code(), Some(0), "{}", text(&closed.stderr));
}
