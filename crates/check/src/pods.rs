//! Per-pod analysis shared by the rules: what each container runs, how it stops, how long it
//! waits before stopping, which configs and Dockerfile belong to it, and whether a Service sends
//! it traffic. Built once per run; every join here is a hash look-up, never a scan per pair.
use std::collections::HashMap;

use crate::configs::{FpmConfig, NginxConfig, SupervisordConfig};
use crate::image::{self, ImageRef, KnownSignal};
use crate::k8s::{Container, PreStop, Workload};
use crate::parse::dockerfile::{Form, Stage};
use crate::project::{ConfigRef, Project};
use crate::shell::{self, basename, Hook, LameduckCall};
use crate::source::Span;

/// The two servers the checker knows how to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Nginx,
    PhpFpm,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Nginx => "nginx",
            Role::PhpFpm => "php-fpm",
        }
    }

    /// From the words of a command line.
    pub fn of_words(words: &[String]) -> Option<Role> {
        for word in words {
            for part in word.split_whitespace() {
                let name = basename(part);
                if name.starts_with("php-fpm") || name == "php-fpm" {
                    return Some(Role::PhpFpm);
                }
                if name == "nginx" {
                    return Some(Role::Nginx);
                }
            }
        }
        None
    }

    /// From a container or program name.
    pub fn of_name(name: &str) -> Option<Role> {
        let lower = name.to_ascii_lowercase();
        if lower.contains("fpm") || lower == "php" {
            Some(Role::PhpFpm)
        } else if lower.contains("nginx") {
            Some(Role::Nginx)
        } else {
            None
        }
    }

    fn of_image(image: &ImageRef) -> Option<Role> {
        let short = image.short_name();
        if image.is_official_php_fpm() || short.contains("fpm") {
            Some(Role::PhpFpm)
        } else if short.contains("nginx") {
            Some(Role::Nginx)
        } else {
            None
        }
    }
}

/// How a container's image was linked to a Dockerfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// `[images]` in `.lameduck.toml`.
    Config,
    /// `# lameduck:image NAME` in the Dockerfile.
    Comment,
    /// The image's last path part equals the Dockerfile's directory (or `NAME.Dockerfile`).
    Directory,
}

/// What PID 1 of a container is.
#[derive(Debug, Clone, PartialEq)]
pub enum Pid1 {
    /// A program that gets the stop signal itself.
    Program(String),
    /// A shell running a script; `execs` when the script hands PID 1 over with `exec`.
    Shell {
        execs: bool,
        script: String,
    },
    Lameduck(LameduckCall),
    Supervisord,
    /// tini or dumb-init; `rewrites_to_quit` when dumb-init maps SIGTERM to SIGQUIT.
    Init {
        name: String,
        rewrites_to_quit: bool,
    },
    Unknown,
}

/// The signal the runtime sends at stop time, and how we know.
#[derive(Debug, Clone)]
pub struct StopSignal {
    pub signal: String,
    pub why: String,
    pub span: Option<Span>,
}

impl StopSignal {
    pub fn is_fast(&self) -> bool {
        matches!(shell::Signal::parse(&self.signal), shell::Signal::Fast(_))
    }
}

/// How long a container keeps serving after the pod starts terminating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Delay {
    /// No preStop and no draining supervisor.
    Absent,
    Seconds(f64),
    /// An httpGet hook: it may wait, we cannot tell.
    Unknown,
}

impl Delay {
    pub fn seconds(self) -> f64 {
        match self {
            Delay::Seconds(s) => s,
            _ => 0.0,
        }
    }
}

/// One container with everything the rules ask about it.
#[derive(Debug)]
pub struct ContainerView<'a> {
    pub container: &'a Container,
    pub role: Option<Role>,
    pub image: Option<ImageRef>,
    pub dockerfile: Option<(usize, Link)>,
    pub stop_signal: StopSignal,
    pub pid1: Pid1,
    pub pid1_span: Option<Span>,
    /// argv of PID 1 after applying command/args over the image's ENTRYPOINT/CMD.
    pub argv: Vec<String>,
    pub hook: Option<Hook>,
    pub delay: Delay,
    pub fpm: Vec<&'a FpmConfig>,
    pub nginx: Vec<&'a NginxConfig>,
    pub supervisord: Vec<&'a SupervisordConfig>,
    /// Whether the image (or its base) is Alpine, or has no shell at all.
    pub alpine: bool,
    pub shell_less: bool,
}

