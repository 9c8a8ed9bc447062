//! LD010: supervisord's `stopwaitsecs` is shorter than the server's drain.
use super::{Ctx, Sink};
use crate::duration::show;
use crate::project::ConfigRef;
use crate::role::Role;

declare_rule! {
    /// supervisord's `stopwaitsecs` is shorter than the time php-fpm or nginx needs to drain.
    ///
    /// After sending `stopsignal`, supervisord waits `stopwaitsecs` (default 10) for the program
    /// to exit, then sends SIGKILL. If php-fpm's `process_control_timeout` (or nginx's
    /// `worker_shutdown_timeout`) is longer, the graceful stop is cut short and the slow requests
    /// it was meant to protect are killed. The drain is read from php-fpm and nginx configs in
    /// the same directory or ConfigMap as the supervisord config.
    ///
    /// ### Before
    ///
    /// ```ini
    /// [program:php-fpm]
    /// command=php-fpm -F
    /// stopsignal=QUIT
    /// ; php-fpm.conf: process_control_timeout = 20s
    /// ```
    ///
    /// ### After
    ///
    /// ```ini
    /// [program:php-fpm]
    /// command=php-fpm -F
    /// stopsignal=QUIT
    /// stopwaitsecs=25
    /// ```
    pub static RULE = { id: "LD010", name: "supervisord-stopwaitsecs", severity: Error, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let project = ctx.project;
    let groups = project.configs_by_group();
    for (i, config) in project.supervisord.iter().enumerate() {
        let Some(group) = project.groups.get(&ConfigRef::Supervisord(i)) else { continue };
        let siblings = groups.get(group.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let pct = siblings.iter().find_map(|r| match r {
            ConfigRef::PhpFpm(j) => project.fpm[*j].process_control_timeout,
            _ => None,
        });
        let wst = siblings.iter().find_map(|r| match r {
            ConfigRef::Nginx(j) => project.nginx[*j].worker_shutdown_timeout,
            _ => None,
        });
        for program in &config.programs {
            let (drain, name) = match program.server() {
                Some(Role::PhpFpm) => (pct, "process_control_timeout"),
                Some(Role::Nginx) => (wst, "worker_shutdown_timeout"),
                // server() gives only nginx and php-fpm.
                Some(Role::Apache | Role::Caddy) | None => continue,
            };
            let Some((drain, drain_span)) = drain else { continue };
            let (wait, span) =
                program.stop_wait_secs.map_or((10.0, program.header), |(w, s)| (w, s));
            if wait >= drain {
                continue;
            }
            let default = if program.stop_wait_secs.is_none() { " (the default)" } else { "" };
            sink.report(
                span,
                format!(
                    "[program:{}] has stopwaitsecs {}{default} but its {name} is {}: supervisord SIGKILLs it before the requests finish; set stopwaitsecs to at least {}",
                    program.name,
                    show(wait),
                    show(drain),
                    (drain.ceil() as i64) + 1
                ),
            )
            .with(Some(drain_span), name);
        }
    }
}
