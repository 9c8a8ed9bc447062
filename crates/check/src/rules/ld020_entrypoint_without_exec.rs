//! LD020: an entrypoint script starts the server without `exec`, so the shell stays PID 1.
use super::{Ctx, Sink};
use crate::shell::basename;
use crate::source::Span;

declare_rule! {
    /// An entrypoint script starts supervisord, php-fpm, nginx or Apache without `exec`: the
    /// shell stays PID 1 and the stop signal never reaches the server.
    ///
    /// `ENTRYPOINT ["/docker-entrypoint.sh"]` makes the script PID 1. When its last step runs
    /// the server as a child (`supervisord -c /etc/supervisord.conf`, `php-fpm -F`) instead of
    /// replacing itself with it (`exec supervisord …`), the runtime's stop signal goes to the
    /// shell. A shell as PID 1 ignores SIGTERM and SIGQUIT it has no trap for, and does not pass
    /// them on; the server keeps serving until the grace period ends and the kubelet SIGKILLs
    /// everything, mid-request. LD008 says the same for inline `sh -c` scripts; this rule reads
    /// the script file.
    ///
    /// The script is found from the final stage's exec-form ENTRYPOINT (or CMD) and the `COPY`
    /// or `ADD` that puts it there, in the Dockerfile's directory or the two above (the usual
    /// build contexts), inside the scanned tree. Fires on the last foreground command that runs
    /// a server, when it is not `exec`ed (`nginx -t` and other one-shot flags are skipped).
    /// A server started before the script `exec`s something else (`php-fpm -D` or `php-fpm &`,
    /// then `exec nginx` or `exec "$@"`) is reported too: it runs outside PID 1, gets no stop
    /// signal and is SIGKILLed when the grace period ends.
    ///
    /// ### Before
    ///
    /// ```sh
    /// #!/bin/sh
    /// php artisan config:cache
    /// /usr/bin/supervisord -c /etc/supervisord.conf
    /// ```
    ///
    /// ### After
    ///
    /// ```sh
    /// #!/bin/sh
    /// php artisan config:cache
    /// exec /usr/bin/supervisord -c /etc/supervisord.conf
    /// ```
    pub static RULE = { id: "LD020", name: "entrypoint-without-exec", severity: Error, check: check };
}

/// Flags that make a server command a one-shot check, not the server.
const ONE_SHOT: &[&str] = &["-t", "-T", "-tt", "-v", "-V", "-s", "-i", "-m", "--test", "-h"];

/// A line that starts a server: its program, and whether it is `exec`ed. `background` lets
/// `server &` count (for a server left behind an `exec`).
pub(super) fn server_line(line: &str) -> Option<(&str, bool)> {
    server_line_in(line, false)
}

// Long because a small reader of shell scripts' control flow (functions, case arms, background
// jobs) in one loop.
fn server_line_in(line: &str, background: bool) -> Option<(&str, bool)> {
    let line = line.trim();
    let backgrounded = line.ends_with('&') && !line.ends_with("&&");
    if line.starts_with('#') || (backgrounded && !background) {
        return None;
    }
    let line = line.trim_end_matches('&').trim_end();
    let mut words = line.split_whitespace().filter(|w| !w.contains('=') || w.starts_with('-'));
    let mut first = words.next()?;
    let execs = first == "exec";
    if execs {
        first = words.next()?;
    }
    let program = basename(first.trim_matches(|c| c == '"' || c == '\''));
    let server = program == "supervisord"
        || program == "nginx"
        || program.starts_with("php-fpm")
        || program == "apache2-foreground";
    let rest: Vec<&str> = words.collect();
    // Apache in the foreground (`apache2 -D FOREGROUND`, `httpd -DFOREGROUND`); without it
    // Apache daemonizes, a different problem.
    let apache = matches!(program, "apache2" | "httpd")
        && rest.iter().any(|w| w.trim_start_matches("-D") == "FOREGROUND");
    ((server || apache) && !rest.iter().any(|w| ONE_SHOT.contains(w))).then_some((program, execs))
}

/// Whether a line hands PID 1 over: `exec PROGRAM …` (not `exec >file` redirections).
fn is_exec(line: &str) -> bool {
    line.trim().strip_prefix("exec ").is_some_and(|rest| {
        !rest.trim_start().starts_with(['<', '>', '2', '1']) && !rest.trim().is_empty()
    })
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let project = ctx.project;
    for script in &project.scripts {
        let source = project.sources.get(script.file);
        let lines = 1..=source.line_count();
        let last_exec = lines.clone().rev().find(|&n| is_exec(source.line_text(n)));
        let last_server = lines
            .clone()
            .rev()
            .find_map(|n| server_line_in(source.line_text(n), true).map(|found| (n, found)));
        let Some((line, (program, false))) = last_server else { continue };
        let backgrounded = server_line(source.line_text(line)).is_none();
        let message = match last_exec {
            // The shell hands PID 1 to something else; the server started before it is left
            // behind, in the background or daemonized, where no stop signal reaches it.
            Some(exec) if exec > line => format!("the entrypoint script starts `{program}` and then `exec`s another program (line {exec}): `{program}` runs outside PID 1, no stop signal reaches it, and it is SIGKILLed with its requests when the grace period ends; run both under a supervisor that forwards the signal (supervisord, s6, `lameduck run`)"),
            _ if backgrounded => continue,
            _ => format!("the entrypoint script runs `{program}` without `exec`: the shell stays PID 1, does not pass the stop signal on, and the server is SIGKILLed when the grace period ends; write `exec {program} …`"),
        };
        let start = source.line_start(line);
        let text = source.line_text(line);
        let lead = text.len() - text.trim_start().len();
        let dockerfile = &project.dockerfiles[script.dockerfile];
        sink.report(Span::new(script.file, start + lead, start + text.len()), message).with(
            dockerfile
                .parsed
                .final_stage()
                .and_then(|s| s.entrypoint.as_ref().or(s.cmd.as_ref()))
                .map(|c| Span::new(dockerfile.file, c.range.start, c.range.end)),
            "runs the script as PID 1",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_lines() {
        assert_eq!(
            server_line("/usr/bin/supervisord -c /etc/s.conf"),
            Some(("supervisord", false))
        );
        assert_eq!(server_line("  exec php-fpm8.2 -F"), Some(("php-fpm8.2", true)));
        assert_eq!(server_line("nginx -t"), None);
        assert_eq!(server_line("php-fpm -D &"), None);
        assert_eq!(server_line("APP_ENV=prod nginx -g 'daemon off;'"), Some(("nginx", false)));
        assert_eq!(server_line("# nginx"), None);
        assert_eq!(server_line("apache2 -D FOREGROUND"), Some(("apache2", false)));
        assert_eq!(server_line("exec /usr/sbin/httpd -DFOREGROUND"), Some(("httpd", true)));
        assert_eq!(server_line("httpd -k start"), None);
        assert_eq!(server_line_in("php-fpm -D &", true), Some(("php-fpm", false)));
        assert!(is_exec("exec \"$@\"") && !is_exec("exec >/dev/null 2>&1"));
    }
}
