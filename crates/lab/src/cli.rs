//! Command-line arguments and entry point of `lameduck lab`.
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use lameduck_load::StopHandle;

use crate::color::ColorChoice;
use crate::pod::LabEnv;
use crate::result::{LabResult, Summary, Verdict};
use crate::sandbox::{self, INNER_ENV};
use crate::scenario::{for_manifest_dir, images, load_file, ExtraImages, ImageSpec, Scenario};
use crate::seeds;
use crate::sys::netns::NetNs;
use crate::table::table;

/// Reproduce Kubernetes pod termination on this machine, with real nginx/Apache/Caddy and php-fpm.
///
/// Each pod gets its own network namespace (its containers share its 127.0.0.1); each container
/// its own PID namespace (the program is PID 1) and mount namespace (the host's files
/// read-only, the pod's files where `volumeMounts` say, private /run and /tmp). A kubelet
/// terminates pods as Kubernetes does (preStop, stop signal, grace period, SIGKILL), an
/// ingress (`alb` or `nginx` model) stands in front with a configurable endpoint propagation
/// delay, and the lameduck load engine sends traffic through it.
///
///   lameduck lab seeds                   run the articles' experiments, print a table
///   lameduck lab seeds --only fpm        the php-fpm ones (an exact name picks just that one)
///   lameduck lab seeds --only apache --only caddy   the Apache and Caddy ones
///   lameduck lab --dump nginx-sigterm > my.yaml     start your own from one of them
///   lameduck lab my.yaml --format json   your pod template, JSON summary on stdout
///   lameduck lab k8s/app/                your Deployment + ConfigMaps, scaled down under load
///   lameduck lab k8s/app/ --image mycorp/shop:1.4=php-fpm   your image runs as php-fpm
///
/// Logs of every container, the event log and result.json land in the run directory, whose
/// path is printed. Needs root (or unprivileged user namespaces); nginx and php-fpm come from
/// `scripts/install-deps lab`. Scenario format: docs/lab.md.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Scenario files (YAML), directories of Kubernetes manifests (a Deployment and its
    /// ConfigMaps, scaled down to 1 under load), or `seeds` for the articles' experiments.
    #[arg(value_name = "FILE.yaml|DIR|seeds", required_unless_present_any = ["list", "dump"])]
    pub scenarios: Vec<String>,
    /// `text` prints a table; `json` prints the summary as JSON on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Deprecated spelling of `--format` (`human` is `text`).
    #[arg(long, value_enum, hide = true, conflicts_with = "format")]
    pub output: Option<LegacyOutput>,
    /// Colour the verdicts: `auto` on a terminal unless NO_COLOR is set, `always`, `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Where logs and results go [default: ./lameduck-runs/lab-<time>-<pid>].
    #[arg(long, value_name = "DIR")]
    pub run_dir: Option<PathBuf>,
    /// How many scenarios run at the same time [default: 5; 12 with `--profile all`, whose
    /// runs mostly wait for their endpoint lag].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
    /// Run every scenario behind the cluster profile NAME (eks-alb, ingress-nginx, haproxy):
    /// its data plane and endpoint lag replace the scenario's, and the load is stretched to
    /// outlast the lag. Each such run is named SCENARIO@NAME, and its verdict, a comparison
    /// with the article, does not decide the exit code. `all` runs the scenarios as they are
    /// and under every profile, and prints a matrix of failed requests (docs/lab.md).
    #[arg(long, value_name = "NAME|all")]
    pub profile: Option<String>,
    /// With `seeds`: only the built-in scenario with this exact name, or else those whose
    /// name contains this text (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub only: Vec<String>,
    /// Seed every scenario with this instead of its own `seed` (jitter, container order).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Print the built-in scenario NAME as a scenario file, and exit.
    #[arg(long, value_name = "NAME")]
    pub dump: Option<String>,
    /// List the built-in scenarios, and exit.
    #[arg(long)]
    pub list: bool,
    /// Run the image IMAGE as the lab's PROGRAM does its official image (command and
    /// STOPSIGNAL), e.g. `--image mycorp/shop-php:1.4=php-fpm`; repeatable. PROGRAM is one of
    /// nginx, php-fpm, apache2, caddy, supervisord, lameduck, sh. In a scenario file:
    /// `images: {IMAGE: PROGRAM}`.
    #[arg(long, value_name = "IMAGE=PROGRAM", value_parser = parse_image_mapping)]
    pub image: Vec<(String, String)>,
    /// Also write a self-contained HTML report (inline SVG, no scripts, no network) of the run:
    /// per scenario, the request timeline with the pods' termination events.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

