//! Per-pod analysis shared by the rules: what each container runs, how it stops, how long it
//! waits before stopping, which configs and Dockerfile belong to it, and whether a Service sends
//! it traffic. Built once per run; every join here is a hash look-up, never a scan per pair.
mod after_port;
mod images;
mod joins;

pub use crate::role::Role;
pub use after_port::Listener;
pub use images::Links;

use crate::image::{self, ImageRef};
use crate::k8s::{Container, PreStop, Workload};
use crate::project::Project;
use crate::role::Evidence;
use crate::server_configs::{ApacheConfig, CaddyConfig, FpmConfig, NginxConfig, SupervisordConfig};
use crate::shell::{self, basename, Hook, LameduckCall};
use crate::source::Span;
use images::{base_image, resolve_stage, Resolved};
use joins::{linked_configs, ServiceIndex};

/// How a container's image was linked to a Dockerfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// `[images]` in `.lameduck-check.toml`.
    Config,
    /// `# lameduck:image NAME` in the Dockerfile.
    Comment,
    /// The image's last path part, or its last `-` part, names the Dockerfile's directory (or
    /// `NAME.Dockerfile`, `Dockerfile.NAME`).
    Directory,
    /// A docker-compose service with both `build:` and `image:`.
    Compose,
    /// `# lameduck:image=PATH` on the container's `image:` line.
    ManifestComment,
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
    Lameduck(Box<LameduckCall>),
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
    /// False when nothing says what the image sets: SIGTERM is then Docker's default, a guess.
    pub known: bool,
}

impl StopSignal {
    pub fn is_fast(&self) -> bool {
        matches!(shell::SignalSent::parse(&self.signal), shell::SignalSent::Fast(_))
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
    pub apache: Vec<&'a ApacheConfig>,
    pub caddy: Vec<&'a CaddyConfig>,
    /// Whether the image (or its base) is Alpine, or has no shell at all.
    pub alpine: bool,
    pub shell_less: bool,
}

impl ContainerView<'_> {
    /// Whether the container takes traffic: it has ports, or it is nginx/php-fpm. A database,
    /// cache or queue (by its image, or ports that are all such servers') is not a web server:
    /// only the application reaches it, and its own SIGTERM is already a clean shutdown.
    pub fn serves(&self) -> bool {
        !self.container.plain_init
            && (self.role.is_some() || (!self.container.ports.is_empty() && !self.is_datastore()))
    }

    /// A database, cache, queue or search server, by its image's name or by its ports.
    pub fn is_datastore(&self) -> bool {
        const IMAGES: &[&str] = &[
            "postgres",
            "postgresql",
            "mysql",
            "mariadb",
            "percona",
            "redis",
            "valkey",
            "keydb",
            "memcached",
            "mongo",
            "mongodb",
            "rabbitmq",
            "elasticsearch",
            "opensearch",
            "solr",
            "cassandra",
            "clickhouse",
            "etcd",
            "zookeeper",
            "kafka",
            "nats",
            "minio",
        ];
        const PORTS: &[u16] =
            &[5432, 3306, 6379, 11211, 27017, 5672, 9200, 9300, 8983, 9042, 2379, 2181, 9092, 4222];
        let by_image = self.image.as_ref().is_some_and(|i| {
            let short = i.short_name().to_ascii_lowercase();
            IMAGES.iter().any(|name| short == *name || short.starts_with(&format!("{name}-")))
        });
        let ports = &self.container.ports;
        self.role.is_none()
            && (by_image || (!ports.is_empty() && ports.iter().all(|(p, _)| PORTS.contains(p))))
    }

    /// php-fpm's `process_control_timeout`, from any config linked to the container.
    pub fn process_control_timeout(&self) -> Option<(f64, Span)> {
        self.fpm.iter().find_map(|c| c.process_control_timeout)
    }

