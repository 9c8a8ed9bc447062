//! `.lameduck.toml`: turn rules off, change their severity, set the fail level, map images to
//! Dockerfiles.
//!
//! ```toml
//! fail-level = "warning"          # error | warning | info
//! [rules]
//! LD012 = "off"                   # off | error | warning | info
//! LD003 = "error"
//! [images]
//! "registry.example.com/shop/web" = "docker/web/Dockerfile"   # relative to this file
//! ```
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::finding::Severity;
use crate::read::{self, Reach};

/// The name looked for in the current directory when `--config` is not given.
pub const FILE_NAME: &str = ".lameduck.toml";

/// A rule's setting in `[rules]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    Off,
    Severity(Severity),
}

/// The settings of one run.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub fail_level: Option<Severity>,
    pub rules: BTreeMap<String, RuleSetting>,
    /// Image name (without tag) → Dockerfile path (made absolute when possible).
    pub images: BTreeMap<String, PathBuf>,
    /// Rendering Helm charts (set from the command line, not the file).
    pub helm: crate::helm::HelmSettings,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    fail_level: Option<String>,
    #[serde(default)]
    rules: BTreeMap<String, String>,
    #[serde(default)]
    images: BTreeMap<String, String>,
}

/// A config file that cannot be used, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    /// Reads a config file named on the command line.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::read(path, Reach::Named)
    }

    /// Reads the config file found in the current directory, which may be an untrusted
    /// checkout: it must be a regular file that resolves inside `root`.
    pub fn load_found(path: &Path, root: &Path) -> Result<Config, ConfigError> {
        Config::read(path, Reach::Walked { root })
    }

    fn read(path: &Path, reach: Reach) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = read::read(path, reach)
            .map_err(|e| ConfigError::Read { path: shown.clone(), message: e.to_string() })?
            .text;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, base).map_err(|message| ConfigError::Invalid { path: shown, message })
    }

    /// Parses config text; relative image paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut config = Config::default();
        if let Some(level) = raw.fail_level {
            config.fail_level = Some(Severity::parse(&level).ok_or_else(|| {
                format!("fail-level = \"{level}\" is not one of error, warning, info")
            })?);
        }
        for (id, setting) in raw.rules {
            let id = id.to_ascii_uppercase();
            if crate::rules::by_id(&id).is_none() {
                return Err(format!("[rules] names {id}, which is not a rule; `lameduck check --list-rules` shows them"));
            }
            let setting = match setting.as_str() {
                "off" => RuleSetting::Off,
                other => RuleSetting::Severity(Severity::parse(other).ok_or_else(|| {
                    format!("[rules] {id} = \"{other}\" is not one of off, error, warning, info")
                })?),
            };
            config.rules.insert(id, setting);
        }
        for (image, path) in raw.images {
            let joined = base.join(path);
            let resolved = std::fs::canonicalize(&joined).unwrap_or(joined);
            config.images.insert(image, resolved);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let c = Config::parse("fail-level = \"error\"\n[rules]\nld012 = \"off\"\nLD003 = \"info\"\n[images]\n\"a/b\" = \"x/Dockerfile\"\n", Path::new("/r")).unwrap();
        assert_eq!(c.fail_level, Some(Severity::Error));
        assert_eq!(c.rules["LD012"], RuleSetting::Off);
        assert_eq!(c.images["a/b"], PathBuf::from("/r/x/Dockerfile"));
        assert!(Config::parse("[rules]\nLD999 = \"off\"\n", Path::new("/"))
            .unwrap_err()
            .contains("LD999"));
        assert!(Config::parse("[rules]\nLD001 = \"loud\"\n", Path::new("/")).is_err());
        assert!(Config::parse("colour = 1\n", Path::new("/")).is_err());
    }
}
