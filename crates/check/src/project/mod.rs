//! Reads the inputs (files, directories, stdin), parses each file once, and keeps everything the
//! rules need: Kubernetes objects, Dockerfiles, server configs, and parse failures.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::finding::ParseFailure;
use crate::helm;
mod includes;

use crate::k8s::{self, Objects};
use crate::parse::dockerfile::{self, Dockerfile};
use crate::parse::yaml::{self, HelmSection, Node, Value};
use crate::read::{self, Reach, ReadError, Skipped};
use crate::server_configs::{
    self, ApacheConfig, CaddyConfig, ConfigKind, FpmConfig, NginxConfig, Origin, Parsed,
    SupervisordConfig, TextMap,
};
use crate::settings::Settings;
use crate::source::{FileId, Sources, Span};
use crate::walk::{
    helm_note, is_helm_template, is_yaml_input, kind_by_name, sniff_file_kind, sniff_kind,
    FileKind, UnrenderedChart, Walk,
};
pub use includes::Includes;

/// A Dockerfile in the scanned tree.
#[derive(Debug)]
pub struct DockerfileEntry {
    pub file: FileId,
    /// Absolute path when it could be resolved (for `[images]` in `.lameduck-check.toml`).
    pub path: PathBuf,
    pub parsed: Dockerfile,
    /// The directory files it refers to (entrypoint scripts) must stay inside: the walked
    /// directory, or the Dockerfile's own when it was named. None for stdin and text.
    pub root: Option<PathBuf>,
}

/// An entrypoint script a Dockerfile copies in and runs as PID 1, read from the build context.
#[derive(Debug)]
pub struct EntrypointScript {
    /// Index in [`Project::dockerfiles`].
    pub dockerfile: usize,
    pub file: FileId,
}

impl DockerfileEntry {
    /// Names the heuristic link matches: the directory name, and `web` for `web.Dockerfile`.
    pub fn heuristic_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if let Some(file) = self.path.file_name().and_then(|f| f.to_str()) {
            let lower = file.to_ascii_lowercase();
            if let Some(prefix) = lower.strip_suffix(".dockerfile") {
                names.push(prefix.to_string());
            }
            if let Some(suffix) = lower.strip_prefix("dockerfile.") {
                names.push(suffix.to_string());
            }
        }
        if let Some(dir) = self.path.parent().and_then(|d| d.file_name()).and_then(|d| d.to_str()) {
            names.push(dir.to_ascii_lowercase());
        }
        names
    }
}

/// Which config a ConfigMap key or file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigRef {
    PhpFpm(usize),
    Nginx(usize),
    Supervisord(usize),
    Apache(usize),
    Caddy(usize),
}

/// Everything read in one run.
#[derive(Debug, Default)]
pub struct Project {
    pub sources: Sources,
    pub failures: Vec<ParseFailure>,
    pub objects: Objects,
    pub dockerfiles: Vec<DockerfileEntry>,
    pub fpm: Vec<FpmConfig>,
    pub nginx: Vec<NginxConfig>,
    pub supervisord: Vec<SupervisordConfig>,
    pub apache: Vec<ApacheConfig>,
    pub caddy: Vec<CaddyConfig>,
    /// (namespace, ConfigMap name) → (key, config) for each key holding a server config.
    pub config_map_configs: HashMap<(String, String), Vec<(String, ConfigRef)>>,
    /// Configs that are files, with the directory that groups them.
    pub file_configs: Vec<(PathBuf, ConfigRef)>,
    /// The group each config belongs to: its directory (`pool.d/` counts as its parent) or its
    /// ConfigMap. Settings are looked up across a group, as php-fpm's `include` joins them.
    pub groups: HashMap<ConfigRef, String>,
    /// php-fpm `include` directives, resolved against the scanned files and ConfigMap keys.
    pub includes: Includes,
    /// `# Source:` sections of helm output, per file.
    pub helm: HashMap<FileId, Vec<HelmSection>>,
    /// docker-compose services with `build:` and `image:`: image → Dockerfile path.
    pub compose_images: Vec<(String, PathBuf)>,
    /// Files deliberately not read (special files, symlinks out of the tree, too big, not a
    /// kind lameduck checks, Helm templates).
    pub skipped: Vec<Skipped>,
    /// Entrypoint scripts of the scanned Dockerfiles.
    pub scripts: Vec<EntrypointScript>,
    /// The walked directory while its files are read.
    reading_root: Option<PathBuf>,
    /// Helm charts whose templates were not rendered: chart directory → templates skipped.
    pub unrendered_charts: std::collections::BTreeMap<String, usize>,
    /// Why a chart found while walking was not rendered, by chart directory.
    unrendered_why: HashMap<String, UnrenderedChart>,
    /// The templates of the charts rendered here, by path as shown: where a finding in their
    /// output is looked for (see [`crate::location`]).
    pub templates: HashMap<String, String>,
    pub config: Settings,
}

