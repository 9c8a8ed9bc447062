//! LD001 on a Dockerfile alone: the image's own PID 1 is nginx or php-fpm, on a distribution base
//! that sets no STOPSIGNAL, and no scanned workload runs the image (LD001's pod check speaks for
//! it then). [`unused_images`], the walk over such Dockerfiles, serves LD021 (Apache) too.
use super::packages::{installs, is_nginx_package};
use super::{Ctx, Sink};
use crate::image::ImageRef;
use crate::parse::dockerfile::Stage;
use crate::pods::{self, ImageFacts, Links, Pid1, Role};
use crate::shell::SignalSent;
use crate::source::{FileId, Span};

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

fn is_distro(image: &ImageRef) -> bool {
    DISTROS.contains(&image.short_name().to_ascii_lowercase().as_str())
}

/// The final image of a Dockerfile that no scanned workload runs, whose PID 1 is a server
/// (directly, or through a shell that `exec`s it) that is stopped with a signal wrong for it.
pub(super) struct UnusedImage<'p> {
    pub file: FileId,
    pub chain: Vec<&'p Stage>,
    pub role: Role,
    /// The signal it is stopped with: its STOPSIGNAL, or SIGTERM on a distribution base.
    pub signal: String,
    /// The image the chain ends in, by name.
    pub base: String,
    /// Where its ENTRYPOINT or CMD is.
    pub command: Span,
}

/// The signal an image is stopped with: its STOPSIGNAL, or SIGTERM on a distribution base. A
/// base lameduck does not know may set one: `None`.
pub(super) fn image_signal(facts: &ImageFacts) -> Option<String> {
    match &facts.stop_signal {
        Some(s) => Some(s.signal.clone()),
        None if facts.root.as_ref().is_some_and(is_distro) => Some("SIGTERM".to_string()),
        None => None,
    }
}

/// The images [`UnusedImage`] describes, for the servers and signals `wrong` accepts.
pub(super) fn unused_images<'p>(
    ctx: &Ctx<'p>,
    wrong: impl Fn(Role, &str) -> bool,
) -> Vec<UnusedImage<'p>> {
    let project = ctx.project;
    let links = Links::new(project);
    let mut out = Vec::new();
    for (i, df) in project.dockerfiles.iter().enumerate() {
        let Some(last) = df.parsed.final_stage() else { continue };
        if pods::dockerfile_in_use(ctx.pods, i) {
            continue;
        }
        let Some(facts) = pods::image_facts(project, &links, i) else { continue };
        let Some(role) = Role::of_words(&facts.argv) else { continue };
        if !matches!(pods::pid1_of(&facts.argv), Pid1::Program(_) | Pid1::Shell { execs: true, .. })
        {
            continue; // supervisord, s6, init, lameduck and non-exec shells have their own rules
        }
        let Some(signal) = image_signal(&facts).filter(|s| wrong(role, s)) else { continue };
        let Some(command) = last.cmd.as_ref().or(last.entrypoint.as_ref()) else { continue };
        out.push(UnusedImage {
            file: df.file,
            chain: df.parsed.stage_chain(last).collect(),
            role,
            signal,
            base: facts.root.as_ref().map_or(String::new(), ImageRef::name),
            command: Span::new(df.file, command.range.start, command.range.end),
        });
    }
    out
}

pub(super) fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let fast = |role: Role, signal: &str| {
        role.stops_on_quit() && matches!(SignalSent::parse(signal), SignalSent::Fast(_))
    };
    for image in unused_images(ctx, fast) {
        let chain_installs_nginx =
            image.chain.iter().flat_map(|s| &s.runs).any(|(r, _)| installs(r, is_nginx_package));
        if image.role == Role::Nginx && chain_installs_nginx {
            continue; // LD018 reports the distribution's nginx
        }
        sink.report(
            image.command,
            format!("this image runs {role} as PID 1 on `{base}`, which sets no STOPSIGNAL, and sets none itself: it is stopped with {signal}, {role}'s fast shutdown, which drops in-flight requests; add `STOPSIGNAL SIGQUIT`", role = image.role.label(), base = image.base, signal = image.signal),
        );
    }
}
