//! LD001 on a Dockerfile alone: the image's own PID 1 is nginx or php-fpm, on a distribution base
//! that sets no STOPSIGNAL, and no scanned workload runs the image (LD001's pod check speaks for
//! it then).
use super::packages::{installs, is_nginx_package};
use super::{Ctx, Sink};
use crate::image::ImageRef;
use crate::pods::{self, Links, Pid1, Role};
use crate::source::Span;

/// Bases that are a distribution and nothing more: they set no STOPSIGNAL.
const DISTROS: &[&str] = &[
    "debian",
    "ubuntu",
    "alpine",
    "minideb",
    "centos",
    "rockylinux",
    "almalinux",
    "fedora",
    "amazonlinux",
    "ubi",
    "ubi8",
    "ubi9",
    "ubi-minimal",
    "busybox",
];

pub(super) fn is_distro(image: &ImageRef) -> bool {
    DISTROS.contains(&image.short_name().to_ascii_lowercase().as_str())
}

pub(super) fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let project = ctx.project;
    let links = Links::new(project);
    for (i, df) in project.dockerfiles.iter().enumerate() {
        let Some(last) = df.parsed.final_stage() else { continue };
        if pods::dockerfile_in_use(ctx.pods, i) {
            continue;
        }
        let Some(facts) = pods::image_facts(project, &links, i) else { continue };
        let Some(role) = Role::of_words(&facts.argv).filter(|r| r.stops_on_quit()) else {
            continue;
        };
        if !matches!(pods::pid1_of(&facts.argv), Pid1::Program(_) | Pid1::Shell { execs: true, .. })
        {
            continue; // supervisord, s6, init, lameduck and non-exec shells have their own rules
        }
        let signal = match &facts.stop_signal {
            Some(s) if s.is_fast() => s.signal.clone(),
            Some(_) => continue,
            None if facts.root.as_ref().is_some_and(is_distro) => "SIGTERM".to_string(),
            None => continue, // a base lameduck does not know may set one
        };
        let chain_installs_nginx = df
            .parsed
            .stage_chain(last)
            .flat_map(|s| &s.runs)
            .any(|(r, _)| installs(r, is_nginx_package));
        if role == Role::Nginx && chain_installs_nginx {
            continue; // LD018 reports the distribution's nginx
        }
        let Some(command) = last.cmd.as_ref().or(last.entrypoint.as_ref()) else { continue };
        let base = facts.root.as_ref().map_or(String::new(), ImageRef::name);
        sink.report(
            Span::new(df.file, command.range.start, command.range.end),
            format!("this image runs {role} as PID 1 on `{base}`, which sets no STOPSIGNAL, and sets none itself: it is stopped with {signal}, {role}'s fast shutdown, which drops in-flight requests; add `STOPSIGNAL SIGQUIT`", role = role.label()),
        );
    }
}
