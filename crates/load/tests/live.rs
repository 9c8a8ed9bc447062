//! What `lameduck load` leaves on a terminal and in CI logs: on a pseudo-terminal, the lines an
//! `--exec-at` command prints and every failing second stay in the scrollback (only the status
//! line is redrawn); on a terminal or not, the run ends with its failure windows.
use std::process::Command;

use lameduck_testkit::terminal::{run_in_pty, Screen};
use lameduck_testkit::{free_port, Stack, StackOptions};

fn lameduck_load(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lameduck-load"));
    command.args(args).env_remove("NO_COLOR");
    command
}

#[test]
fn on_a_terminal_exec_output_and_failing_seconds_stay_and_failure_windows_end_the_run() {
    let mut stack = Stack::start(StackOptions::default()).unwrap();
    // The command prints a line, then stops nginx: failures from 1 s on, not before.
    let command = format!("echo exec-says-hello; kill {}", stack.nginx().pid());
    let url = stack.url("/ok");
    let run = lameduck_load(&[&url, "-s", "const(20,3s)", "--exec-at", "1s", &command]);
    let (status, output) = run_in_pty(run).unwrap();
    let screen = Screen::render(&output);
    let shown = screen.lines.join("\n");
    assert_eq!(status.code(), Some(0), "{shown}");
    assert!(screen.erased_finished_lines.is_empty(), "{:?}", screen.erased_finished_lines);
    assert!(screen.lines.iter().any(|l| l == "[exec 1s stdout] exec-says-hello"), "{shown}");
    assert!(screen.lines.iter().any(|l| l.starts_with("event t=1.") && l.contains("(exit 0)")));
    let failing_seconds: Vec<_> =
        screen.lines.iter().filter(|l| l.starts_with("t=") && l.contains(" × ")).collect();
    assert!(!failing_seconds.is_empty(), "no failing second logged:\n{shown}");
    assert!(!failing_seconds.iter().any(|l| l.starts_with("t=0s")), "{shown}");
    let heading = screen.lines.iter().position(|l| l == "failure windows:").expect(&shown);
    let window = &screen.lines[heading + 1];
    assert!(window.contains(" s: ") && window.contains(" × "), "{shown}");
    assert!(!window.trim_start().starts_with("0.0"), "failures began at 1 s: {shown}");
    // The status line (`3/3s ...`) was only ever drawn in place: it is not in the scrollback.
    assert!(!screen.lines.iter().any(|l| l.starts_with("3/3s")), "{shown}");
}

#[test]
fn off_a_terminal_one_line_per_second_then_the_failure_windows() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let (ok, closed) = (stack.url("/ok"), format!("http://127.0.0.1:{}/", free_port().unwrap()));
    // Round-robin: every other request goes to a closed port.
    let failing = lameduck_load(&[&ok, &closed, "-s", "const(20,2s)"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&failing.stderr);
    assert!(stderr.contains("t=0s sent=20") && stderr.contains("t=1s sent=20"), "{stderr}");
    assert!(stderr.contains("failure windows:\n  0.0–1.9 s: refused × 20\n"), "{stderr}");

    let clean = lameduck_load(&[&ok, "-s", "const(20,1s)"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&clean.stderr);
    assert!(stderr.contains("failure windows: no failures\n"), "{stderr}");
    let quiet = lameduck_load(&[&ok, "-s", "const(20,1s)", "-q"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("failure windows"));
}
