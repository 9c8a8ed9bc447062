//! Tests of config resolution: file, environment/flags precedence, and validation.
use super::*;
use std::io::Write;

fn with_file(text: &str) -> (tempfile::NamedTempFile, Overrides) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let overrides = Overrides { config: Some(file.path().to_path_buf()), ..Overrides::default() };
    (file, overrides)
}

#[test]
fn file_defines_processes_and_flags_override_it() {
    let (_file, mut overrides) = with_file(
        r#"
grace_period = 20
drain = "fixed:3s"
[[process]]
name = "fpm"
command = "php-fpm8.2 -F"
stop_timeout = "15s"
[[process]]
name = "web"
command = ["nginx", "-g", "daemon off;"]
forward = { HUP = "HUP", USR2 = "none" }
"#,
    );
    overrides.grace_period = Some(Duration::from_secs(45));
    let settings = Settings::resolve(&overrides).unwrap();
    assert_eq!(settings.grace_period, Duration::from_secs(45));
    assert_eq!(settings.drain, DrainSpec::Fixed(Duration::from_secs(3)));
    assert_eq!(settings.processes[0].stop_signal, Signal::SIGQUIT);
    assert_eq!(settings.processes[0].stop_timeout, Some(Duration::from_secs(15)));
    assert_eq!(settings.processes[1].forward[&Signal::SIGUSR2], None);
    // nginx started last, so it stops first.
    assert_eq!(settings.stop_order().unwrap(), vec![1, 0]);
}

#[test]
fn stop_after_reorders_the_stop() {
    let (_file, overrides) = with_file(
        r#"
[[process]]
name = "web"
command = "nginx"
[[process]]
name = "fpm"
command = "php-fpm -F"
stop_after = ["web"]
"#,
    );
    let settings = Settings::resolve(&overrides).unwrap();
    assert_eq!(settings.stop_order().unwrap(), vec![0, 1]);
}

#[test]
fn errors_name_the_file_and_line() {
    let (file, overrides) = with_file("grace_period = 30\n[[process]]\nnmae = \"x\"\n");
    let message = Settings::resolve(&overrides).unwrap_err().to_string();
    assert!(message.contains(&file.path().display().to_string()), "{message}");
    assert!(message.contains("line 3"), "{message}");
}

#[test]
fn cycles_and_unknown_names_are_rejected() {
    let (_file, overrides) = with_file(
        r#"
[[process]]
name = "a"
command = "x"
stop_after = ["b"]
[[process]]
name = "b"
command = "y"
stop_after = ["a"]
"#,
    );
    assert!(Settings::resolve(&overrides).unwrap_err().to_string().contains("cycle"));
    let overrides = Overrides {
        command: vec!["sleep".into(), "1".into()],
        stop_signals: vec![(Some("nope".into()), Signal::SIGINT)],
        ..Overrides::default()
    };
    assert!(Settings::resolve(&overrides).unwrap_err().to_string().contains("nope"));
}

#[test]
fn a_command_gets_known_defaults() {
    let overrides = Overrides { command: vec!["/usr/sbin/nginx".into()], ..Overrides::default() };
    let settings = Settings::resolve(&overrides).unwrap();
    let process = &settings.processes[0];
    assert_eq!(process.name, "nginx");
    assert_eq!(process.stop_signal_origin, SignalOrigin::KnownProgram(Program::Nginx));
    assert_eq!(settings.budget(), Duration::from_secs(28));
}

#[test]
fn wrongly_shaped_durations_and_commands_say_what_to_write() {
    let cases = [
        ("# a comment\ngrace_period = -5\n", "line 2: grace_period: -5 is negative"),
        ("safety_margin = -0.5\n", "line 1: safety_margin: -0.5 is negative"),
        (
            "[[process]]\nname = \"a\"\ncommand = \"x\"\nstop_timeout = -3\n",
            "line 4: process \"a\": stop_timeout: -3 is negative",
        ),
        ("grace_period = true\n", "expected a duration"),
        ("[[process]]\nname = \"a\"\ncommand = 5\n", "expected a command"),
    ];
    for (text, expected) in cases {
        let (_file, overrides) =
            with_file(&format!("{text}[[process]]\nname = \"b\"\ncommand = \"y\"\n"));
        let message = Settings::resolve(&overrides).unwrap_err().to_string();
        assert!(message.contains(expected), "{text:?} gave: {message}");
        assert!(!message.contains("variant"), "{text:?} gave: {message}");
        assert!(!message.contains("Value"), "{text:?} names an internal type: {message}");
    }
    let (_file, overrides) = with_file("[[process]]\nname = \"a\"\ncommand = \"x\"\n");
    let (_file, mut with_fraction) = with_file("grace_period = 1.5\n");
    with_fraction.processes = vec![(None, "x".into())];
    assert!(Settings::resolve(&overrides).is_ok());
    assert_eq!(
        Settings::resolve(&with_fraction).unwrap().grace_period,
        Duration::from_millis(1500)
    );
}
