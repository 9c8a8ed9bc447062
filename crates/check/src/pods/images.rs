//! Images and Dockerfiles: which scanned Dockerfile builds an image, and what an image built
//! from a Dockerfile stage (or a well-known base image) stops with and runs.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Link, Role, StopSignal};
use crate::image::{self, ImageRef, KnownSignal};
use crate::k8s::Container;
use crate::parse::dockerfile::{Form, Stage};
use crate::project::Project;
use crate::source::Span;

/// Links built once: images to Dockerfiles.
pub struct Links {
    declared: HashMap<String, usize>,
    by_directory: HashMap<String, Vec<usize>>,
    by_config: HashMap<String, usize>,
    by_compose: HashMap<String, usize>,
    by_path: HashMap<PathBuf, usize>,
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
        let by_image_path = |pairs: &mut dyn Iterator<Item = (&String, &PathBuf)>| {
            pairs
                .filter_map(|(image, path)| {
                    Some((ImageRef::parse(image).name(), *by_path.get(path)?))
                })
                .collect::<HashMap<_, _>>()
        };
        let by_config = by_image_path(&mut project.config.images.iter());
        let by_compose = by_image_path(&mut project.compose_images.iter().map(|(i, p)| (i, p)));
        Links { declared, by_directory, by_config, by_compose, by_path }
    }

    /// The Dockerfile that builds a container's image, and how we know: a
    /// `# lameduck:image=PATH` comment on (or right above) the `image:` line first.
    pub fn dockerfile_for_container(
        &self,
        project: &Project,
        container: &Container,
        image: &ImageRef,
    ) -> Option<(usize, Link)> {
        let linked = container.image.as_ref().and_then(|(_, span)| {
            let source = project.sources.get(span.file);
            let line = source.line_col(span.start).line;
            let path = [line, line.saturating_sub(1)]
                .into_iter()
                .filter(|l| *l > 0)
                .find_map(|l| image_comment(source.line_text(l)))?;
            let dir = Path::new(&source.path).parent().unwrap_or(Path::new("."));
            let resolved = std::fs::canonicalize(dir.join(path)).ok()?;
            self.by_path.get(&resolved).map(|&i| (i, Link::ManifestComment))
        });
        linked.or_else(|| self.dockerfile_for(image))
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
        if let Some(&i) = self.by_compose.get(&name) {
            return Some((i, Link::Compose));
        }
        if image::known(image).is_some() || image.repository == "php" {
            return None;
        }
        let short = image.short_name().to_ascii_lowercase();
        let unique = |name: &str| match self.by_directory.get(name).map(Vec::as_slice) {
            Some([only]) => Some(*only),
            _ => None,
        };
        if let Some(i) = unique(&short) {
            return Some((i, Link::Directory));
        }
        // `acme/local-fpm` is built by `docker/fpm/Dockerfile`: the last `-` or `_` part.
        let suffix = short.rsplit(['-', '_']).next().filter(|s| s.len() < short.len());
        // `acme/app:1.6-fpm-alpine` by `fpm-alpine/Dockerfile` or `fpm/Dockerfile`: the variant
        // in the tag, as the official images' repositories lay their Dockerfiles out.
        let variants = image.tag.as_deref().map(tag_variants).unwrap_or_default();
        suffix
            .and_then(unique)
            .or_else(|| variants.iter().find_map(|v| unique(v)))
            .map(|i| (i, Link::Directory))
    }
}

/// The variant a tag names after its version, with and without the distribution:
/// `latest-fpm-alpine` → `fpm-alpine`, `fpm`; `8.3-apache-bookworm` → `apache-bookworm`, `apache`.
fn tag_variants(tag: &str) -> Vec<String> {
    const DISTROS: &[&str] =
        &["alpine", "bookworm", "bullseye", "buster", "trixie", "slim", "jammy", "noble", "focal"];
    let words: Vec<String> = tag
        .to_ascii_lowercase()
        .split('-')
        .skip_while(|w| {
            w.starts_with(|c: char| c.is_ascii_digit()) || *w == "latest" || *w == "stable"
        })
        .map(str::to_string)
        .collect();
    let kept = words
        .iter()
        .rposition(|w| !DISTROS.iter().any(|d| w.starts_with(d)))
        .map_or(0, |last| last + 1);
    if kept == 0 {
        return Vec::new(); // a distribution alone (`alpine`) names no variant
    }
    let mut out = vec![words.join("-"), words[..kept].join("-")];
    out.dedup();
    out.retain(|v| !v.is_empty());
    out
}

/// The path in a `# lameduck:image=PATH` comment.
fn image_comment(line: &str) -> Option<&str> {
    let at = line.find("lameduck:image=")?;
    line[..at].contains('#').then_some(())?;
    line[at + "lameduck:image=".len()..].split_whitespace().next()
}

/// What an image built from a Dockerfile stage resolves to.
pub(super) struct Resolved {
    pub stop_signal: Option<StopSignal>,
    pub entrypoint: Option<(Vec<String>, Span)>,
    pub cmd: Option<(Vec<String>, Span)>,
    pub root: Option<ImageRef>,
    /// The role of what the image is built from (`Some(None)`: a known image that runs neither
    /// server).
    pub role: Option<Option<Role>>,
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
        Form::Exec(w) => w.clone(),
        Form::Shell(s) => vec!["/bin/sh".into(), "-c".into(), s.clone()],
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
            known: true,
        });
    }
    if let Some(ep) = &stage.entrypoint {
        resolved.entrypoint = Some((words(&ep.form), span(&ep.range)));
        resolved.cmd = None;
    }
    if let Some(cmd) = &stage.cmd {
        resolved.cmd = Some((words(&cmd.form), span(&cmd.range)));
    }
    let own_words: Vec<String> = [&resolved.entrypoint, &resolved.cmd]
        .into_iter()
        .flatten()
        .flat_map(|(w, _)| w.clone())
        .collect();
    resolved.role = Role::of_words(&own_words).map(Some).or(resolved.role);
    resolved
}

/// What is known about an image that no scanned Dockerfile builds.
pub(super) fn base_image(base: ImageRef) -> Resolved {
    let stop_signal = match image::known_stop_signal(&base) {
        KnownSignal::Known(signal, why) => {
            Some(StopSignal { signal: signal.into(), why, span: None, known: true })
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
    // linuxserver.io images run s6-overlay: their base sets `ENTRYPOINT ["/init"]`.
    let entrypoint = base
        .repository
        .starts_with("linuxserver/")
        .then(|| (vec!["/init".to_string()], Span::new(0, 0, 0)));
    Resolved {
        stop_signal,
        entrypoint,
        cmd: cmd.map(|c| (c, Span::new(0, 0, 0))),
        // A base the table does not know still says something by its name (`FROM acme/nginx`).
        role: Role::of_known_image(&base).or_else(|| Role::of_image(&base).map(Some)),
        root: Some(base),
    }
}

#[cfg(test)]
mod tests {
    use super::tag_variants;

    #[test]
    fn tag_variants_drop_the_version_and_the_distribution() {
        assert_eq!(tag_variants("latest-fpm-alpine"), ["fpm-alpine", "fpm"]);
        assert_eq!(tag_variants("1.6-apache"), ["apache"]);
        assert_eq!(tag_variants("8.3-fpm-alpine3.20"), ["fpm-alpine3.20", "fpm"]);
        assert!(tag_variants("1.25.3").is_empty());
        assert!(tag_variants("alpine").is_empty());
    }
}
