//! Reads the `phantom` section of a Yandex.Tank `load.yaml`, so an existing Tank test runs
//! unchanged: `address`, `uris`, `headers`, `header_http`, `load_profile` (`load_type: rps`,
//! `schedule`), `timeout`, `ssl`, `ammofile` and `ammo_type`. Anything else is reported as a warning, never silently
//! dropped.
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_yaml::{Mapping, Value};

use crate::ammo::AmmoType;
use crate::durations::parse_duration;
use crate::schedule::Schedule;

/// What a load.yaml asks for, in lameduck's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct TankConfig {
    /// `http://address` or `https://address` with each of `uris` appended.
    pub urls: Vec<String>,
    /// Headers from `headers: ["[Name: value]"]`, Host included (it becomes the Host override).
    pub headers: Vec<(String, String)>,
    pub schedule: Schedule,
    pub timeout: Option<Duration>,
    /// `ammofile` (relative paths resolved against the load.yaml's directory by [`load`]) and
    /// `ammo_type` (Tank's default, `phantom`, when absent).
    pub ammo: Option<(PathBuf, AmmoType)>,
    /// Keys that were present but are not supported, with why.
    pub warnings: Vec<String>,
}

/// A load.yaml that cannot be used: the file, the key and what is expected.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct TankError {
    pub file: String,
    pub message: String,
}

/// Largest load.yaml read: real ones are a few hundred bytes.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Most `[` and `{` in a load.yaml. The YAML parser takes time quadratic in the nesting depth
/// of flow collections (24 s for 100,000 levels); the depth can be no more than their count,
/// which, unlike the depth, a scan cannot be fooled about by quotes.
const MAX_FLOW_OPENERS: usize = 1000;

const SUPPORTED: &[&str] = &[
    "address",
    "uris",
    "headers",
    "header_http",
    "load_profile",
    "timeout",
    "ssl",
    "enabled",
    "ammofile",
    "ammo_type",
];

/// Reads and interprets `path`.
pub fn load(path: &Path) -> Result<TankConfig, TankError> {
    let file = path.display().to_string();
    let text = read_bounded(path).map_err(|message| TankError { file: file.clone(), message })?;
    let mut config = parse(&text).map_err(|message| TankError { file, message })?;
    if let Some((ammo, _)) = config.ammo.as_mut() {
        if ammo.is_relative() {
            *ammo = path.parent().unwrap_or(Path::new(".")).join(&*ammo);
        }
    }
    Ok(config)
}

/// Reads at most [`MAX_FILE_BYTES`] (a named pipe or /dev/zero must not fill memory).
fn read_bounded(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "larger than {} KiB; a load.yaml is a few hundred bytes",
            MAX_FILE_BYTES / 1024
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))
}

/// Rejects text with more than [`MAX_FLOW_OPENERS`] flow-collection openers, naming where the
/// limit was crossed, before the YAML parser sees it.
fn check_flow_openers(text: &str) -> Result<(), String> {
    let Some((at, _)) = text.match_indices(['[', '{']).nth(MAX_FLOW_OPENERS) else {
        return Ok(());
    };
    let line = text[..at].matches('\n').count() + 1;
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let column = text[line_start..at].chars().count() + 1;
    Err(format!(
        "line {line}, column {column}: more than {MAX_FLOW_OPENERS} `[` and `{{` in the file; \
         flow collections nested this deep would make the YAML parser crawl (a load.yaml needs \
         a few)"
    ))
}

