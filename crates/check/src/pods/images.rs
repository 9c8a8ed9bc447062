//! Images and Dockerfiles: which scanned Dockerfile builds an image, and what an image built
//! from a Dockerfile stage (or a well-known base image) stops with and runs.
use std::collections::HashMap;

use super::{Link, Role, StopSignal};
use crate::image::{self, ImageRef, KnownSignal};
use crate::parse::dockerfile::{Form, Stage};
use crate::project::Project;
use crate::source::Span;

/// Links built once: images to Dockerfiles, services to pods.
pub struct Links {
    declared: HashMap<String, usize>,
    by_directory: HashMap<String, Vec<usize>>,
    by_config: HashMap<String, usize>,
}

impl Links {
    pub fn new(project: &Project) -> Links {
        let mut declared = HashMap::new();
        let mut by_directory: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_path = HashMap::new();
        for (i, df) in project.dockerfiles.iter().enumerate() {
            for name in &df.parsed.declared_images {
                declared.insert(ImageRef::parse(name).name(), i);
            }
            for name in df.heuristic_names() {
                by_directory.entry(name).or_default().push(i);
            }
            by_path.insert(df.path.clone(), i);
        }
        let by_config = project
            .config
            .images
            .iter()
            .filter_map(|(image, path)| Some((ImageRef::parse(image).name(), *by_path.get(path)?)))
            .collect();
        Links { declared, by_directory, by_config }
    }

    /// The Dockerfile that builds `image`, and how we know.
    pub fn dockerfile_for(&self, image: &ImageRef) -> Option<(usize, Link)> {
        let name = image.name();
        if let Some(&i) = self.by_config.get(&name) {
            return Some((i, Link::Config));
        }
        if let Some(&i) = self.declared.get(&name) {
            return Some((i, Link::Comment));
        }
        if image.is_official_nginx() || image.is_official_php_fpm() || image.repository == "php" {
            return None;
        }
        match self.by_directory.get(&image.short_name().to_ascii_lowercase()).map(Vec::as_slice) {
            Some([only]) => Some((*only, Link::Directory)),
            _ => None,
        }
    }
}

/// What an image built from a Dockerfile stage resolves to.
pub(super) struct Resolved {
    pub stop_signal: Option<StopSignal>,
    pub entrypoint: Option<(Vec<String>, Span, bool)>,
    pub cmd: Option<(Vec<String>, Span, bool)>,
    pub root: Option<ImageRef>,
    pub role: Option<Role>,
}

pub(super) fn resolve_stage(
    project: &Project,
    links: &Links,
    df: usize,
    stage: &Stage,
    depth: usize,
) -> Resolved {
    let entry = &project.dockerfiles[df];
    let span = |r: &std::ops::Range<usize>| Span::new(entry.file, r.start, r.end);
    let words = |form: &Form| match form {
        Form::Exec(w) => (w.clone(), false),
        Form::Shell(s) => (vec!["/bin/sh".into(), "-c".into(), s.clone()], true),
    };
    let mut resolved = if depth > 4 {
        Resolved { stop_signal: None, entrypoint: None, cmd: None, root: None, role: None }
    } else if let Some(parent) =
        entry.parsed.stage_named(&stage.base).filter(|p| !std::ptr::eq(*p, stage))
    {
        resolve_stage(project, links, df, parent, depth + 1)
    } else {
        let base = ImageRef::parse(&stage.base);
        match links.dockerfile_for(&base).filter(|(i, _)| *i != df) {
            Some((other, _)) => match project.dockerfiles[other].parsed.final_stage() {
                Some(last) => resolve_stage(project, links, other, last, depth + 1),
                None => base_image(base),
            },
            None => base_image(base),
        }
    };
    if let Some((signal, range)) = &stage.stop_signal {
        resolved.stop_signal = Some(StopSignal {
            signal: signal.clone(),
            why: format!("STOPSIGNAL in {}", project.sources.get(entry.file).path),
            span: Some(span(range)),
        });
    }
    if let Some(ep) = &stage.entrypoint {
        let (w, shell_form) = words(&ep.form);
        resolved.entrypoint = Some((w, span(&ep.range), shell_form));
        resolved.cmd = None;
    }
    if let Some(cmd) = &stage.cmd {
        let (w, shell_form) = words(&cmd.form);
        resolved.cmd = Some((w, span(&cmd.range), shell_form));
    }
    let own_words: Vec<String> = [&resolved.entrypoint, &resolved.cmd]
        .into_iter()
        .flatten()
        .flat_map(|(w, _, _)| w.clone())
        .collect();
    resolved.role = Role::of_words(&own_words).or(resolved.role);
    resolved
}

/// What is known about an image that no scanned Dockerfile builds.
pub(super) fn base_image(base: ImageRef) -> Resolved {
    let stop_signal = match image::known_stop_signal(&base) {
        KnownSignal::Known(signal, why) => {
            Some(StopSignal { signal: signal.into(), why, span: None })
        }
        KnownSignal::Unknown => None,
    };
    let cmd = if base.is_official_nginx() {
        Some(vec!["nginx".to_string(), "-g".into(), "daemon off;".into()])
    } else if base.is_official_php_fpm() {
        Some(vec!["php-fpm".to_string()])
    } else {
        None
    };
    Resolved {
        stop_signal,
        entrypoint: None,
        cmd: cmd.map(|c| (c, Span::new(0, 0, 0), false)),
        role: Role::of_image(&base),
        root: Some(base),
    }
}
