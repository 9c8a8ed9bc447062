//! LD019: s6 is PID 1 of an image with nginx or php-fpm, and nothing asks it for QUIT.
use super::packages::{installs, is_fpm_package, is_nginx_package};
use super::{Ctx, Sink};
use crate::image;
use crate::pods::{self, Links};
use crate::shell::basename;
use crate::source::Span;

declare_rule! {
    /// s6 (s6-overlay's `/init`, or `s6-svscan`) is PID 1 of an image with nginx or php-fpm, and
    /// the Dockerfile sets no STOPSIGNAL.
    ///
    /// When the container stops, s6 brings each service down with the signal in the service's
    /// `down-signal` file, SIGTERM when there is none: nginx's and php-fpm's fast shutdown, which
    /// drops the requests in flight, however the stop signal reaches s6 itself. Give the nginx and
    /// php-fpm services a `down-signal` file containing `SIGQUIT` (s6-overlay v3:
    /// `/etc/s6-overlay/s6-rc.d/NAME/down-signal`; v2 and plain s6: `/etc/services.d/NAME/` or the
    /// scan directory), and keep the grace period above their drain.
    ///
    /// Fires on a Dockerfile whose ENTRYPOINT or CMD starts `/init` or `s6-svscan` (directly, or
    /// by the last `exec` of the entrypoint script it copies in), whose image
    /// installs nginx or php-fpm (with the package manager, or from an official nginx or php-fpm
    /// base), with no STOPSIGNAL in its own stages. lameduck cannot see the service directories
    /// the image copies in: silence it with `# lameduck:ignore LD019 down-signal is SIGQUIT` on
    /// the ENTRYPOINT line once they say QUIT.
    ///
    /// ### Before
    ///
    /// ```dockerfile
    /// FROM php:8.3-fpm-alpine
    /// ADD s6-overlay-noarch.tar.xz /
    /// RUN apk add --no-cache nginx
    /// ENTRYPOINT ["/init"]
    /// ```
    ///
    /// ### After
    ///
    /// ```dockerfile
    /// FROM php:8.3-fpm-alpine
    /// ADD s6-overlay-noarch.tar.xz /
    /// RUN apk add --no-cache nginx
    /// RUN echo SIGQUIT > /etc/s6-overlay/s6-rc.d/nginx/down-signal \
    ///  && echo SIGQUIT > /etc/s6-overlay/s6-rc.d/php-fpm/down-signal
    /// ENTRYPOINT ["/init"]  # lameduck:ignore LD019 down-signal is SIGQUIT
    /// ```
    pub static RULE = { id: "LD019", name: "s6-stop-signal", severity: Warning, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let project = ctx.project;
    let links = Links::new(project);
    for (i, df) in project.dockerfiles.iter().enumerate() {
        let Some(last) = df.parsed.final_stage() else { continue };
        let chain: Vec<_> = df.parsed.stage_chain(last).collect();
        if chain.iter().any(|s| s.stop_signal.is_some()) {
            continue;
        }
        let Some(facts) = pods::image_facts(project, &links, i) else { continue };
        let is_s6 = |program: &str| program == "/init" || basename(program) == "s6-svscan";
        // s6 as PID 1 directly, or through the entrypoint script's last `exec`.
        let through_script = project
            .scripts
            .iter()
            .filter(|s| s.dockerfile == i)
            .find_map(|s| last_exec(&project.sources.get(s.file).text).filter(|p| is_s6(p)));
        let Some(first) = facts.argv.first().filter(|p| is_s6(p)).cloned().or(through_script)
        else {
            continue;
        };
        let installed = chain
            .iter()
            .flat_map(|s| &s.runs)
            .any(|(run, _)| installs(run, |p| is_nginx_package(p) || is_fpm_package(p)));
        let from_server =
            facts.root.as_ref().and_then(image::known).is_some_and(|k| k.server.is_some());
        if !(installed || from_server) {
            continue;
        }
        let command = last.entrypoint.as_ref().or(last.cmd.as_ref());
        let range = command.map_or(last.base_range.clone(), |c| c.range.clone());
        sink.report(
            Span::new(df.file, range.start, range.end),
            format!("`{first}` (s6) is PID 1 and stops its services with each one's `down-signal`, SIGTERM unless set: nginx and php-fpm stop fast and drop in-flight requests; write SIGQUIT into their `down-signal` files (and say so here with `# lameduck:ignore LD019`)"),
        );
    }
}

/// The program of a script's last `exec` line (`exec /usr/bin/s6-svscan /etc/services.d`).
fn last_exec(script: &str) -> Option<String> {
    script.lines().rev().map(str::trim).find_map(|line| {
        let mut words = line.strip_prefix("exec ")?.split_whitespace();
        words.find(|w| !w.contains('=') && !w.starts_with('-')).map(str::to_string)
    })
}
