//! LD002 on a Dockerfile alone: an image whose own php-fpm.conf leaves `process_control_timeout`
//! at 0 (the official image's, the distribution's, or a `[global]` a `RUN` writes), reported when
//! no scanned workload runs the image (the container finding covers it then).
use std::ops::Range;

use super::packages::{installs, is_apache_package, is_fpm_package};
use super::{Ctx, Sink};
use crate::image;
use crate::parse::dockerfile::Stage;
use crate::pods::{self, Links, Pid1, Role};
use crate::project::{ConfigRef, Project};
use crate::source::Span;

/// Where the image gets the php-fpm.conf that leaves the timeout at 0.
enum Origin {
    /// `FROM php:*-fpm`: the span of that `FROM`.
    Official(Span),
    /// A package manager installs php-fpm: the span of the package's name.
    Package(Span),
    /// A `RUN` writes `[global]`: the span of that text.
    RunGlobal(Span),
}

pub(super) fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let project = ctx.project;
    let links = Links::new(project);
    for (i, df) in project.dockerfiles.iter().enumerate() {
        let Some(dir) = df.path.parent() else { continue };
        let Some(last) = df.parsed.final_stage() else { continue };
        if pods::dockerfile_in_use(ctx.pods, i) {
            continue;
        }
        let Some(facts) = pods::image_facts(project, &links, i) else { continue };
        if matches!(pods::pid1_of(&facts.argv), Pid1::Lameduck(_)) {
            continue;
        }
        let chain: Vec<&Stage> = df.parsed.stage_chain(last).collect();
        let runs = || chain.iter().flat_map(|s| &s.runs);
        let source = project.sources.get(df.file);
        if source.text.to_ascii_lowercase().contains("process_control_timeout") {
            // Written by a RUN (echo, sed), or an ENV (`PHP_FPM_PROCESS_CONTROL_TIMEOUT=10s`)
            // that a templated config reads: set, in a way not worth guessing at.
            continue;
        }
        let official = facts.root.as_ref().is_some_and(|r| {
            image::known(r)
                .is_some_and(|k| k.server == Some(image::Server::PhpFpm) && k.signal != "SIGTERM")
        });
        let find = |range: &Range<usize>, needle: &str| {
            let start = range.start;
            let text = source.text.get(start..instruction_end(&source.text, start))?;
            let at = text.find(needle)? + start;
            Some(Span::new(df.file, at, at + needle.len()))
        };
        let runs_fpm = Role::of_words(&facts.argv) == Some(Role::PhpFpm);
        let written = runs()
            .filter(|(run, _)| runs_fpm && run.contains("[global]"))
            .find_map(|(_, range)| find(range, "[global]"))
            .map(Origin::RunGlobal);
        // Apache with mod_php may install php-fpm without running it.
        let apache = runs().any(|(run, _)| installs(run, is_apache_package));
        let installed = || {
            runs().filter(|_| runs_fpm || !apache).find_map(|(run, range)| {
                let package = installed_fpm_package(run)?;
                find(range, &package).map(Origin::Package)
            })
        };
        let root = chain.last().unwrap_or(&last);
        let from =
            || official.then(|| Span::new(df.file, root.base_range.start, root.base_range.end));
        let Some(origin) = written.or_else(installed).or_else(|| from().map(Origin::Official))
        else {
            continue;
        };
        let beside = fpm_configs_beside(project, dir);
        let configs = beside.iter().map(|j| &project.fpm[*j]);
        if configs.clone().any(|f| f.global.is_some() || f.process_control_timeout.is_some()) {
            continue; // set, or a [global] reported on the config
        }
        let copies_fpm = chain.iter().flat_map(|s| &s.copies).any(|(_, dest)| dest.contains("fpm"));
        if beside.is_empty() && copies_fpm {
            continue; // a php-fpm config from outside the scanned files may set it
        }
        report(sink, project, origin, beside.first().copied());
    }
}

/// Where the instruction starting at `start` ends: after its last continuation line (`\` at the
/// end; comment and blank lines inside a continuation do not end it).
fn instruction_end(text: &str, start: usize) -> usize {
    let mut end = start;
    let mut continued = true;
    for line in text[start..].split_inclusive('\n') {
        let trimmed = line.trim();
        if !continued && !trimmed.is_empty() && !trimmed.starts_with('#') {
            break;
        }
        end += line.len();
        if !(trimmed.is_empty() || trimmed.starts_with('#')) {
            continued = trimmed.ends_with('\\');
        }
    }
    end
}

/// The php-fpm package a `RUN` installs (`php8.2-fpm`, `php83-fpm`, `php-fpm`), if any.
fn installed_fpm_package(run: &str) -> Option<String> {
    if !installs(run, is_fpm_package) {
        return None;
    }
    run.split_whitespace()
        .map(|w| w.split(['=', '>', '<', '~']).next().unwrap_or(w))
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .find(|w| is_fpm_package(w))
        .map(str::to_string)
}

/// php-fpm configs in the Dockerfile's directory (and the files they include).
fn fpm_configs_beside(project: &Project, dir: &std::path::Path) -> Vec<usize> {
    project
        .file_configs
        .iter()
        .filter(|(path, _)| path.starts_with(dir))
        .filter_map(|(_, c)| match c {
            ConfigRef::PhpFpm(j) => Some(*j),
            _ => None,
        })
        .flat_map(|j| std::iter::once(j).chain(project.includes.closure(j)))
        .collect()
}

fn report(sink: &mut Sink<'_>, project: &Project, origin: Origin, pool: Option<usize>) {
    const FIX: &str = "add a file with `[global]` and `process_control_timeout = 20s` (e.g. php-fpm.d/zz-shutdown.conf)";
    const EFFECT: &str = "so php-fpm kills busy workers as soon as it is asked to stop";
    let added = match pool {
        Some(j) => format!("adds only pool configs ({})", project.fpm[j].origin.label),
        None => "adds no php-fpm config".to_string(),
    };
    let (span, message) = match origin {
        Origin::Official(span) => (span, format!("this image is built on the official php-fpm image and {added}: its php-fpm.conf keeps process_control_timeout at 0, {EFFECT}; {FIX}")),
        Origin::Package(span) => (span, format!("this image installs the distribution's php-fpm and {added}: the packaged php-fpm.conf leaves process_control_timeout at 0, {EFFECT}; {FIX}")),
        Origin::RunGlobal(span) => (span, format!("this `[global]` section, written by a RUN, does not set process_control_timeout, and the image {added} that does: it is 0, {EFFECT}; write `process_control_timeout = 20s` after it")),
    };
    let finding = sink.report(span, message);
    if let Some(j) = pool {
        finding.with(Some(project.fpm[j].start), "pool config without [global]");
    }
}
