//! Which files the checker reads: kinds judged by name and content, and the walk over a
//! directory that collects them (and says which it will not read).
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::read::Skipped;
use crate::server_configs;

/// What a file is, judged by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Yaml,
    Dockerfile,
    Config,
}

pub(crate) fn kind_by_name(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name == "dockerfile"
        || name == "containerfile"
        || name.ends_with(".dockerfile")
        || (name.starts_with("dockerfile.") && !is_beside_a_dockerfile(&name))
    {
        return Some(FileKind::Dockerfile);
    }
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        return Some(FileKind::Yaml);
    }
    if name.ends_with(".conf")
        || name.ends_with(".ini")
        || name == "caddyfile"
        || name.ends_with(".caddyfile")
        || (name.starts_with("caddyfile.") && !is_beside_a_dockerfile(&name))
    {
        return Some(FileKind::Config);
    }
    None
}

/// Names that start like a Dockerfile's but are files kept beside one: BuildKit's per-Dockerfile
/// ignore file (`Dockerfile.dockerignore`, `web.Dockerfile.dockerignore`), notes, and editor or
/// patch leftovers. Read as Dockerfiles they would be parse errors or phantom images.
fn is_beside_a_dockerfile(lower_name: &str) -> bool {
    const SUFFIXES: &[&str] =
        &[".dockerignore", ".md", ".txt", ".orig", ".rej", ".bak", ".swp", "~"];
    SUFFIXES.iter().any(|s| lower_name.ends_with(s))
}

/// Directories never worth walking: version control, dependencies, caches and build output.
/// Other hidden directories are walked: `.github/docker/`, `.docker/` and `.examples/` often hold
/// the very Dockerfiles and configs that ship.
fn skip_dir(name: &str) -> bool {
    matches!(
        name,
        ".git"
            | ".hg"
            | ".svn"
            | ".cache"
            | ".idea"
            | ".vscode"
            | ".terraform"
            | ".venv"
            | ".tox"
            | ".npm"
            | ".yarn"
            | ".pnpm-store"
            | ".gradle"
            | ".next"
            | "target"
            | "node_modules"
            | "vendor"
            | "bower_components"
            | "__pycache__"
    )
}

/// The kind of a file named on the command line whose name does not say: its content's, or
/// none when it looks like neither a Dockerfile, a config nor a Kubernetes manifest.
pub(crate) fn sniff_file_kind(name: &str, text: &str) -> Option<FileKind> {
    if text.starts_with("#!") {
        return None; // a script
    }
    let kind = sniff_kind(name, text);
    (kind != FileKind::Yaml || has_manifest_keys(text)).then_some(kind)
}

/// Whether YAML text has a top-level `apiVersion:` or `kind:`: what every Kubernetes object
/// (and `kind: List`) has.
fn has_manifest_keys(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("apiVersion:") || l.starts_with("kind:"))
}

/// Whether a YAML file named on the command line is an input: a manifest (YAML or JSON) or a
/// docker-compose file. Others (a CI workflow, Helm values, an app's settings) are named as
/// skipped, unread.
pub(crate) fn is_yaml_input(text: &str) -> bool {
    has_manifest_keys(text)
        || text.contains("\"apiVersion\"") // a manifest written as JSON
        || text.lines().any(|l| l.starts_with("services:"))
}

/// Guesses the kind of a file whose name does not say (stdin, explicit odd names).
pub(crate) fn sniff_kind(name: &str, text: &str) -> FileKind {
    let first =
        text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
    let word = first.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    if word == "FROM"
        || (word == "ARG"
            && text.lines().any(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM ")))
    {
        return FileKind::Dockerfile;
    }
    if server_configs::sniff(name, text).is_some() && !text.contains("apiVersion:") {
        return FileKind::Config;
    }
    FileKind::Yaml
}

/// Collects the files under a directory that the checker reads, and says which it will not.
pub(crate) struct Walk<'a> {
    /// The canonical directory the user named: symlinks must resolve inside it.
    pub root: &'a Path,
    pub files: Vec<(PathBuf, FileKind)>,
    pub skipped: Vec<Skipped>,
}

impl Walk<'_> {
    /// Walks `dir`; `seen` holds the canonical directories walked, so symlinked directories
    /// (inside the root) are walked once and a symlink loop ends.
    pub fn dir(&mut self, dir: &Path, seen: &mut HashSet<PathBuf>) {
        if !std::fs::canonicalize(dir).is_ok_and(|c| seen.insert(c)) {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = if kind.is_symlink() {
                // Followed here only when it is a directory inside the root; files are checked
                // when read.
                let target = std::fs::canonicalize(&path).ok().filter(|c| c.is_dir());
                match target {
                    Some(target) if !target.starts_with(self.root) => {
                        let reason = format!(
                            "a symlink to {}, outside {}",
                            target.display(),
                            self.root.display()
                        );
                        self.skipped.push(Skipped { path: path.display().to_string(), reason });
                        continue;
                    }
                    target => target.is_some(),
                }
            } else {
                kind.is_dir()
            };
            if is_dir {
                if !skip_dir(&name) {
                    self.dir(&path, seen);
                }
            } else if let Some(file_kind) = kind_by_name(&path) {
                if kind.is_file() || kind.is_symlink() {
                    self.files.push((path, file_kind));
                } else {
                    let reason = "not a regular file (a FIFO, socket or device)".to_string();
                    self.skipped.push(Skipped { path: path.display().to_string(), reason });
                }
            }
        }
    }
}

/// The skipped-list note for a chart whose templates were not rendered, with why when known
/// (`helm` not on PATH, or what `helm template` said).
pub(crate) fn helm_note(chart: &str, count: usize, why: Option<&UnrenderedChart>) -> String {
    let templates = if count == 1 { "Helm template" } else { "Helm templates" };
    let run = format!("run `helm template {chart} | lameduck check -` to check them");
    match why {
        None => format!("{count} {templates} not rendered: {run}"),
        Some(UnrenderedChart::NoHelm) => {
            format!("{count} {templates} not rendered: {run} (`helm` is not on PATH)")
        }
        Some(UnrenderedChart::Failed(error)) => {
            format!("{count} {templates} not rendered: {error}")
        }
    }
}

/// Why a chart found in a walked directory was not rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UnrenderedChart {
    NoHelm,
    Failed(String),
}

/// Helm chart templates (YAML under `templates/` with `{{`) are not YAML until `helm template`
/// renders them.
pub(crate) fn is_helm_template(path: &Path, text: &str) -> bool {
    let in_templates = path.parent().and_then(|d| d.file_name()).is_some_and(|d| d == "templates");
    in_templates && text.contains("{{")
}
