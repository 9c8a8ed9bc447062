//! Start-up warnings: configurations that will drop requests or overrun the grace period.

use crate::config::Settings;
use crate::drain::{DrainSpec, STOP_RESERVE};
use crate::duration::seconds;
use crate::log::Logger;
use crate::phpfpm;
use crate::program::Program;

/// Every warning for `settings`, as sentences that say what to do.
pub fn startup_warnings(settings: &Settings) -> Vec<String> {
    let mut warnings = Vec::new();
    let stops = settings.stop_timeouts_total();
    // A drain without a max of its own fits by construction: it ends before the stops' reserve.
    let drain_max = settings.drain.max().unwrap_or_default();
    let needed = drain_max.saturating_add(stops);
    if needed > settings.budget() {
        warnings.push(format!(
            "drain max ({}s) plus stop timeouts ({}s) exceed the grace period minus the safety \
             margin ({}s); lameduck will cut the drain short and SIGKILL at the deadline. Raise \
             terminationGracePeriodSeconds and --grace-period, or lower them",
            seconds(drain_max),
            seconds(stops),
            seconds(settings.budget())
        ));
    }
    let reserve = stops.max(STOP_RESERVE);
    let watches = matches!(settings.drain, DrainSpec::Auto { .. });
    if watches && settings.drain.max().is_none() && settings.budget() <= reserve {
        warnings.push(format!(
            "the grace period minus the safety margin ({}s) leaves no time to drain once the \
             stops have their {}s; the load balancer will still route to the pod when it stops. \
             Raise terminationGracePeriodSeconds and --grace-period",
            seconds(settings.budget()),
            seconds(reserve)
        ));
    }
    for process in &settings.processes {
        match process.program {
            Program::Shell => warnings.push(format!(
                "process {:?} is a shell running a script: it will not pass the stop signal on \
                 to the programs it starts. Use `exec` in the script or list the programs as \
                 separate processes",
                process.name
            )),
            Program::PhpFpm => {
                let words = crate::program::program_words(&process.argv);
                warnings.extend(php_fpm_warnings(&process.name, &words))
            }
            Program::Nginx | Program::Apache | Program::Caddy | Program::Other => {}
        }
    }
    warnings
}

fn php_fpm_warnings(name: &str, argv: &[String]) -> Vec<String> {
    let mut warnings = Vec::new();
    if !argv.iter().any(|word| word == "-F" || word == "--nodaemonize") {
        warnings.push(format!(
            "process {name:?}: php-fpm without -F (--nodaemonize) may fork into the background \
             and look like it exited; add -F"
        ));
    }
    match phpfpm::read(argv) {
        Ok(config) if config.process_control_timeout.is_zero() => warnings.push(format!(
            "process {name:?}: {} has process_control_timeout = 0, so SIGQUIT kills busy \
             workers. lameduck waits for FastCGI connections to {} to finish before it signals \
             php-fpm; setting process_control_timeout makes php-fpm safe on its own too",
            config.path.display(),
            config.listens.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        )),
        Ok(_) => {}
        Err(error) => warnings.push(format!(
            "process {name:?}: cannot read php-fpm's config ({error}); lameduck cannot see \
             its FastCGI connections and will signal it without waiting for them"
        )),
    }
    warnings
}

/// Logs every start-up warning.
pub fn log_startup_warnings(settings: &Settings, log: &Logger) {
    for warning in startup_warnings(settings) {
        log.warn(&warning);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;
    use std::time::Duration;

    #[test]
    fn warns_about_shells_and_budgets() {
        let overrides = Overrides {
            command: vec!["sh".into(), "-c".into(), "nginx; php-fpm".into()],
            grace_period: Some(Duration::from_secs(5)),
            drain: Some("fixed:10s".parse().unwrap()),
            ..Overrides::default()
        };
        let warnings = startup_warnings(&Settings::resolve(&overrides).unwrap());
        assert!(warnings.iter().any(|w| w.contains("shell")), "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("exceed the grace period")), "{warnings:?}");
    }

    #[test]
    fn warns_when_the_default_drain_has_no_time_left() {
        let overrides = |grace| Overrides {
            command: vec!["nginx".into()],
            grace_period: Some(Duration::from_secs(grace)),
            ..Overrides::default()
        };
        let tight = startup_warnings(&Settings::resolve(&overrides(7)).unwrap());
        assert!(tight.iter().any(|w| w.contains("leaves no time to drain")), "{tight:?}");
        let enough = startup_warnings(&Settings::resolve(&overrides(30)).unwrap());
        assert!(enough.is_empty(), "{enough:?}");
    }

    #[test]
    fn warns_about_php_fpm_without_process_control_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("fpm.conf");
        std::fs::write(&config, "[global]\n[www]\nlisten = 127.0.0.1:9000\n").unwrap();
        let argv = vec!["php-fpm".into(), "-F".into(), "-y".into(), config.display().to_string()];
        let warnings = php_fpm_warnings("fpm", &argv);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("process_control_timeout = 0"));
        assert!(warnings[0].contains("tcp:9000"));
    }

    #[test]
    fn reads_php_fpm_flags_inside_the_script_a_shell_execs() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("fpm.conf");
        let text = "[global]\nprocess_control_timeout = 10s\n[www]\nlisten = 127.0.0.1:9000\n";
        std::fs::write(&config, text).unwrap();
        let script = format!("php-fpm -y {} -F", config.display());
        let overrides =
            Overrides { command: vec!["bash".into(), "-c".into(), script], ..Overrides::default() };
        let warnings = startup_warnings(&Settings::resolve(&overrides).unwrap());
        assert!(warnings.is_empty(), "-F and -y are inside the script: {warnings:?}");
    }
}