    /// Apache's `GracefulShutdownTimeout` or Caddy's `grace_period` (plus its `shutdown_delay`,
    /// which comes first): how long the graceful stop may last, 0 for ever. `None` when no linked
    /// config sets it, which is for ever too (both servers' default).
    pub fn graceful_stop_bound(&self) -> Option<(f64, Span)> {
        match self.role {
            Some(Role::Apache) => self.apache.iter().find_map(|c| c.graceful_shutdown_timeout),
            Some(Role::Caddy) => {
                let delay = self.caddy.iter().find_map(|c| c.shutdown_delay).map_or(0.0, |d| d.0);
                let grace = self.caddy.iter().find_map(|c| c.grace_period)?;
                let bounded = grace.0 > 0.0 || grace.0.is_nan(); // NaN: a placeholder, unknown
                Some((if bounded { grace.0 + delay } else { 0.0 }, grace.1))
            }
            _ => None,
        }
    }

    /// The drain a server does after its stop signal: php-fpm's process_control_timeout,
    /// nginx's worker_shutdown_timeout, Apache's GracefulShutdownTimeout, Caddy's grace_period
    /// (0 when unbounded: LD022 reports that), or lameduck run's drain.
    pub fn drain_seconds(&self) -> f64 {
        let server = self.server_drain_seconds();
        let run = match &self.pid1 {
            Pid1::Lameduck(call) => {
                call.known_drain().map_or(0.0, |d| crate::lameduck_flags::most(&d))
            }
            _ => 0.0,
        };
        server + run
    }

    /// The server's own bound on finishing its requests after its stop signal (the first part
    /// of [`Self::drain_seconds`]), 0 when no linked config sets one: the longest request the
    /// configs let us know of.
    pub fn server_drain_seconds(&self) -> f64 {
        match self.role {
            Some(Role::PhpFpm) => self.process_control_timeout().map_or(0.0, |(s, _)| s),
            Some(Role::Nginx) => {
                self.nginx.iter().find_map(|c| c.worker_shutdown_timeout).map_or(0.0, |(s, _)| s)
            }
            Some(Role::Apache | Role::Caddy) => self.graceful_stop_bound().map_or(0.0, |(s, _)| s),
            None => 0.0,
        }
    }

    /// Seconds the preStop hook can take.
    pub fn hook_seconds(&self) -> f64 {
        match &self.container.pre_stop {
            Some(PreStop::Sleep { seconds, .. }) => *seconds,
            Some(PreStop::Exec { .. }) => self.hook.as_ref().map_or(0.0, Hook::longest),
            _ => 0.0,
        }
    }