impl ContainerView<'_> {
    /// Whether the container takes traffic: it has ports, or it is nginx/php-fpm.
    pub fn serves(&self) -> bool {
        !self.container.plain_init && (!self.container.ports.is_empty() || self.role.is_some())
    }

    /// php-fpm's `process_control_timeout`, from any config linked to the container.
    pub fn process_control_timeout(&self) -> Option<(f64, Span)> {
        self.fpm.iter().find_map(|c| c.process_control_timeout)
    }

    /// The drain a server does after its stop signal: php-fpm's process_control_timeout,
    /// nginx's worker_shutdown_timeout, or lameduck run's drain.
    pub fn drain_seconds(&self) -> f64 {
        let server = match self.role {
            Some(Role::PhpFpm) => self.process_control_timeout().map_or(0.0, |(s, _)| s),
            Some(Role::Nginx) => {
                self.nginx.iter().find_map(|c| c.worker_shutdown_timeout).map_or(0.0, |(s, _)| s)
            }
            None => 0.0,
        };
        let run = match &self.pid1 {
            Pid1::Lameduck(call) => call.drain_or_default().most(),
            _ => 0.0,
        };
        server + run
    }

    /// Seconds the preStop hook can take.
    pub fn hook_seconds(&self) -> f64 {
        match &self.container.pre_stop {
            Some(PreStop::Sleep { seconds, .. }) => *seconds,
            Some(PreStop::Exec { .. }) => self.hook.as_ref().map_or(0.0, Hook::longest),
            _ => 0.0,
        }
    }

    /// preStop time plus drain: how long the container needs out of the grace period.
    pub fn needed_seconds(&self) -> f64 {
        self.hook_seconds() + self.drain_seconds()
    }
}

/// A workload's pod.
#[derive(Debug)]
pub struct PodView<'a> {
    pub index: usize,
    pub workload: &'a Workload,
    pub containers: Vec<ContainerView<'a>>,
    /// Services (by index) that select this pod.
    pub services: Vec<usize>,
}

impl<'a> PodView<'a> {
    pub fn role(&self, role: Role) -> impl Iterator<Item = &ContainerView<'a>> {
        self.containers.iter().filter(move |c| c.role == Some(role) && !c.container.plain_init)
    }
}

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
struct Resolved {
    stop_signal: Option<StopSignal>,
    entrypoint: Option<(Vec<String>, Span, bool)>,
    cmd: Option<(Vec<String>, Span, bool)>,
    root: Option<ImageRef>,
    role: Option<Role>,
}

fn resolve_stage(
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
fn base_image(base: ImageRef) -> Resolved {
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

/// Builds the view of every workload's pod.
pub fn pods<'a>(project: &'a Project) -> Vec<PodView<'a>> {
    let links = Links::new(project);
    let selecting = ServiceIndex::new(project);
    project
        .objects
        .workloads
        .iter()
        .enumerate()
        .map(|(index, workload)| PodView {
            index,
            workload,
            containers: workload
                .containers
                .iter()
                .map(|c| container_view(project, &links, workload, c))
                .collect(),
            services: selecting.selecting(workload),
        })
        .collect()
}

