//! Turns command-line arguments (and an optional Tank load.yaml) into a [`Plan`] and
//! thresholds, with an error that names the offending input for anything unusable.
use miette::Report as Diagnostic;

use crate::durations::parse_duration;
use crate::plan::{ExecAt, Shard};
use crate::schedule::Schedule;
use crate::target::parse_header;
use crate::thresholds::Threshold;
use crate::Plan;

use super::Args;

pub(super) struct Built {
    pub plan: Plan,
    pub thresholds: Vec<Threshold>,
    pub warnings: Vec<String>,
}

// Long because one step per group of flags, in the order the plan needs them.
pub(super) fn plan(args: &Args) -> Result<Built, Diagnostic> {
    let tank = match &args.tank {
        Some(path) => Some(crate::tank::load(path).map_err(|e| miette::miette!("{e}"))?),
        None => None,
    };
    let mut warnings = tank.as_ref().map(|t| t.warnings.clone()).unwrap_or_default();

    let schedule = match (&args.schedule, &tank) {
        (Some(text), _) => Schedule::parse(text).map_err(Diagnostic::new)?,
        (None, Some(tank)) => tank.schedule.clone(),
        (None, None) => {
            return Err(miette::miette!(
                help = "e.g. --schedule 'const(100,30s)' or --tank load.yaml",
                "no schedule given"
            ))
        }
    };

    let mut urls = args.urls.clone();
    if urls.is_empty() {
        if let Some(tank) = &tank {
            urls = tank.urls.clone();
        }
    }
    if let Some(path) = &args.uris_file {
        urls = super::files::read_uris(path, &urls).map_err(|e| miette::miette!("{e}"))?;
    }
    if urls.is_empty() {
        return Err(miette::miette!(
            help = "e.g. lameduck load http://127.0.0.1:8080/ -s 'const(10,10s)'",
            "no target URL given"
        ));
    }
    let mut plan = Plan::new(&urls, schedule).map_err(|e| miette::miette!("{e}"))?;

    let mut headers = tank.as_ref().map(|t| t.headers.clone()).unwrap_or_default();
    for text in &args.headers {
        let (name, value) = parse_header(text).map_err(|e| miette::miette!("--header: {e}"))?;
        // A header given on the command line replaces the same header from load.yaml.
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        headers.push((name, value));
    }
    if let Some(position) = headers.iter().position(|(n, _)| n.eq_ignore_ascii_case("host")) {
        let (_, host) = headers.remove(position);
        plan.host = Some(host);
    }
    if let Some(host) = &args.host {
        if host.is_empty() || host.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(miette::miette!("--host `{host}` must be a host name without spaces"));
        }
        plan.host = Some(host.clone());
    }
    plan.headers = headers;
    plan.method = args.method.clone();
    plan.keepalive = !args.no_keepalive;
    plan.max_in_flight = args.max_in_flight;
    plan.when_full = args.when_full;
    plan.insecure = args.insecure;
    plan.body = match (&args.body, &args.body_file) {
        (Some(body), _) => body.clone().into_bytes(),
        (None, Some(path)) => std::fs::read(path)
            .map_err(|e| miette::miette!("--body-file {}: cannot read: {e}", path.display()))?,
        (None, None) => Vec::new(),
    };
    let timeout_given = args.timeout != "11s";
    plan.timeout = match (&tank, timeout_given) {
        (Some(tank), false) if tank.timeout.is_some() => tank.timeout.unwrap_or(plan.timeout),
        _ => parse_duration(&args.timeout).map_err(|e| miette::miette!("--timeout: {e}"))?,
    };
    for pair in args.exec_at.chunks(2) {
        let [offset, command] = pair else { continue };
        let at = parse_duration(offset).map_err(|e| miette::miette!("--exec-at {offset}: {e}"))?;
        if command.trim().is_empty() {
            return Err(miette::miette!("--exec-at {offset}: the command is empty"));
        }
        plan.exec_at.push(ExecAt { at, command: command.clone() });
    }
    let ammo = match (&args.ammo, tank.as_ref().and_then(|t| t.ammo.as_ref())) {
        (Some(path), _) => Some((path.clone(), args.ammo_type)),
        (None, Some(from_tank)) => Some(from_tank.clone()),
        (None, None) => None,
    };
    if let Some((path, kind)) = ammo {
        plan.ammo = crate::ammo::load(&path, kind).map_err(|e| miette::miette!("--ammo {e}"))?;
        if urls.len() > 1 {
            warnings.push(format!(
                "ammo requests all go to {}; the other URLs are not used",
                plan.targets[0].authority()
            ));
        }
    }
    if let Some(shard) = &args.shard {
        plan.shard = Some(Shard::parse(shard).map_err(|e| miette::miette!("--shard {e}"))?);
    }
    plan.validate().map_err(|e| miette::miette!("{e}"))?;
    if plan.keepalive && plan.max_in_flight > 10_000 {
        warnings.push(format!(
            "--max-in-flight {} may open that many connections; check `ulimit -n`",
            plan.max_in_flight
        ));
    }
    let thresholds = args
        .fail_on
        .iter()
        .map(|t| Threshold::parse(t).map_err(Diagnostic::new))
        .collect::<Result<_, _>>()?;
    Ok(Built { plan, thresholds, warnings })
}
