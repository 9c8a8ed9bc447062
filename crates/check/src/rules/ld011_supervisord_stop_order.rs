//! LD011: supervisord stops php-fpm before (or together with) nginx.
use super::{Ctx, Sink};
use crate::role::Role;

declare_rule! {
    /// supervisord can stop php-fpm before nginx.
    ///
    /// supervisord starts programs in ascending `priority` (default 999) and stops them in the
    /// reverse order, waiting for each to exit. php-fpm must stop *after* nginx, or nginx proxies
    /// to a php-fpm that is gone and answers 502: give php-fpm a lower priority number than nginx.
    /// Equal priorities leave the order to supervisord's internals, so they are reported too.
    ///
    /// ### Before
    ///
    /// ```ini
    /// [program:nginx]
    /// command=nginx -g 'daemon off;'
    /// priority=5
    /// [program:php-fpm]
    /// command=php-fpm -F
    /// priority=10
    /// ```
    ///
    /// ### After
    ///
    /// ```ini
    /// [program:php-fpm]
    /// command=php-fpm -F
    /// priority=5
    /// [program:nginx]
    /// command=nginx -g 'daemon off;'
    /// priority=10
    /// ```
    pub static RULE = { id: "LD011", name: "supervisord-stop-order", severity: Error, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for config in &ctx.project.supervisord {
        let of = |role| config.programs.iter().find(|p| p.server() == Some(role));
        let (Some(fpm), Some(nginx)) = (of(Role::PhpFpm), of(Role::Nginx)) else { continue };
        let (fp, np) = (fpm.priority.0, nginx.priority.0);
        if fp < np {
            continue;
        }
        let relation =
            if fp == np { "the same priority as" } else { "a higher priority number than" };
        sink.report(
            fpm.priority.1.unwrap_or(fpm.header),
            format!(
                "[program:{}] (php-fpm, priority {fp}) has {relation} [program:{}] (nginx, priority {np}); supervisord stops higher numbers first, so php-fpm can stop while nginx still proxies to it; give php-fpm a lower priority number than nginx",
                fpm.name, nginx.name
            ),
        )
        .with(Some(nginx.priority.1.unwrap_or(nginx.header)), "nginx's priority");
    }
}