fn container_view<'a>(
    project: &'a Project,
    links: &Links,
    workload: &Workload,
    c: &'a Container,
) -> ContainerView<'a> {
    let image = c.image.as_ref().map(|(i, _)| ImageRef::parse(i));
    let dockerfile = image.as_ref().and_then(|i| links.dockerfile_for(i));
    let resolved = match (&image, dockerfile) {
        (_, Some((df, _))) => match project.dockerfiles[df].parsed.final_stage() {
            Some(stage) => resolve_stage(project, links, df, stage, 0),
            None => base_image(ImageRef::parse("scratch")),
        },
        (Some(image), None) => base_image(image.clone()),
        (None, None) => {
            Resolved { stop_signal: None, entrypoint: None, cmd: None, root: None, role: None }
        }
    };

    // Kubernetes: `command` replaces ENTRYPOINT (and drops CMD); `args` replaces CMD.
    let (argv, pid1_span, shell_form) = match (&c.command, &c.args) {
        (Some(command), args) => {
            let mut argv = command.clone();
            argv.extend(args.iter().flatten().cloned());
            (argv, c.command_span, false)
        }
        (None, Some(args)) => {
            let mut argv =
                resolved.entrypoint.as_ref().map(|(w, _, _)| w.clone()).unwrap_or_default();
            argv.extend(args.iter().cloned());
            (argv, c.command_span, false)
        }
        (None, None) => {
            let ep = resolved.entrypoint.clone();
            let cmd = resolved.cmd.clone();
            let span = ep.as_ref().or(cmd.as_ref()).map(|(_, s, _)| *s).filter(|s| s.end > 0);
            let shell_form = ep.as_ref().or(cmd.as_ref()).is_some_and(|(_, _, sf)| *sf);
            let mut argv = ep.map(|(w, _, _)| w).unwrap_or_default();
            argv.extend(cmd.map(|(w, _, _)| w).unwrap_or_default());
            (argv, span, shell_form)
        }
    };
    let _ = shell_form;
    let pid1 = pid1_of(&argv);
    let role = Role::of_words(&argv)
        .or(resolved.role)
        .or_else(|| image.as_ref().and_then(Role::of_image))
        .or_else(|| Role::of_name(&c.name));

    let linked_by = match dockerfile {
        Some((df, link)) => {
            let how = match link {
                Link::Config => "[images] in .lameduck.toml",
                Link::Comment => "its `# lameduck:image` comment",
                Link::Directory => "its directory name",
            };
            format!(
                "; image built by {} (linked by {how})",
                project.sources.get(project.dockerfiles[df].file).path
            )
        }
        None => String::new(),
    };
    let stop_signal = match &c.stop_signal {
        Some((signal, span)) => StopSignal {
            signal: signal.clone(),
            why: "lifecycle.stopSignal".into(),
            span: Some(*span),
        },
        None => match resolved.stop_signal.clone() {
            Some(mut known) => {
                known.why.push_str(&linked_by);
                known
            }
            None if dockerfile.is_some() => StopSignal {
                signal: "SIGTERM".into(),
                why: format!(
                    "neither the linked Dockerfile nor its base image sets STOPSIGNAL{linked_by}"
                ),
                span: None,
            },
            None => StopSignal {
                signal: "SIGTERM".into(),
                why: "the image sets no STOPSIGNAL that lameduck knows of, and no scanned \
                      Dockerfile builds it"
                    .into(),
                span: None,
            },
        },
    };

    let hook = match &c.pre_stop {
        Some(PreStop::Exec { argv, .. }) => Some(Hook::from_argv(argv)),
        _ => None,
    };
    let hook_delay = match &c.pre_stop {
        None => None,
        Some(PreStop::Sleep { seconds, .. }) => Some(Delay::Seconds(*seconds)),
        Some(PreStop::Exec { .. }) => {
            hook.as_ref().map(|h| Delay::Seconds(h.delay_before_signal()))
        }
        Some(PreStop::HttpGet { .. }) => Some(Delay::Unknown),
    };
    let run_drain = match &pid1 {
        Pid1::Lameduck(call) => Some(call.drain_or_default().least()),
        _ => None,
    };
    let delay = match (hook_delay, run_drain) {
        (Some(Delay::Seconds(h)), Some(r)) => Delay::Seconds(h + r),
        (Some(Delay::Seconds(h)), None) if h > 0.0 => Delay::Seconds(h),
        (Some(Delay::Seconds(_)), None) => Delay::Seconds(0.0),
        (Some(d), _) => d,
        (None, Some(r)) => Delay::Seconds(r),
        (None, None) => Delay::Absent,
    };

    let (fpm, nginx, supervisord) =
        linked_configs(project, workload, c, dockerfile.map(|(d, _)| d));
    let root = resolved.root.as_ref().or(image.as_ref());
    ContainerView {
        container: c,
        role,
        alpine: root.is_some_and(image::is_alpine) || image.as_ref().is_some_and(image::is_alpine),
        shell_less: root.is_some_and(image::lacks_shell),
        image,
        dockerfile,
        stop_signal,
        pid1,
        pid1_span,
        argv,
        hook,
        delay,
        fpm,
        nginx,
        supervisord,
    }
}

