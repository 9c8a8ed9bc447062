//! `.lameduck-check.toml`, `lameduck check`'s settings at the root of a repository: turn rules
//! off, change their severity, set the fail level, map images to Dockerfiles. (`lameduck.toml`
//! is another file: `lameduck run`'s config, inside the image.)
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
pub const FILE_NAME: &str = ".lameduck-check.toml";
/// The name it had before, still read: one letter from `lameduck.toml`, which configures
/// `lameduck run`, it was too easy to confuse.
pub const OLD_FILE_NAME: &str = ".lameduck.toml";

/// The settings file in the current directory, if any, and a note to print when it goes by its
/// old name. `symlink_metadata`: a dangling symlink is still a settings file that cannot be read.
pub fn found_here() -> Option<(PathBuf, Option<String>)> {
    let present = |name: &str| Path::new(name).symlink_metadata().is_ok();
    if present(FILE_NAME) {
        return Some((PathBuf::from(FILE_NAME), None));
    }
    present(OLD_FILE_NAME).then(|| {
        let note = format!(
            "reading {OLD_FILE_NAME}, the old name of {FILE_NAME}; rename it (lameduck.toml \
             without the dot is `lameduck run`'s config)"
        );
        (PathBuf::from(OLD_FILE_NAME), Some(note))
    })
}

/// A rule's setting in `[rules]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    Off,
    Severity(Severity),
}

/// The settings of one run.
#[derive(Debug, Clone, Default)]
pub struct Settings {
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
pub enum SettingsError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Settings {
    /// Reads a config file named on the command line.
    pub fn load(path: &Path, is_rule: fn(&str) -> bool) -> Result<Settings, SettingsError> {
        Settings::read(path, Reach::Named, is_rule)
    }

    /// Reads the config file found in the current directory, which may be an untrusted
    /// checkout: it must be a regular file that resolves inside `root`.
    pub fn load_found(
        path: &Path,
        root: &Path,
        is_rule: fn(&str) -> bool,
    ) -> Result<Settings, SettingsError> {
        Settings::read(path, Reach::Walked { root }, is_rule)
    }

    fn read(
        path: &Path,
        reach: Reach,
        is_rule: fn(&str) -> bool,
    ) -> Result<Settings, SettingsError> {
        let shown = path.display().to_string();
        let text = read::read(path, reach)
            .map_err(|e| SettingsError::Read { path: shown.clone(), message: e.to_string() })?
            .text;
        let base = path.parent().unwrap_or(Path::new("."));
        Settings::parse(&text, base, is_rule)
            .map_err(|message| SettingsError::Invalid { path: shown, message })
    }

    /// Parses config text; relative image paths are resolved against `base`.
    /// `is_rule` tells a rule id from a typo (the rules are not this module's business).
    pub fn parse(text: &str, base: &Path, is_rule: fn(&str) -> bool) -> Result<Settings, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut config = Settings::default();
        if let Some(level) = raw.fail_level {
            config.fail_level = Some(Severity::parse(&level).ok_or_else(|| {
                format!("fail-level = \"{level}\" is not one of error, warning, info")
            })?);
        }
        for (id, setting) in raw.rules {
            let id = id.to_ascii_uppercase();
            if !is_rule(&id) {
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
        let c = Settings::parse("fail-level = \"error\"\n[rules]\nld012 = \"off\"\nLD003 = \"info\"\n[images]\n\"a/b\" = \"x/Dockerfile\"\n", Path::new("/r"), crate::rules::is_rule).unwrap();
        assert_eq!(c.fail_level, Some(Severity::Error));
        assert_eq!(c.rules["LD012"], RuleSetting::Off);
        assert_eq!(c.images["a/b"], PathBuf::from("/r/x/Dockerfile"));
        assert!(Settings::parse(
            "[rules]\nLD999 = \"off\"\n",
            Path::new("/"),
            crate::rules::is_rule
        )
        .unwrap_err()
        .contains("LD999"));
        assert!(Settings::parse(
            "[rules]\nLD001 = \"loud\"\n",
            Path::new("/"),
            crate::rules::is_rule
        )
        .is_err());
        assert!(Settings::parse("colour = 1\n", Path::new("/"), crate::rules::is_rule).is_err());
    }
}