/// An input path that does not exist or cannot be read: a usage error, not a finding.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {message}")]
pub struct InputError {
    pub path: String,
    pub message: String,
}

impl Project {
    /// Reads and parses every input.
    pub fn load(inputs: &[String], config: Settings) -> Result<Project, InputError> {
        let mut project = Project { config, ..Project::default() };
        for input in inputs {
            if input == "-" {
                let text = read::read_stdin()
                    .map_err(|e| InputError { path: "-".into(), message: e.to_string() })?;
                let kind = sniff_kind("-", &text);
                project.add_file("-".into(), text, kind, None);
                continue;
            }
            let path = Path::new(input);
            let meta = std::fs::metadata(path)
                .map_err(|e| InputError { path: input.clone(), message: e.to_string() })?;
            if meta.is_dir() {
                let root = std::fs::canonicalize(path)
                    .map_err(|e| InputError { path: input.clone(), message: e.to_string() })?;
                let mut walk = Walk { root: &root, files: Vec::new(), skipped: Vec::new() };
                walk.dir(path, &mut HashSet::new());
                walk.files.sort_by(|a, b| a.0.cmp(&b.0));
                project.skipped.append(&mut walk.skipped);
                project.reading_root = Some(root.clone());
                let charts = helm::charts(walk.files.iter().map(|(path, _)| path.as_path()));
                let rendered = project.render_charts(&charts, &root);
                for (file, kind) in walk.files {
                    if rendered.iter().any(|chart| helm::renders(chart, &file)) {
                        continue; // checked as rendered
                    }
                    project.read_file(&file, Some(kind), Reach::Walked { root: &root });
                }
                project.reading_root = None;
            } else if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(".dockerignore"))
            {
                // Named explicitly (`lameduck check deploy/*`): an ignore list, not an input.
                continue;
            } else {
                project.read_file(path, kind_by_name(path), Reach::Named);
            }
        }
        project.read_entrypoint_scripts();
        for (chart, count) in &project.unrendered_charts {
            let reason = helm_note(chart, *count, project.unrendered_why.get(chart));
            project.skipped.push(Skipped { path: chart.clone(), reason });
        }
        project.includes = includes::resolve(&project);
        Ok(project)
    }

    /// Parses text given directly (tests and fuzzing). `name` decides the kind as for files.
    pub fn from_text(name: &str, text: &str, config: Settings) -> Project {
        let mut project = Project { config, ..Project::default() };
        let kind = kind_by_name(Path::new(name)).unwrap_or_else(|| sniff_kind(name, text));
        project.add_file(name.into(), text.into(), kind, None);
        project.includes = includes::resolve(&project);
        project
    }

    fn read_file(&mut self, path: &Path, kind: Option<FileKind>, reach: Reach) {
        let shown = path.display().to_string();
        match read::read(path, reach) {
            Ok(read::Text { text, canonical }) => {
                if kind == Some(FileKind::Yaml) && is_helm_template(path, &text) {
                    self.skip_helm_template(path);
                    return;
                }
                let named = matches!(reach, Reach::Named);
                let not_input = named && kind == Some(FileKind::Yaml) && !is_yaml_input(&text);
                let Some(kind) =
                    kind.filter(|_| !not_input).or_else(|| sniff_file_kind(&shown, &text))
                else {
                    // Named on the command line (a pre-commit run over changed files passes
                    // scripts and templates too): said, not an "invalid YAML" error.
                    let reason = "not a Kubernetes manifest, Dockerfile or server config".into();
                    self.skipped.push(Skipped { path: shown, reason });
                    return;
                };
                self.add_file(shown, text, kind, Some(canonical));
            }
            Err(ReadError::Skip(reason)) => self.skipped.push(Skipped { path: shown, reason }),
            Err(ReadError::Fail(message)) => {
                let file = self.sources.add(shown, String::new());
                self.failures.push(ParseFailure {
                    span: Span::new(file, 0, 0),
                    message,
                    unreadable: true,
                });
            }
        }
    }

    /// Renders each chart with `helm template` (when on and found) and adds its output; returns
    /// the charts rendered. A chart that is not is said in the skipped list, with why.
    fn render_charts(&mut self, charts: &[PathBuf], root: &Path) -> Vec<PathBuf> {
        let mut rendered = Vec::new();
        if charts.is_empty() || !self.config.helm.render {
            return rendered;
        }
        let Some(program) = self.config.helm.program() else {
            for chart in charts {
                self.unrendered_why.insert(chart.display().to_string(), UnrenderedChart::NoHelm);
            }
            return rendered;
        };
        let values = self.config.helm.values.clone();
        for chart in charts {
            let shown = chart.display().to_string();
            match helm::render(&program, chart, &values) {
                Ok(text) => {
                    self.add_rendered(chart, &shown, text, root);
                    rendered.push(chart.clone());
                }
                Err(error) => {
                    let why = UnrenderedChart::Failed(error.to_string());
                    self.unrendered_why.insert(shown, why);
                }
            }
        }
        rendered
    }

    /// Adds a chart's `helm template` output, its `# Source:` sections naming the template
    /// files, whose text is kept to place findings in.
    fn add_rendered(&mut self, chart: &Path, shown: &str, text: String, root: &Path) {
        let file = self.add_file(format!("helm template {shown}"), text, FileKind::Yaml, None);
        let Some(sections) = self.helm.get_mut(&file) else { return };
        for section in sections {
            let Some(path) = helm::template_path(chart, &section.chart_path) else { continue };
            let shown = path.display().to_string();
            if !self.templates.contains_key(&shown) {
                let Ok(read::Text { text, .. }) = read::read(&path, Reach::Walked { root }) else {
                    continue;
                };
                self.templates.insert(shown.clone(), text);
            }
            section.chart_path = shown;
        }
    }

    fn add_file(
        &mut self,
        shown: String,
        text: String,
        kind: FileKind,
        absolute: Option<PathBuf>,
    ) -> FileId {
        let file = self.sources.add(shown.clone(), text);
        let absolute = absolute.unwrap_or_else(|| PathBuf::from(&shown));
        let source = self.sources.get(file);
        match kind {
            FileKind::Dockerfile => match dockerfile::parse(&source.text) {
                Ok(parsed) => {
                    let root = match &self.reading_root {
                        Some(root) => Some(root.clone()),
                        None => absolute.parent().map(Path::to_path_buf),
                    }
                    .filter(|_| absolute.is_absolute());
                    self.dockerfiles.push(DockerfileEntry { file, path: absolute, parsed, root })
                }
                Err(e) => self.fail(file, e.offset, e.message),
            },
            FileKind::Config => {
                let Some(config_kind) = server_configs::sniff(&shown, &source.text) else {
                    return file;
                };
                let origin = Origin { file, map: TextMap::Identity, label: shown.clone() };
                let text = source.text.clone();
                if let Some(config) = self.add_config(config_kind, &text, origin) {
                    self.groups
                        .insert(config, Project::config_group(&absolute).display().to_string());
                    self.file_configs.push((absolute, config));
                }
            }
            FileKind::Yaml => {
                let sections = yaml::helm_sections(source);
                if !sections.is_empty() {
                    self.helm.insert(file, sections);
                }
                match yaml::parse_documents(file, source) {
                    Ok(docs) => {
                        for doc in &docs {
                            self.add_document(file, doc);
                        }
                    }
                    // `{{ }}` outside a chart (gomplate, envsubst-style tooling): a template
                    // whose output is the YAML, not a syntax error.
                    Err(_) if source.text.contains("{{") => {
                        let reason = "a template (`{{ … }}`), not YAML: check what it renders \
                                      (`… | lameduck check -`)"
                            .to_string();
                        self.skipped.push(Skipped { path: shown, reason });
                    }
                    Err(e) => self.fail(file, e.offset, format!("invalid YAML: {}", e.message)),
                }
            }
        }
        file
    }

    fn add_document(&mut self, file: FileId, doc: &Node) {
        self.add_compose(file, doc);
        let before = self.objects.config_maps.len();
        k8s::extract(doc, &mut self.objects);
        // Server configs inside the ConfigMaps just added are parsed now, once.
        for index in before..self.objects.config_maps.len() {
            let cm = self.objects.config_maps[index].clone();
            for (key, node) in &cm.data {
                let Some(text) = node.as_str() else { continue };
                let Some(kind) = server_configs::sniff(key, text) else { continue };
                let map = text_map(&self.sources, file, node);
                let origin =
                    Origin { file, map, label: format!("ConfigMap {} key {}", cm.name, key) };
                if let Some(config) = self.add_config(kind, text, origin) {
                    self.groups.insert(config, format!("configmap {}/{}", cm.namespace, cm.name));
                    self.config_map_configs
                        .entry((cm.namespace.clone(), cm.name.clone()))
                        .or_default()
                        .push((key.clone(), config));
                }
            }
        }
    }

    /// A docker-compose file's services that build an image and name it.
    fn add_compose(&mut self, file: FileId, doc: &Node) {
        if doc.get("kind").is_some() {
            return;
        }
        let Some(services) = doc.get("services") else { return };
        let path = &self.sources.get(file).path;
        let dir = Path::new(path).parent().unwrap_or(Path::new("."));
        for (_, service) in services.as_map() {
            let (Some(image), Some(build)) =
                (service.get("image").and_then(Node::as_str), service.get("build"))
            else {
                continue;
            };
            let (context, dockerfile) = match build.as_str() {
                Some(context) => (context, "Dockerfile"),
                None => (
                    build.get("context").and_then(Node::as_str).unwrap_or("."),
                    build.get("dockerfile").and_then(Node::as_str).unwrap_or("Dockerfile"),
                ),
            };
            let joined = dir.join(context).join(dockerfile);
            if let Ok(resolved) = std::fs::canonicalize(&joined) {
                self.compose_images.push((image.to_string(), resolved));
            }
        }
    }

    fn add_config(&mut self, kind: ConfigKind, text: &str, origin: Origin) -> Option<ConfigRef> {
        let source = self.sources.get(origin.file);
        match server_configs::parse(kind, text, origin, source) {
            Ok(Parsed::PhpFpm(c)) => {
                self.fpm.push(c);
                Some(ConfigRef::PhpFpm(self.fpm.len() - 1))
            }
            Ok(Parsed::Nginx(c)) => {
                self.nginx.push(c);
                Some(ConfigRef::Nginx(self.nginx.len() - 1))
            }
            Ok(Parsed::Supervisord(c)) => {
                self.supervisord.push(c);
                Some(ConfigRef::Supervisord(self.supervisord.len() - 1))
            }
            Ok(Parsed::Apache(c)) => {
                self.apache.push(c);
                Some(ConfigRef::Apache(self.apache.len() - 1))
            }
            Ok(Parsed::Caddy(c)) => {
                self.caddy.push(c);
                Some(ConfigRef::Caddy(self.caddy.len() - 1))
            }
            Err(e) => {
                self.failures.push(ParseFailure {
                    span: e.span,
                    message: e.message,
                    unreadable: false,
                });
                None
            }
        }
    }

    /// Reads the script each Dockerfile's ENTRYPOINT (or CMD) runs when the Dockerfile copies it
    /// in from the build context (its directory or one of the two above, inside the root).
    fn read_entrypoint_scripts(&mut self) {
        for index in 0..self.dockerfiles.len() {
            let entry = &self.dockerfiles[index];
            let Some(root) = entry.root.clone() else { continue };
            let Some(source) = entry.parsed.entrypoint_script() else { continue };
            let dir = entry.path.parent().unwrap_or(Path::new("/"));
            let found = dir
                .ancestors()
                .take(3)
                .enumerate()
                .filter(|(_, context)| context.starts_with(&root))
                .map(|(up, context)| (up, context.join(&source)))
                .find(|(_, path)| path.symlink_metadata().is_ok());
            let Some((up, path)) = found else { continue };
            // Shown the way the Dockerfile was: its shown directory, `up` levels up, + source.
            let shown_dir = Path::new(&self.sources.get(entry.file).path).parent();
            let shown = shown_dir
                .map(|d| (0..up).fold(d, |d, _| d.parent().unwrap_or(d)).join(&source))
                .unwrap_or_else(|| path.clone());
            if let Ok(read::Text { text, .. }) = read::read(&path, Reach::Walked { root: &root }) {
                let file = self.sources.add(shown.display().to_string(), text);
                self.scripts.push(EntrypointScript { dockerfile: index, file });
            }
        }
    }

    /// Counts a Helm chart template that was not read; [`Project::load`] names each chart once.
    fn skip_helm_template(&mut self, path: &Path) {
        let templates = path.parent().unwrap_or(Path::new("."));
        let chart = templates.parent().unwrap_or(Path::new(".")).display().to_string();
        *self.unrendered_charts.entry(chart).or_default() += 1;
    }

    fn fail(&mut self, file: FileId, offset: usize, message: String) {
        let source = self.sources.get(file);
        let end = source.line_end(offset);
        self.failures.push(ParseFailure {
            span: Span::new(file, offset, end),
            message,
            unreadable: false,
        });
    }

    /// Configs by group, built once by the rules that compare settings across files.
    pub fn configs_by_group(&self) -> HashMap<&str, Vec<ConfigRef>> {
        let mut out: HashMap<&str, Vec<ConfigRef>> = HashMap::new();
        for (config, group) in &self.groups {
            out.entry(group.as_str()).or_default().push(*config);
        }
        out
    }

    /// The directory that groups a config file with its siblings (`pool.d/x.conf` → its parent).
    pub fn config_group(path: &Path) -> PathBuf {
        let dir = path.parent().unwrap_or(Path::new(""));
        match dir.file_name().and_then(|d| d.to_str()) {
            Some(
                "pool.d" | "php-fpm.d" | "conf.d" | "sites-enabled" | "sites-available"
                | "conf-enabled" | "conf-available" | "mods-enabled",
            ) => dir.parent().unwrap_or(dir).to_path_buf(),
            _ => dir.to_path_buf(),
        }
    }
}

/// Where a ConfigMap value's text sits in the YAML file.
fn text_map(sources: &Sources, file: FileId, node: &Node) -> TextMap {
    let source = sources.get(file);
    let start = node.span.start;
    let head = &source.text[start..source.line_end(start)];
    let quoted = matches!(&node.value, Value::Str { quoted: true, .. });
    if !quoted {
        return TextMap::Inline { start: start.saturating_sub(1) };
    }
    if head.starts_with('"') || head.starts_with('\'') {
        return TextMap::Inline { start };
    }
    // A block scalar (`|`, `>`): yaml-rust2 marks it at its first content line, or at the
    // indicator in other versions.
    if head.starts_with('|') || head.starts_with('>') {
        let first_line = source.line_col(start).line + 1;
        let indent = (first_line..=source.line_count())
            .map(|l| source.line_text(l))
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| l.len() - l.trim_start().len());
        return TextMap::Block { first_line, indent };
    }
    let at = source.line_col(start);
    TextMap::Block { first_line: at.line, indent: start - source.line_start(at.line) }
}