/// Classifies PID 1 from its argv.
pub fn pid1_of(argv: &[String]) -> Pid1 {
    let Some(first) = argv.first() else { return Pid1::Unknown };
    if let Some(call) = shell::lameduck_call(argv).filter(|c| c.subcommand == "run") {
        if basename(first) == "lameduck" {
            return Pid1::Lameduck(call);
        }
    }
    match basename(first) {
        "tini" | "dumb-init" | "tini-static" => {
            let rewrites =
                argv.windows(2).any(|w| (w[0] == "-r" || w[0] == "--rewrite") && (w[1] == "15:3"))
                    || argv.iter().any(|a| a == "--rewrite=15:3");
            Pid1::Init { name: basename(first).to_string(), rewrites_to_quit: rewrites }
        }
        "supervisord" => Pid1::Supervisord,
        name if shell::is_shell(name) => {
            let script = argv
                .iter()
                .position(|a| a == "-c")
                .and_then(|i| argv.get(i + 1))
                .cloned()
                .unwrap_or_default();
            Pid1::Shell { execs: shell::script_execs(first, &script), script }
        }
        name => Pid1::Program(name.to_string()),
    }
}

type Linked<'a> = (Vec<&'a FpmConfig>, Vec<&'a NginxConfig>, Vec<&'a SupervisordConfig>);

/// Configs a container reads: ConfigMap keys it mounts, and config files under the directory of the
/// Dockerfile that builds its image.
fn linked_configs<'a>(
    project: &'a Project,
    workload: &Workload,
    c: &Container,
    dockerfile: Option<usize>,
) -> Linked<'a> {
    let mut refs = Vec::new();
    for mount in &c.mounts {
        let Some(volume) = workload.config_map_volumes.iter().find(|v| v.volume == mount.volume)
        else {
            continue;
        };
        let key = (workload.namespace.clone(), volume.config_map.clone());
        for (data_key, config) in project.config_map_configs.get(&key).into_iter().flatten() {
            let projected =
                volume.items.is_empty() || volume.items.iter().any(|(k, _)| k == data_key);
            let selected = mount.sub_path.as_deref().is_none_or(|sub| {
                sub == data_key || volume.items.iter().any(|(k, p)| k == data_key && p == sub)
            });
            if projected && selected {
                refs.push(*config);
            }
        }
    }
    if let Some(df) = dockerfile {
        if let Some(dir) = project.dockerfiles[df].path.parent() {
            refs.extend(
                project.file_configs.iter().filter(|(p, _)| p.starts_with(dir)).map(|(_, c)| *c),
            );
        }
    }
    let mut linked: Linked<'a> = (Vec::new(), Vec::new(), Vec::new());
    for r in refs {
        match r {
            ConfigRef::PhpFpm(i) => linked.0.push(&project.fpm[i]),
            ConfigRef::Nginx(i) => linked.1.push(&project.nginx[i]),
            ConfigRef::Supervisord(i) => linked.2.push(&project.supervisord[i]),
        }
    }
    linked
}

/// Services indexed by (namespace, one selector pair), so matching pods is a look-up per label.
struct ServiceIndex<'a> {
    project: &'a Project,
    by_pair: HashMap<(&'a str, &'a str, &'a str), Vec<usize>>,
}

impl<'a> ServiceIndex<'a> {
    fn new(project: &'a Project) -> Self {
        let mut by_pair: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
        for (i, s) in project.objects.services.iter().enumerate() {
            if let Some((k, v)) = s.selector.first() {
                by_pair.entry((s.namespace.as_str(), k.as_str(), v.as_str())).or_default().push(i);
            }
        }
        ServiceIndex { project, by_pair }
    }

    fn selecting(&self, workload: &Workload) -> Vec<usize> {
        let mut out = Vec::new();
        for (k, v) in &workload.labels {
            for &i in self
                .by_pair
                .get(&(workload.namespace.as_str(), k.as_str(), v.as_str()))
                .into_iter()
                .flatten()
            {
                let service = &self.project.objects.services[i];
                let all = service
                    .selector
                    .iter()
                    .all(|(sk, sv)| workload.labels.iter().any(|(lk, lv)| lk == sk && lv == sv));
                if all && !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        out
    }
}
