//! Reading a scenario file and checking it, with errors that name file, line and a fix.
use std::fmt;
use std::path::Path;

use std::collections::BTreeMap;

use super::images;
use super::{ImageSpec, Invalid, Scenario};

/// Image mappings given on the command line (`--image IMAGE=PROGRAM`); they win over the
/// scenario's own `images:`.
pub type ExtraImages = BTreeMap<String, ImageSpec>;

/// A scenario that could not be loaded: where, what, and what to do.
#[derive(Debug, thiserror::Error)]
pub struct ScenarioError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Reads and checks a scenario file, with `extra` image mappings.
pub fn load_file(path: &Path, extra: &ExtraImages) -> Result<Scenario, ScenarioError> {
    let text = super::manifests::read_bounded(path).map_err(|e| ScenarioError {
        file: path.display().to_string(),
        line: None,
        column: None,
        message: format!("cannot read scenario: {e}"),
        hint: Some("pass a YAML scenario file, or `seeds` for the built-in experiments".into()),
    })?;
    parse_with(&path.display().to_string(), &text, extra)
}

/// The scenario for `lameduck lab DIR`: the Deployment and ConfigMaps in DIR, scaled down to one
/// pod under load (6 requests/s on `/` for 20 s, scale-down at 2 s) behind an ALB that learns
/// of each endpoint removal about 2 s late, expecting no failed request.
pub fn for_manifest_dir(dir: &Path, extra: &ExtraImages) -> Result<Scenario, ScenarioError> {
    let absolute = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let name = absolute
        .file_name()
        .map(|n| object_name(&n.to_string_lossy()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "manifests".into());
    let quoted = serde_yaml::to_string(&absolute.display().to_string()).unwrap_or_default();
    let text = format!(
        "name: {name:?}
description: {desc:?}
article: no failed request
expect: {{failed: none}}
manifests: [{path}]
ingress: {{model: alb, delay: 2s, jitter: 300ms}}
load: {{schedule: \"const(6, 20s)\", uris: [\"/\"]}}
actions: [{{at: 2s, scale: 1}}]
",
        desc = format!("{} under load, scaled down to 1, endpoint lag ~2 s", dir.display()),
        path = quoted.trim(),
    );
    let file = dir.join("(default lab scenario)").display().to_string();
    let mut scenario = parse_with(&file, &text, extra).map_err(|mut e| {
        let more = "for another load, other actions or an image with a command of its own, write a scenario file with `manifests: [DIR]` (docs/lab.md)";
        e.hint = Some(match e.hint.take() {
            Some(h) => format!("{h}\n  hint: {more}"),
            None => more.into(),
        });
        e
    })?;
    // A scale-down needs a pod to delete.
    scenario.replicas = scenario.replicas.max(2);
    Ok(scenario)
}

/// A directory name as an object name: lowercase letters, digits and `-` (`My_Shop` → `my-shop`).
fn object_name(dir: &str) -> String {
    let mapped: String = dir
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .take(63)
        .collect();
    mapped.trim_matches('-').to_string()
}

/// Parses and checks scenario text; `file` names it in errors, and `manifests:` paths are
/// relative to its directory.
pub fn parse_str(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    parse_with(file, text, &ExtraImages::new())
}

/// [`parse_str`] with image mappings from the command line.
pub fn parse_with(file: &str, text: &str, extra: &ExtraImages) -> Result<Scenario, ScenarioError> {
    let base = Path::new(file).parent().unwrap_or(Path::new("."));
    let mut raw: serde_yaml::Value = serde_yaml::from_str(text).unwrap_or(serde_yaml::Value::Null);
    let manifest = super::manifests::expand(&mut raw, base).map_err(|message| ScenarioError {
        file: file.into(),
        line: line_of(text, "manifests"),
        column: None,
        message,
        hint: Some("list Kubernetes manifest files or directories holding one Deployment and its ConfigMaps, relative to the scenario file".into()),
    })?;
    let ingress_given = given_keys(&raw, "ingress");
    // Where a mistake is: the scenario file, or else the Deployment's file it came from.
    let manifest_text = manifest.as_ref().and_then(|m| super::manifests::read_bounded(m).ok());
    let locate = |needle: Option<String>| -> (String, Option<usize>) {
        let Some(needle) = needle else { return (file.into(), None) };
        if let Some(line) = line_of(text, &needle) {
            return (file.into(), Some(line));
        }
        match (&manifest, manifest_text.as_deref().and_then(|t| line_of(t, &needle))) {
            (Some(m), Some(line)) => (m.display().to_string(), Some(line)),
            _ => (file.into(), None),
        }
    };
    // With manifests the merged value is parsed (its errors carry no line); else the text.
    let parsed =
        if manifest.is_some() { serde_yaml::from_value(raw) } else { serde_yaml::from_str(text) };
    let mut scenario: Scenario = parsed.map_err(|e| {
        let location = e.location();
        let message = e.to_string();
        // serde_yaml appends " at line X column Y"; the location is printed in front instead.
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        let (file, line) = match &location {
            Some(l) => (file.to_string(), Some(l.line())),
            None => locate(quoted_field(&message)),
        };
        ScenarioError {
            file,
            line,
            column: location.as_ref().map(|l| l.column()),
            hint: hint_for(&message),
            message,
        }
    })?;
    scenario.images.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    super::profiles::check_lag(&scenario.ingress, &ingress_given)
        .and_then(|()| super::profiles::apply_own(&mut scenario, &ingress_given))
        .and_then(|()| validate(&scenario))
        .map_err(|(message, needle, hint)| {
            let (file, line) = locate(needle);
            ScenarioError { file, line, column: None, message, hint: Some(hint) }
        })?;
    Ok(scenario)
}

/// The keys the mapping under `field` gives (empty when it is absent or not a mapping).
fn given_keys(raw: &serde_yaml::Value, field: &str) -> Vec<String> {
    raw.get(field)
        .and_then(|v| v.as_mapping())
        .map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// `unknown field `x`` → `x:`, to find the field's line.
fn quoted_field(message: &str) -> Option<String> {
    let rest = message.split_once("field `")?.1;
    Some(format!("{}:", rest.split('`').next()?))
}

fn hint_for(message: &str) -> Option<String> {
    if message.contains("unknown field") {
        Some(format!("remove or rename the field; valid fields are listed above (Kubernetes PodSpec names, camelCase){}", typo_fix(message)))
    } else if message.contains("duration") {
        Some("durations look like 1s, 250ms, 1m30s or 1.5s".into())
    } else if message.contains("missing field") {
        Some("add the field; see docs/lab.md for the scenario format".into())
    } else if message.contains("unknown variant") {
        Some(format!("use one of the values listed above{}", typo_fix(message)))
    } else {
        None
    }
}

/// `; did you mean x?` for serde's "unknown field `y`, expected one of `x`, `z`" (or variant).
fn typo_fix(message: &str) -> String {
    let mut quoted = message.split('`').skip(1).step_by(2);
    let Some(typed) = quoted.next() else { return String::new() };
    crate::suggest::did_you_mean(typed, quoted)
}

/// First line (1-based) containing `needle`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

// Long because one check per scenario field, in the order the fields appear in a scenario file, so
// an error reads in file order.
fn validate(s: &Scenario) -> Result<(), Invalid> {
    super::names::check(s)?;
    super::limits::check(s)?;
    s.kubernetes.check()?;
    super::alb::check(&s.ingress)?;
    if s.pod.containers.is_empty() {
        return Err((
            "pod has no containers".into(),
            Some("containers".into()),
            "add at least one entry under pod.containers".into(),
        ));
    }
    let mut names = std::collections::BTreeSet::new();
    for c in s.pod.containers.iter().chain(&s.pod.init_containers) {
        if !names.insert(c.name.as_str()) {
            return Err((
                format!("two containers are named `{}`", c.name),
                Some(format!("name: {}", c.name)),
                "give every container a unique name".into(),
            ));
        }
        if let Err(message) = images::lookup(&c.image, &s.images) {
            let hint = if s.images.contains_key(&c.image) {
                format!("the lab knows {}", images::program_names())
            } else {
                images::unknown_hint(&c.image)
            };
            return Err((message, Some(format!("image: {}", c.image)), hint));
        }
        if let Some(sig) = c.lifecycle.as_ref().and_then(|l| l.stop_signal.as_ref()) {
            if crate::signals::parse(sig).is_none() {
                return Err((
                    format!("unknown stopSignal `{sig}`"),
                    Some(format!("stopSignal: {sig}")),
                    "use a signal name such as SIGTERM or SIGQUIT".into(),
                ));
            }
        }
        if let Some(h) = c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()) {
            match (&h.exec, &h.sleep) {
                (Some(e), None) if e.command.is_empty() => {
                    return Err((
                        format!("container `{}`: preStop exec command is empty", c.name),
                        Some("preStop".into()),
                        "give the command as a list, e.g. [\"/bin/sleep\", \"5\"]".into(),
                    ))
                }
                (Some(_), None) | (None, Some(_)) => {}
                _ => {
                    return Err((
                        format!(
                            "container `{}`: preStop needs exactly one of exec or sleep",
                            c.name
                        ),
                        Some("preStop".into()),
                        "use `exec: {command: [...]}` or `sleep: {seconds: N}`".into(),
                    ))
                }
            }
        }
        for m in &c.volume_mounts {
            let Some(v) = s.pod.volumes.iter().find(|v| v.name == m.name) else {
                return Err((
                    format!("container `{}` mounts unknown volume `{}`", c.name, m.name),
                    Some(format!("name: {}", m.name)),
                    "declare it under pod.volumes".into(),
                ));
            };
            if let Some(cm) = &v.config_map {
                let Some(data) = s.config_maps.get(&cm.name) else {
                    return Err((
                        format!("volume `{}` refers to unknown configMap `{}`", v.name, cm.name),
                        Some(format!("name: {}", cm.name)),
                        "declare it under configMaps (name → file → content)".into(),
                    ));
                };
                if let Some(sub) = &m.sub_path {
                    if !data.contains_key(sub) {
                        return Err((
                            format!("subPath `{sub}` is not a key of configMap `{}`", cm.name),
                            Some(format!("subPath: {sub}")),
                            format!(
                                "keys: {}",
                                data.keys().cloned().collect::<Vec<_>>().join(", ")
                            ),
                        ));
                    }
                }
            }
        }
    }
    for v in &s.pod.volumes {
        if v.config_map.is_none() && v.empty_dir.is_none() {
            return Err((
                format!("volume `{}` has no source", v.name),
                Some(format!("name: {}", v.name)),
                "the lab supports configMap and emptyDir volumes".into(),
            ));
        }
    }
    if !s.pod.containers.iter().any(|c| !c.ports.is_empty()) {
        return Err((
            "no container declares a port for the ingress".into(),
            Some("containers".into()),
            "add ports: [{containerPort: 80}] to the container that serves traffic".into(),
        ));
    }
    for a in &s.actions {
        let kinds = [a.scale.is_some(), a.delete.is_some(), a.rollout.is_some()]
            .iter()
            .filter(|x| **x)
            .count();
        if kinds != 1 {
            return Err((
                format!("action at {} must have exactly one of scale, delete, rollout", a.at),
                Some(format!("at: {}", a.at)),
                "split it into separate actions".into(),
            ));
        }
    }
    if let Err(e) = lameduck_load::Schedule::parse(&s.load.schedule) {
        return Err((format!("bad load schedule: {e}"), Some("schedule".into()), "use Tank steps: const(RPS, DURATION), line(FROM, TO, DURATION), step(FROM, TO, STEP, DURATION)".into()));
    }
    super::mix::check(&s.load)?;
    if s.load.uris.is_empty() || s.load.uris.iter().any(|u| !u.starts_with('/')) {
        return Err((
            "load.uris must be a non-empty list of paths starting with /".into(),
            Some("uris".into()),
            "e.g. uris: [\"/?ms=1500\"]".into(),
        ));
    }
    Ok(())
}