/// `IMAGE=PROGRAM` of `--image`, with PROGRAM one the lab knows.
fn parse_image_mapping(text: &str) -> Result<(String, String), String> {
    let Some((image, program)) =
        text.rsplit_once('=').filter(|(i, p)| !i.is_empty() && !p.is_empty())
    else {
        return Err(format!("`{text}` is not IMAGE=PROGRAM, e.g. mycorp/shop-php:1.4=php-fpm"));
    };
    if images::program_image(program).is_none() {
        return Err(format!(
            "unknown program `{program}`{}; the lab knows {}",
            crate::suggest::did_you_mean(program, images::PROGRAMS.iter().map(|(p, _)| *p)),
            images::program_names()
        ));
    }
    Ok((image.to_string(), program.to_string()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The values `--output` took when it named a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LegacyOutput {
    Human,
    Text,
    Json,
}

impl Args {
    /// `--jobs`, or its default for the run asked for.
    pub fn jobs_or_default(&self) -> usize {
        let default = if self.profile.as_deref() == Some(crate::matrix::ALL) { 12 } else { 5 };
        self.jobs.map_or(default, usize::from)
    }

    /// `--format`, or what the deprecated `--output` said.
    pub fn output_format(&self) -> Format {
        match self.output {
            Some(LegacyOutput::Json) => Format::Json,
            Some(LegacyOutput::Human | LegacyOutput::Text) => Format::Text,
            None => self.format,
        }
    }
}

/// Standard output could not be written (other than a closed pipe).
#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output: {0}")]
struct StdoutError(std::io::Error);

/// Writes `text` to standard output. A reader that went away (`| head`) is not an error: the
/// rest is dropped quietly, as other command-line tools do.
fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(StdoutError(e).into()),
        _ => Ok(()),
    }
}

/// Runs `lameduck lab`.
pub fn execute(args: Args) -> ExitCode {
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lameduck lab: {e:#}");
            // Usage and scenario errors are 2; a full disk under stdout is not the user's typo.
            if e.downcast_ref::<StdoutError>().is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

fn run(args: Args) -> Result<ExitCode> {
    if args.list {
        let list: String =
            seeds::all().iter().map(|s| format!("{:<28} {}\n", s.name, s.description)).collect();
        emit(&list)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(name) = &args.dump {
        let Some(text) = seeds::yaml(name) else {
            bail!("{}", unknown_seed("--dump", name));
        };
        emit(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let scenarios = load_scenarios(&args)?;
    if let Some(dir) = std::env::var_os(INNER_ENV) {
        return inner(&args, scenarios, PathBuf::from(dir));
    }
    if let Some(old) = args.output {
        // Once, from the outer process: the inner one sees the same arguments.
        let format = if old == LegacyOutput::Json { "json" } else { "text" };
        eprintln!("lameduck lab: note: --output is deprecated as a format; use --format {format}");
    }
    check_programs(&scenarios)?;
    crate::capacity::check(&scenarios, args.jobs_or_default(), &crate::capacity::Machine::read())
        .map_err(anyhow::Error::msg)?;
    let run_dir = create_run_dir(args.run_dir.as_deref())?;
    eprintln!("lameduck lab: run directory {}", run_dir.display());
    let code = sandbox::run_outer(&run_dir)?;
    // Written by this outer process, from result.json: the inner one sees another root.
    if let Some(path) = &args.report {
        if let Err(e) = write_html_report(&run_dir, path) {
            eprintln!("lameduck lab: --report {}: {e:#}", path.display());
            return Ok(ExitCode::from(1));
        }
        eprintln!("lameduck lab: report {}", path.display());
    }
    Ok(code)
}

fn write_html_report(run_dir: &Path, path: &Path) -> Result<()> {
    let result = run_dir.join("result.json");
    let text = std::fs::read(&result)
        .with_context(|| format!("read {} (the run wrote no results)", result.display()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("parse {}", result.display()))?;
    let html = lameduck_report::render_lab_html(&value)?;
    lameduck_report::write_report(path, &html)?;
    Ok(())
}

/// `--only nginx-sigtem matches no built-in scenario; did you mean nginx-sigterm?` and the names.
fn unknown_seed(flag: &str, typed: &str) -> String {
    let names = seeds::names();
    format!(
        "{flag} {typed} matches no built-in scenario{}\n  the built-in scenarios: {}",
        crate::suggest::did_you_mean(typed, names.iter().copied()),
        names.join(", ")
    )
}

fn load_scenarios(args: &Args) -> Result<Vec<Scenario>> {
    let extra: ExtraImages = args
        .image
        .iter()
        .map(|(image, program)| (image.clone(), ImageSpec::Program(program.clone())))
        .collect();
    let mut out: Vec<Scenario> = Vec::new();
    for item in &args.scenarios {
        if item == "seeds" {
            // An exact name picks just that scenario; other text picks every name containing it.
            let names = seeds::names();
            let wanted = |name: &str| {
                args.only.is_empty()
                    || args.only.iter().any(|o| {
                        if names.contains(&o.as_str()) {
                            name == o
                        } else {
                            name.contains(o.as_str())
                        }
                    })
            };
            // Every --only must pick something: a typo would silently drop an experiment.
            if let Some(typo) =
                args.only.iter().find(|o| !names.iter().any(|n| n.contains(o.as_str())))
            {
                bail!("{}", unknown_seed("--only", typo));
            }
            let mut chosen: Vec<Scenario> =
                seeds::all().into_iter().filter(|s| wanted(&s.name)).collect();
            for s in &mut chosen {
                s.images.extend(extra.clone());
            }
            out.extend(chosen);
        } else if Path::new(item).is_dir() {
            out.push(
                for_manifest_dir(Path::new(item), &extra).map_err(|e| anyhow::anyhow!("{e}"))?,
            );
        } else {
            out.push(load_file(Path::new(item), &extra).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
    }
    if let Some(seed) = args.seed {
        for s in &mut out {
            s.seed = seed;
        }
    }
    if let Some(profile) = &args.profile {
        out = crate::matrix::expand(out, profile).map_err(|e| anyhow::anyhow!("--profile {e}"))?;
    }
    // Names become directories: keep them unique.
    let mut seen = std::collections::BTreeMap::<String, u32>::new();
    for s in &mut out {
        let n = seen.entry(s.name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            s.name = format!("{}-{n}", s.name);
        }
        if s.name.is_empty() || s.name.contains('/') || s.name.starts_with('.') {
            bail!("scenario name `{}` cannot be used as a directory name; use letters, digits and dashes", s.name);
        }
    }
    Ok(out)
}

/// Every program the scenarios run must exist here; say how to install it if not.
fn check_programs(scenarios: &[Scenario]) -> Result<()> {
    let self_exe = std::env::current_exe().unwrap_or_default();
    for s in scenarios {
        for c in s.pod.containers.iter().chain(&s.pod.init_containers) {
            let image = images::lookup(&c.image, &s.images).map_err(anyhow::Error::msg)?;
            let mut argv = images::container_argv(&image, c.command.as_ref(), c.args.as_ref());
            let program = images::resolve_program(&mut argv, &self_exe)
                .map_err(|e| anyhow::anyhow!("scenario {}: container {}: {e}", s.name, c.name))?;
            if !program.is_file() {
                bail!(
                    "scenario {}: container {}: {} does not exist; install what the lab needs with `sudo scripts/install-deps lab`",
                    s.name,
                    c.name,
                    program.display()
                );
            }
        }
    }
    Ok(())
}

fn create_run_dir(chosen: Option<&Path>) -> Result<PathBuf> {
    let dir = match chosen {
        Some(d) => d.to_path_buf(),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            PathBuf::from("lameduck-runs").join(format!("lab-{secs}-{}", std::process::id()))
        }
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("create run directory {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    if dir.starts_with("/proc")
        || ["/mnt", "/srv", "/opt", "/media"].iter().any(|p| dir.starts_with(p))
    {
        bail!(
            "run directory {} would be hidden inside the lab; choose another with --run-dir",
            dir.display()
        );
    }
    Ok(dir)
}

// Long because the lab inside its namespaces as a straight line: set up, run every scenario, write
// result.json, print, and decide the exit status.
fn inner(args: &Args, scenarios: Vec<Scenario>, run_dir: PathBuf) -> Result<ExitCode> {
    let self_exe = std::fs::read_link("/proc/self/exe").context("find this executable")?;
    crate::panics::install();
    let stage_dir = sandbox::setup_inner(&self_exe)?;
    let home_ns = NetNs::current()?;
    // Containers may hide the executable's real path (a private /tmp): use its bind mount.
    let self_exe = PathBuf::from(crate::sys::rootfs::LAMEDUCK_PATH);
    let format = args.output_format();
    let live = scenarios.len() == 1 && format == Format::Text;
    let env = LabEnv { run_dir: run_dir.clone(), stage_dir, self_exe, home_ns, live };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let jobs = args.jobs_or_default();
    let stop = StopHandle::new();
    let colored = args.color.for_stderr();
    let results = runtime.block_on(run_all(scenarios, env, jobs, stop.clone(), colored));
    let mut ok = true;
    let mut done: Vec<crate::result::ScenarioResult> = Vec::new();
    let mut not_started = Vec::new();
    for (name, result) in results {
        match result {
            Ok(None) => not_started.push(name),
            Ok(Some(r)) => {
                let comparison = crate::matrix::is_profile_run(&r.name);
                ok &= r.verdict != Verdict::Interrupted
                    && (comparison || r.verdict != Verdict::NotReproduced);
                done.push(r);
            }
            Err(e) => {
                ok = false;
                let events = run_dir.join(&name).join("events.log");
                let events = if events.exists() {
                    format!(" (its events up to then: {})", events.display())
                } else {
                    String::new()
                };
                eprintln!("lameduck lab: scenario {name} failed: {e:#}{events}");
            }
        }
    }
    if crate::panics::any() {
        // Something in the lab failed; no verdict of this run can be trusted.
        ok = false;
        eprintln!("lameduck lab: internal error: a task of the lab panicked (message above); the run failed");
        for r in &mut done {
            r.verdict = Verdict::LabError;
            r.reason = "a task of the lab panicked during the run".into();
        }
    }
    let dir_text = run_dir.display().to_string();
    let full = LabResult {
        schema_version: crate::result::SCHEMA_VERSION,
        run_dir: dir_text.clone(),
        scenarios: done,
    };
    std::fs::write(run_dir.join("result.json"), serde_json::to_vec_pretty(&full)?)
        .context("write result.json")?;
    let done = full.scenarios;
    let text = match format {
        Format::Json => {
            format!("{}\n", serde_json::to_string_pretty(&Summary::of(&dir_text, &done))?)
        }
        Format::Text => {
            // Without a finished scenario there is no table to show, only the errors above.
            let color = args.color.for_stdout();
            let mut text = if done.is_empty() { String::new() } else { table(&done, color) };
            for r in done.iter().filter(|r| !r.reason.is_empty()) {
                text.push_str(&format!("{}: {}\n", r.name, r.reason));
            }
            text.push_str(&crate::matrix::kinds_text(&done));
            if args.profile.as_deref() == Some(crate::matrix::ALL) {
                text.push_str(&crate::matrix::table(&done));
            }
            text.push_str(&format!(
                "\nrun directory: {dir_text} (events.log and pod logs per scenario, result.json)\n"
            ));
            text
        }
    };
    let printed = emit(&text);
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    printed?;
    if stop.level() > 0 {
        if !not_started.is_empty() {
            eprintln!("lameduck lab: interrupted before they started: {}", not_started.join(", "));
        }
        // What finished is printed above; the run as a whole was cut short.
        return Ok(ExitCode::from(130));
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// A scenario's name and its result; `None` when Ctrl-C came before it started.
type Outcome = (String, Result<Option<crate::result::ScenarioResult>>);

/// Runs the scenarios, `jobs` at a time; after Ctrl-C (`stop`), those not yet started are
/// skipped (`Ok(None)`).
async fn run_all(
    scenarios: Vec<Scenario>,
    env: LabEnv,
    jobs: usize,
    stop: StopHandle,
    colored: bool,
) -> Vec<Outcome> {
    let on_signal = stop.clone();
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
            }
            eprintln!("lameduck lab: stopping the load; finishing terminations and writing results (again to abort)");
            on_signal.stop();
        }
    });
    let permits = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut tasks = Vec::new();
    for s in scenarios {
        let (env, stop, permits) = (env.clone(), stop.clone(), permits.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            let name = s.name.clone();
            if stop.level() > 0 {
                return (name, Ok(None));
            }
            eprintln!("lameduck lab: ▶ {name}");
            let result = crate::runner::run(s, env, stop).await.map(Some);
            match &result {
                Ok(None) => {}
                Ok(Some(r)) => eprintln!(
                    "lameduck lab: ■ {name}: {} requests, {} failed — {}",
                    r.requests,
                    r.failed,
                    crate::color::verdict(r.verdict.name(), r.verdict.name(), colored)
                ),
                // The error itself is printed once, with the others, when every scenario ended.
                Err(_) => eprintln!(
                    "lameduck lab: ■ {name}: could not run (the error follows at the end)"
                ),
            }
            (name, result)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        match t.await {
            Ok(o) => out.push(o),
            Err(e) => out.push(("?".into(), Err(anyhow::anyhow!("scenario task panicked: {e}")))),
        }
    }
    out
}
