//! LD009: supervisord stops nginx or php-fpm with a signal other than QUIT.
use super::{Ctx, Sink};
use crate::shell::SignalSent;

declare_rule! {
    /// supervisord stops nginx or php-fpm with a signal other than QUIT.
    ///
    /// When nginx and php-fpm share one container under supervisord, supervisord (PID 1) stops
    /// each program with its `stopsignal`, which defaults to TERM: a fast shutdown for both
    /// servers, dropping in-flight requests. Set `stopsignal=QUIT` on both programs.
    ///
    /// ### Before
    ///
    /// ```ini
    /// [program:php-fpm]
    /// command=php-fpm -F
    /// ```
    ///
    /// ### After
    ///
    /// ```ini
    /// [program:php-fpm]
    /// command=php-fpm -F
    /// stopsignal=QUIT
    /// ```
    pub static RULE = { id: "LD009", name: "supervisord-stopsignal", severity: Error, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    for config in &ctx.project.supervisord {
        for program in &config.programs {
            let Some(role) = program.server() else { continue };
            let (signal, span) = match &program.stop_signal {
                Some((s, span)) => (s.clone(), *span),
                None => ("TERM (the default)".to_string(), program.header),
            };
            if program
                .stop_signal
                .as_ref()
                .is_some_and(|(s, _)| SignalSent::parse(s) == SignalSent::Quit)
            {
                continue;
            }
            sink.report(
                span,
                format!(
                    "supervisord stops [program:{}] ({}) with {signal}, a fast shutdown that drops in-flight requests; set stopsignal=QUIT",
                    program.name,
                    role.label()
                ),
            );
        }
    }
}
