//! LD018: a Dockerfile installs the distribution's nginx and runs it with no STOPSIGNAL.
use super::packages::{installs, is_nginx_package};
use super::{Ctx, Sink};
use crate::pods::{self, Links, Pid1, Role};
use crate::source::Span;

declare_rule! {
    /// A Dockerfile installs Debian's or Alpine's nginx and runs it without `STOPSIGNAL SIGQUIT`.
    ///
    /// The official `nginx` image sets `STOPSIGNAL SIGQUIT`; an image that installs nginx with
    /// `apt-get install nginx` or `apk add nginx` on `debian`, `ubuntu` or `alpine` inherits no
    /// stop signal, so Docker and Kubernetes stop it with SIGTERM: nginx's fast shutdown, which
    /// closes every connection at once and drops the requests in flight. LD001 says the same for
    /// a container a scanned manifest runs; this rule covers the Dockerfile alone (a repository
    /// without manifests, or whose manifests are generated elsewhere).
    ///
    /// Fires when a Dockerfile's final image installs nginx with the package manager (in its own
    /// stages), runs `nginx` as PID 1 (ENTRYPOINT/CMD name it), and neither it nor its base image
    /// sets a graceful STOPSIGNAL, and no scanned workload runs the image (LD001 then reports it).
    /// supervisord, s6, tini/dumb-init rewriting and `lameduck run` as PID 1 are left to their
    /// own rules.
    ///
    /// ### Before
    ///
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// RUN apt-get update && apt-get install -y nginx
    /// CMD ["nginx", "-g", "daemon off;"]
    /// ```
    ///
    /// ### After
    ///
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// RUN apt-get update && apt-get install -y nginx
    /// STOPSIGNAL SIGQUIT
    /// CMD ["nginx", "-g", "daemon off;"]
    /// ```
    pub static RULE = { id: "LD018", name: "distro-nginx-stopsignal", severity: Error, check: check };
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let project = ctx.project;
    let links = Links::new(project);
    for (i, df) in project.dockerfiles.iter().enumerate() {
        let Some(last) = df.parsed.final_stage() else { continue };
        let install = df
            .parsed
            .stage_chain(last)
            .flat_map(|s| &s.runs)
            .find(|(run, _)| installs(run, is_nginx_package));
        let Some((_, install_range)) = install else { continue };
        if pods::dockerfile_in_use(ctx.pods, i) {
            continue;
        }
        let Some(facts) = pods::image_facts(project, &links, i) else { continue };
        if facts.stop_signal.as_ref().is_some_and(|s| !s.is_fast()) {
            continue;
        }
        if Role::of_words(&facts.argv) != Some(Role::Nginx) {
            continue;
        }
        if !matches!(pods::pid1_of(&facts.argv), Pid1::Program(_) | Pid1::Shell { .. }) {
            continue;
        }
        let signal = facts.stop_signal.as_ref().map_or("SIGTERM", |s| s.signal.as_str());
        let finding = sink.report(
            Span::new(df.file, install_range.start, install_range.end),
            format!("this image installs the distribution's nginx and runs it, but sets no graceful STOPSIGNAL: it is stopped with {signal}, nginx's fast shutdown, which drops in-flight requests; add `STOPSIGNAL SIGQUIT`"),
        );
        if let Some(cmd) = last.cmd.as_ref().or(last.entrypoint.as_ref()) {
            finding.with(Some(Span::new(df.file, cmd.range.start, cmd.range.end)), "runs nginx");
        }
    }
}
