//! LD008: a shell is PID 1 and will not pass the stop signal on.
use super::{Ctx, Sink};
use crate::parse::dockerfile::Form;
use crate::pods::Pid1;
use crate::shell::{basename, script_execs};

declare_rule! {
    /// A shell is PID 1 (shell-form CMD/ENTRYPOINT or `sh -c` wrapper) and will not forward the stop signal.
    ///
    /// `CMD nginx -g 'daemon off;'` (shell form) makes Docker run `/bin/sh -c "…"`, and the shell
    /// becomes PID 1 with nginx as its child. The same happens with `command: ["sh", "-c", "…"]`
    /// in a pod. The stop signal goes to the shell, which does not pass it on (and, as PID 1,
    /// ignores SIGTERM and SIGQUIT it has no handler for); the server never hears it and is
    /// SIGKILLed when the grace period ends, mid-request. Use exec form, or end the script with
    /// `exec` so the server replaces the shell.
    ///
    /// Checked: the final stage's CMD and ENTRYPOINT of each Dockerfile, and the `command` of pod
    /// containers. A script counts as handing over when its last command starts with `exec`, or
    /// when bash runs a single simple command (bash execs it; dash does not). A pod container
    /// whose preStop is `lameduck prestop --pidfile FILE` is not reported: the hook signals the
    /// server itself, by its pidfile, and waits for it to exit, so the shell's deafness does not
    /// matter. (Without `--pidfile`, `lameduck prestop` signals PID 1, the shell, and it is.)
    ///
    /// `apachectl` (Debian's `apache2ctl`) is such a shell: a `/bin/sh` script that runs
    /// `$HTTPD … "$@"` without `exec` (the official `php:*-apache` images avoid it for that
    /// reason: "it does not use "exec", which leaves an undesirable resident shell process").
    /// `CMD ["apachectl", "-D", "FOREGROUND"]` makes it PID 1, and no stop signal, SIGWINCH
    /// included, reaches Apache. Run Apache itself: `httpd -DFOREGROUND`, or on Debian
    /// `. /etc/apache2/envvars && exec apache2 -DFOREGROUND`.
    ///
    /// ### Before
    ///
    /// ```dockerfile
    /// CMD envsubst < /tpl > /etc/nginx/nginx.conf && nginx -g 'daemon off;'
    /// ```
    ///
    /// ### After
    ///
    /// ```dockerfile
    /// CMD ["/bin/sh", "-c", "envsubst < /tpl > /etc/nginx/nginx.conf && exec nginx -g 'daemon off;'"]
    /// ```
    pub static RULE = { id: "LD008", name: "shell-pid1", severity: Warning, check: check };
}

/// Whether `argv` starts `apachectl`, a shell script that keeps the stop signal from Apache.
fn is_apachectl(argv: &[String]) -> bool {
    argv.first().is_some_and(|p| matches!(basename(p), "apachectl" | "apache2ctl"))
}

/// Why `program` as PID 1 keeps the stop signal from Apache, and what to run instead.
fn apachectl_message(program: &str) -> String {
    format!("`{program}` is PID 1: it is a shell script that runs Apache without `exec`, so the stop signal (SIGWINCH included) stops at the shell and Apache is SIGKILLed at the end of the grace period; run Apache itself: `httpd -DFOREGROUND`, or on Debian `. /etc/apache2/envvars && exec apache2 -DFOREGROUND`")
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for df in &ctx.project.dockerfiles {
        let Some(stage) = df.parsed.final_stage() else { continue };
        let exec_words = |c: &Option<crate::parse::dockerfile::Command>| match c {
            Some(command) => match &command.form {
                Form::Exec(words) => Some((words.clone(), command.range.clone())),
                Form::Shell(_) => None,
            },
            None => Some((Vec::new(), 0..0)),
        };
        // ENTRYPOINT then CMD, exec form, is PID 1's argv; report at the one naming apachectl.
        if let (Some((entry, entry_range)), Some((cmd, cmd_range))) =
            (exec_words(&stage.entrypoint), exec_words(&stage.cmd))
        {
            let range = if entry.is_empty() { cmd_range } else { entry_range };
            let argv: Vec<String> = entry.into_iter().chain(cmd).collect();
            if is_apachectl(&argv) {
                let span = crate::source::Span::new(df.file, range.start, range.end);
                sink.report(span, apachectl_message(&argv[0]));
            }
        }
        for (what, command) in [("ENTRYPOINT", &stage.entrypoint), ("CMD", &stage.cmd)] {
            let Some(command) = command else { continue };
            let Form::Shell(text) = &command.form else { continue };
            if script_execs("sh", text) {
                continue;
            }
            // CMD is only an argument list when an exec-form ENTRYPOINT is set; still a shell.
            sink.report(
                crate::source::Span::new(df.file, command.range.start, command.range.end),
                format!("shell-form {what} makes `/bin/sh -c` PID 1: the stop signal goes to the shell, which does not forward it, and the server is SIGKILLed at the end of the grace period; use exec form, e.g. {what} [\"{}\", …]", text.split_whitespace().next().unwrap_or("")),
            );
        }
    }
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        for c in pod
            .containers
            .iter()
            .filter(|c| !c.container.plain_init && c.container.command.is_some())
        {
            if c.hook.as_ref().and_then(|h| h.lameduck()).is_some_and(|l| l.pidfile.is_some()) {
                continue;
            }
            let span = c.pid1_span.unwrap_or(c.container.span);
            if is_apachectl(&c.argv) {
                let message = apachectl_message(&c.argv[0]);
                sink.report_in(pod, span, format!("container `{}`: {message}", c.container.name));
                continue;
            }
            let Pid1::Shell { execs: false, script } = &c.pid1 else { continue };
            let first = script.split_whitespace().next().unwrap_or("the server");
            sink.report_in(
                pod,
                span,
                format!("container `{}` runs its server under `{}` as PID 1 without `exec`: the stop signal goes to the shell, which does not forward it; write `exec {first} …` as the script's last command", c.container.name, c.argv.first().map_or("sh", String::as_str)),
            );
        }
    }
}