/// Interprets load.yaml text; errors name the key at fault.
// Long because one arm per key of Tank's load.yaml that lameduck reads.
pub fn parse(text: &str) -> Result<TankConfig, String> {
    check_flow_openers(text)?;
    let root: Value = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(at) => format!("line {}, column {}: invalid YAML: {e}", at.line(), at.column()),
        None => format!("invalid YAML: {e}"),
    })?;
    let root =
        root.as_mapping().ok_or("expected a mapping with a `phantom:` section at the top")?;
    let mut warnings = Vec::new();
    for key in root.keys().filter_map(Value::as_str).filter(|k| *k != "phantom") {
        warnings.push(format!("section `{key}` is ignored (only `phantom` is supported)"));
    }
    let phantom = root
        .get("phantom")
        .ok_or("no `phantom:` section; lameduck reads the phantom section of load.yaml")?
        .as_mapping()
        .ok_or("`phantom` must be a mapping of settings (check the indentation)")?;
    for key in phantom.keys().filter_map(Value::as_str) {
        if !SUPPORTED.contains(&key) {
            warnings.push(format!("phantom.{key} is not supported and is ignored"));
        }
    }

    let ssl = match phantom.get("ssl") {
        None => false,
        Some(v) => v.as_bool().ok_or("phantom.ssl must be true or false")?,
    };
    let address = string(phantom, "address")?.ok_or("phantom.address is required (host[:port])")?;
    let base = address_to_base(&address, ssl)?;
    let uris = match phantom.get("uris") {
        None => vec!["/".to_string()],
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|u| u.as_str().map(str::to_string).ok_or("phantom.uris must be a list of paths"))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("phantom.uris must be a list of paths such as `- /`".into()),
    };
    let urls = uris
        .iter()
        .map(|uri| {
            if uri.starts_with('/') {
                Ok(format!("{base}{uri}"))
            } else {
                Err(format!("phantom.uris entry `{uri}` must start with `/`"))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut headers = Vec::new();
    if let Some(list) = phantom.get("headers") {
        let list =
            list.as_sequence().ok_or("phantom.headers must be a list of \"[Name: value]\"")?;
        for item in list {
            let raw = item.as_str().ok_or("phantom.headers entries must be strings")?;
            let inner = raw.trim().strip_prefix('[').and_then(|r| r.strip_suffix(']')).ok_or_else(
                || format!("phantom.headers entry `{raw}` must look like \"[Name: value]\""),
            )?;
            let header = crate::target::parse_header(inner)
                .map_err(|e| format!("phantom.headers entry `{raw}`: {e}"))?;
            headers.push(header);
        }
    }
    if let Some(version) = string(phantom, "header_http")? {
        if version != "1.1" {
            warnings
                .push(format!("phantom.header_http `{version}`: lameduck always sends HTTP/1.1"));
        }
    }

    let profile = phantom
        .get("load_profile")
        .ok_or("phantom.load_profile is required (load_type: rps, schedule: ...)")?
        .as_mapping()
        .ok_or("phantom.load_profile must be a mapping with load_type and schedule")?;
    match string(profile, "load_type")?.as_deref() {
        Some("rps") => {}
        Some(other) => {
            return Err(format!(
                "phantom.load_profile.load_type `{other}` is not supported: lameduck is open-loop \
                 and supports only `rps`"
            ))
        }
        None => return Err("phantom.load_profile.load_type is required (rps)".into()),
    }
    let schedule_text =
        string(profile, "schedule")?.ok_or("phantom.load_profile.schedule is required")?;
    let schedule = Schedule::parse(&schedule_text)
        .map_err(|e| format!("phantom.load_profile.schedule `{schedule_text}`: {}", e.message))?;
    let timeout = match string(phantom, "timeout")? {
        None => None,
        Some(t) => Some(parse_duration(&t).map_err(|e| format!("phantom.timeout: {e}"))?),
    };
    let ammo_type = match string(phantom, "ammo_type")? {
        Some(name) => AmmoType::parse(&name).map_err(|e| format!("phantom.ammo_type: {e}"))?,
        None => AmmoType::Phantom,
    };
    let ammo = match string(phantom, "ammofile")? {
        Some(file) if file.contains("://") => {
            return Err(format!(
                "phantom.ammofile `{file}`: lameduck reads local ammo files only; download it \
                 first"
            ))
        }
        Some(file) => {
            if phantom.get("uris").is_some() {
                warnings
                    .push("phantom.uris is ignored: phantom.ammofile gives the requests".into());
            }
            Some((PathBuf::from(file), ammo_type))
        }
        None => None,
    };
    Ok(TankConfig { urls, headers, schedule, timeout, ammo, warnings })
}

/// A scalar setting as text (YAML numbers and booleans included), if present.
fn string(map: &Mapping, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(format!("`{key}` must be a single value, not a list or mapping")),
    }
}

fn address_to_base(address: &str, ssl: bool) -> Result<String, String> {
    let address = address.trim();
    if address.contains("://") {
        return Err(format!(
            "phantom.address `{address}` must be host[:port] without a scheme (use ssl: true \
             for https)"
        ));
    }
    if address.is_empty() || address.contains('/') {
        return Err(format!("phantom.address `{address}` must be host[:port]"));
    }
    Ok(format!("{}://{address}", if ssl { "https" } else { "http" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_it_cannot_run_with_the_key_at_fault() {
        let cases = [
            ("phantom: [1]", "`phantom` must be a mapping"),
            ("console: {}", "no `phantom:`"),
            ("phantom:\n  uris: [/]\n", "phantom.address is required"),
            ("phantom:\n  address: h\n", "load_profile is required"),
            (
                "phantom:\n  address: h\n  load_profile: {load_type: instances, schedule: x}\n",
                "only `rps`",
            ),
            (
                "phantom:\n  address: h\n  load_profile: {load_type: rps, schedule: 'const(1)'}\n",
                "takes 2 arguments",
            ),
            ("phantom:\n  address: http://h\n", "without a scheme"),
            ("phantom:\n address: h\n  uris: x", "line 3"),
        ];
        for (text, message) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(message), "{text}: {err}");
        }
    }

    #[test]
    fn ammofile_and_ammo_type_are_read_with_tanks_default_type() {
        let base =
            "phantom:\n  address: h\n  load_profile: {load_type: rps, schedule: 'const(1,1s)'}\n";
        let with = |extra: &str| parse(&format!("{base}{extra}"));
        assert_eq!(with("").unwrap().ammo, None);
        let config = with("  ammofile: ammo.txt\n").unwrap();
        assert_eq!(config.ammo, Some((PathBuf::from("ammo.txt"), AmmoType::Phantom)));
        let config = with("  ammofile: a\n  ammo_type: uripost\n").unwrap();
        assert_eq!(config.ammo, Some((PathBuf::from("a"), AmmoType::Uripost)));
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        let err = with("  ammofile: a\n  ammo_type: uri_post\n").unwrap_err();
        assert!(err.contains("did you mean uripost?"), "{err}");
        let err = with("  ammofile: https://example.com/ammo\n").unwrap_err();
        assert!(err.contains("local ammo files only"), "{err}");
    }

    #[test]
    fn deep_nesting_is_rejected_before_parsing() {
        // 100,000 levels took the YAML parser 24 s to reject.
        for (open, close) in [("[", "]"), ("{a: ", "}")] {
            let text =
                format!("phantom:\n  uris: {}{}\n", open.repeat(100_000), close.repeat(100_000));
            let err = parse(&text).unwrap_err();
            let column = "  uris: ".len() + open.len() * MAX_FLOW_OPENERS + 1;
            assert!(err.starts_with(&format!("line 2, column {column}: more than 1000")), "{err}");
        }
        let headers = (0..100).map(|i| format!("\"[X-{i}: v]\", ")).collect::<String>();
        let text = format!(
            "phantom:\n  address: h\n  headers: [{headers}]\n  load_profile: \
             {{load_type: rps, schedule: 'const(1,1s)'}}\n"
        );
        assert_eq!(parse(&text).unwrap().headers.len(), 100);
    }

    #[test]
    fn files_over_a_mebibyte_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("load.yaml");
        std::fs::write(&path, format!("phantom:\n  address: h\n#{}\n", "x".repeat(1 << 20)))
            .unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.message.contains("larger than 1024 KiB"), "{err}");
        assert!(err.to_string().starts_with(&path.display().to_string()), "{err}");
    }
}