    /// The longest the container may keep taking new requests after the pod starts terminating:
    /// its preStop wait (lameduck's drain at its longest), then `lameduck run`'s drain at its
    /// longest or Caddy's `shutdown_delay`. `None` when nobody can tell here: an httpGet hook, a
    /// drain in a lameduck.toml the checker does not read, a placeholder.
    pub fn longest_serving_seconds(&self) -> Option<f64> {
        let hook = match &self.container.pre_stop {
            None | Some(PreStop::Exec { .. }) => {
                self.hook.as_ref().map_or(0.0, Hook::longest_delay_before_signal)
            }
            Some(PreStop::Sleep { seconds, .. }) => *seconds,
            Some(PreStop::HttpGet { .. }) => return None,
        };
        let after = match (&self.pid1, self.role) {
            (Pid1::Lameduck(call), _) => crate::lameduck_flags::most(&call.known_drain()?),
            (_, Some(Role::Caddy)) => {
                self.caddy.iter().find_map(|c| c.shutdown_delay).map_or(0.0, |(d, _)| d)
            }
            _ => 0.0,
        };
        let total = hook + after;
        (!total.is_nan()).then_some(total)
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

    /// Whether `c` serves traffic and stops the moment the pod terminates: no preStop delay, no
    /// draining PID 1, not ordered after another container, and no hook that signals at once
    /// (LD004's case). LD003 reports these; LD005 leaves the pod to LD003 when nginx is one.
    pub fn needs_delay(&self, c: &ContainerView<'a>) -> bool {
        if !c.serves() || (c.container.native_sidecar && self.has_main_container_besides(c)) {
            return false;
        }
        if self.after_port_holds(c) {
            return false;
        }
        let zero = match c.delay {
            Delay::Absent => true,
            Delay::Seconds(s) => s <= 0.0,
            Delay::Unknown => false,
        };
        let signals_now =
            c.hook.as_ref().and_then(|h| h.first_signal()).is_some_and(|(s, _, _)| {
                matches!(s, shell::SignalSent::Quit | shell::SignalSent::Fast(_))
            });
        zero && !signals_now
    }
}

/// What the image a scanned Dockerfile builds stops with and runs, following `FROM` through its
/// stages, other linked Dockerfiles and the image table: for rules about Dockerfiles alone.
pub struct ImageFacts {
    pub stop_signal: Option<StopSignal>,
    /// ENTRYPOINT + CMD.
    pub argv: Vec<String>,
    /// The image the chain ends in.
    pub root: Option<ImageRef>,
}

/// [`ImageFacts`] of Dockerfile `df`'s final stage.
pub fn image_facts(project: &Project, links: &Links, df: usize) -> Option<ImageFacts> {
    let stage = project.dockerfiles[df].parsed.final_stage()?;
    let resolved = resolve_stage(project, links, df, stage, 0);
    let mut argv: Vec<String> = resolved.entrypoint.map(|(w, _)| w).unwrap_or_default();
    argv.extend(resolved.cmd.map(|(w, _)| w).unwrap_or_default());
    Some(ImageFacts { stop_signal: resolved.stop_signal, argv, root: resolved.root })
}

/// Whether a scanned workload runs the image Dockerfile `df` builds (its rules then speak for it).
pub fn dockerfile_in_use(pods: &[PodView<'_>], df: usize) -> bool {
    pods.iter().flat_map(|p| &p.containers).any(|c| c.dockerfile.is_some_and(|(d, _)| d == df))
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

// Long because it gathers one container's facts (role, images, configs, hooks, PID 1, delays) in
// the order each depends on the last; every step is a few lines and reads top-down.
fn container_view<'a>(
    project: &'a Project,
    links: &Links,
    workload: &Workload,
    c: &'a Container,
) -> ContainerView<'a> {
    let image = c.image.as_ref().map(|(i, _)| ImageRef::parse(i));
    let dockerfile = image.as_ref().and_then(|i| links.dockerfile_for_container(project, c, i));
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
    let (argv, pid1_span) = match (&c.command, &c.args) {
        (Some(command), args) => {
            let mut argv = command.clone();
            argv.extend(args.iter().flatten().cloned());
            (argv, c.command_span)
        }
        (None, Some(args)) => {
            let mut argv = resolved.entrypoint.as_ref().map(|(w, _)| w.clone()).unwrap_or_default();
            argv.extend(args.iter().cloned());
            (argv, c.command_span)
        }
        (None, None) => {
            let ep = resolved.entrypoint.clone();
            let cmd = resolved.cmd.clone();
            let span = ep.as_ref().or(cmd.as_ref()).map(|(_, s)| *s).filter(|s| s.end > 0);
            let mut argv = ep.map(|(w, _)| w).unwrap_or_default();
            argv.extend(cmd.map(|(w, _)| w).unwrap_or_default());
            (argv, span)
        }
    };
    let mut pid1 = pid1_of(&argv);
    if let Pid1::Lameduck(call) = &mut pid1 {
        call.apply_env(&c.env);
    }
    // A command or args that name a program decide the role: `php artisan queue:work` in a
    // php-fpm image is a worker, not php-fpm. Only flags (`args: ["-F"]`) keep the image's role.
    let names_a_program =
        (c.command.is_some() || c.args.is_some()) && argv.iter().any(|w| !w.starts_with('-'));
    let linked = linked_configs(project, workload, c, dockerfile.map(|(d, _)| d));
    let role = Role::of_words(&argv).or_else(|| {
        if names_a_program {
            return None;
        }
        Evidence {
            built_from: match dockerfile {
                Some(_) => resolved.role,
                None => image.as_ref().and_then(Role::of_known_image),
            },
            configs: linked.roles(),
            ports: c.ports.iter().map(|(p, _)| *p).collect(),
            name: &c.name,
            image_name: image.as_ref(),
        }
        .weigh()
    });

    let linked_by = match dockerfile {
        Some((df, link)) => {
            let how = match link {
                Link::Config => "[images] in .lameduck-check.toml",
                Link::Comment => "its `# lameduck:image` comment",
                Link::Directory => "its directory name",
                Link::Compose => "a docker-compose `build:` and `image:`",
                Link::ManifestComment => "the `# lameduck:image=` comment on the image line",
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
            known: true,
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
                known: true,
            },
            None => StopSignal {
                signal: "SIGTERM".into(),
                why: "no scanned Dockerfile builds the image and lameduck's image table does not \
                      know it"
                    .into(),
                span: None,
                known: false,
            },
        },
    };

    let hook = match &c.pre_stop {
        Some(PreStop::Exec { argv, .. }) => {
            let mut hook = Hook::from_argv(argv);
            hook.apply_env(&c.env);
            Some(hook)
        }
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
    // `Some(None)`: lameduck run drains as a lameduck.toml the checker does not read says.
    // Caddy's `shutdown_delay` is a drain too: it serves normally that long after its signal.
    let caddy_delay = linked.caddy.iter().find_map(|c| c.shutdown_delay).map(|(d, _)| d);
    let run_drain = match (&pid1, role, caddy_delay) {
        (Pid1::Lameduck(call), _, _) => {
            Some(call.known_drain().map(|d| crate::lameduck_flags::least(&d)))
        }
        (_, Some(Role::Caddy), Some(d)) if d.is_nan() => Some(None),
        (_, Some(Role::Caddy), Some(d)) if d > 0.0 => Some(Some(d)),
        _ => None,
    };
    let delay = match (hook_delay, run_drain) {
        (_, Some(None)) => Delay::Unknown,
        (Some(Delay::Seconds(h)), Some(Some(r))) => Delay::Seconds(h + r),
        (Some(Delay::Seconds(h)), None) if h > 0.0 => Delay::Seconds(h),
        (Some(Delay::Seconds(_)), None) => Delay::Seconds(0.0),
        (Some(d), _) => d,
        (None, Some(Some(r))) => Delay::Seconds(r),
        (None, None) => Delay::Absent,
    };

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
        fpm: linked.fpm,
        nginx: linked.nginx,
        supervisord: linked.supervisord,
        apache: linked.apache,
        caddy: linked.caddy,
    }
}

/// Classifies PID 1 from its argv.
pub fn pid1_of(argv: &[String]) -> Pid1 {
    let Some(first) = argv.first() else { return Pid1::Unknown };
    if let Some(call) = shell::lameduck_call(argv).filter(|c| c.subcommand == "run") {
        if basename(first) == "lameduck" {
            return Pid1::Lameduck(Box::new(call));
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
            // `run`'s own reading of the script (`-c`, `-ec`, `-xc`), so both agree on PID 1.
            let script = shell::shell_script(argv).unwrap_or_default().to_string();
            Pid1::Shell { execs: shell::script_execs(first, &script), script }
        }
        name => Pid1::Program(name.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn pid1_kinds() {
        assert!(matches!(
            pid1_of(&argv(&["dumb-init", "--rewrite", "15:3", "--", "nginx"])),
            Pid1::Init { rewrites_to_quit: true, .. }
        ));
        assert!(matches!(
            pid1_of(&argv(&["tini", "--", "php-fpm"])),
            Pid1::Init { rewrites_to_quit: false, .. }
        ));
        assert!(matches!(
            pid1_of(&argv(&["/lameduck", "run", "--", "php-fpm", "-F"])),
            Pid1::Lameduck(_)
        ));
        assert!(matches!(
            pid1_of(&argv(&["/bin/sh", "-c", "exec nginx"])),
            Pid1::Shell { execs: true, .. }
        ));
        assert!(matches!(
            pid1_of(&argv(&["/bin/sh", "-c", "nginx"])),
            Pid1::Shell { execs: false, .. }
        ));
        // Flags before `c`, as `run` reads them: `-ec 'exec nginx'` execs, `-ec nginx` does not.
        assert!(matches!(
            pid1_of(&argv(&["sh", "-ec", "exec nginx"])),
            Pid1::Shell { execs: true, ref script } if script == "exec nginx"
        ));
        assert!(matches!(
            pid1_of(&argv(&["sh", "-xc", "nginx"])),
            Pid1::Shell { execs: false, ref script } if script == "nginx"
        ));
        assert!(matches!(pid1_of(&argv(&["/usr/bin/supervisord", "-c", "x"])), Pid1::Supervisord));
        assert_eq!(pid1_of(&argv(&["php-fpm", "-F"])), Pid1::Program("php-fpm".into()));
        assert_eq!(pid1_of(&[]), Pid1::Unknown);
    }
}
