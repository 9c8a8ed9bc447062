//! LD016: a preStop hook runs a shell where `kill` was meant.
use super::{Ctx, Sink};

declare_rule! {
    /// A preStop hook runs `sh -SIGQUIT 1`, a shell where `kill` was meant: no signal is sent.
    ///
    /// `command: ["/bin/sh", "-SIGQUIT", "1"]` starts a shell with the option letters `-SIGQUIT`
    /// and the script file `1`. It sends no signal; it fails (or does nothing), the hook ends at
    /// once, and the container is stopped with its ordinary stop signal and no delay. The hook
    /// looks like a graceful-stop fix in review but does nothing — one of the "it didn't help"
    /// attempts in the articles this checker is built from.
    ///
    /// ### Before
    ///
    /// ```yaml
    /// preStop: {exec: {command: ["/bin/sh", "-SIGQUIT", "1"]}}
    /// ```
    ///
    /// ### After
    ///
    /// ```yaml
    /// preStop: {exec: {command: ["/bin/sh", "-c", "sleep 5 && kill -QUIT 1"]}}
    /// ```
    pub static RULE = { id: "LD016", name: "mistyped-kill", severity: Error, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for pod in ctx.pods {
        for c in &pod.containers {
            let (Some(hook), Some(pre_stop)) = (&c.hook, &c.container.pre_stop) else { continue };
            if !hook.mistyped_kill {
                continue;
            }
            sink.report_in(
                pod,
                pre_stop.span(),
                format!(
                    "preStop in container `{}` runs `{}` with a signal-like option: that starts a shell, it sends no signal; write `[\"/bin/sh\", \"-c\", \"sleep 5 && kill -QUIT 1\"]`",
                    c.container.name, hook.program
                ),
            );
        }
    }
}
