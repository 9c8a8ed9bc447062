//! `kubernetes:` — which Kubernetes the lab behaves like: its version and feature gates.
//!
//! Some Pod fields exist only behind a feature gate. With the gate off the API server drops
//! them when the pod is created (`pkg/api/pod/util.go`: `dropContainerStopSignals` clears
//! `lifecycle.stopSignal` unless `ContainerStopSignals` is enabled), so the kubelet never sees
//! them. Without `kubernetes:` the lab behaves like the newest release with its default gates.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ContainerSpec, Invalid};

/// Alpha in 1.33, off by default: `lifecycle.stopSignal`.
pub const CONTAINER_STOP_SIGNALS: &str = "ContainerStopSignals";

/// The gates the lab models: name, the minor version that introduced it, default.
const GATES: &[(&str, u32, bool)] = &[(CONTAINER_STOP_SIGNALS, 33, false)];

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(
    expecting = "{version: \"1.33\", featureGates: {...}}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct KubernetesSpec {
    /// `1.33`; by default the newest release.
    #[serde(default)]
    pub version: Option<String>,
    /// Gate name → enabled, as `--feature-gates` on the API server and kubelet.
    #[serde(default)]
    pub feature_gates: BTreeMap<String, bool>,
}

impl KubernetesSpec {
    /// Whether `gate` is enabled: as set, else its default.
    pub fn gate(&self, gate: &str) -> bool {
        let default = GATES.iter().find(|(name, ..)| *name == gate).is_some_and(|g| g.2);
        self.feature_gates.get(gate).copied().unwrap_or(default)
    }

    /// `lifecycle.stopSignal` as the kubelet receives it, and the event to log when the API
    /// server dropped it.
    pub fn stop_signal<'a>(&self, c: &'a ContainerSpec) -> (Option<&'a str>, Option<String>) {
        let field = c.lifecycle.as_ref().and_then(|l| l.stop_signal.as_deref());
        match field {
            Some(_) if !self.gate(CONTAINER_STOP_SIGNALS) => (
                None,
                Some(format!(
                    "lifecycle.stopSignal dropped: feature gate {CONTAINER_STOP_SIGNALS} is off"
                )),
            ),
            _ => (field, None),
        }
    }

    /// Known gates only, and none enabled before the version that introduced it.
    pub fn check(&self) -> Result<(), Invalid> {
        let minor = match &self.version {
            Some(v) => Some(minor_version(v).ok_or_else(|| {
                (
                    format!("kubernetes.version `{v}` is not a version like 1.33"),
                    Some("version:".into()),
                    "write the release as MAJOR.MINOR, e.g. \"1.33\" (quoted)".into(),
                )
            })?),
            None => None,
        };
        for (name, &enabled) in &self.feature_gates {
            let Some(&(_, since, _)) = GATES.iter().find(|(known, ..)| known == name) else {
                let known: Vec<&str> = GATES.iter().map(|g| g.0).collect();
                return Err((
                    format!("unknown feature gate `{name}`"),
                    Some(format!("{name}:")),
                    format!("the lab models these gates: {}", known.join(", ")),
                ));
            };
            if enabled && minor.is_some_and(|m| m < since) {
                return Err((
                    format!(
                        "feature gate {name} exists from Kubernetes 1.{since}, not in {}",
                        self.version.as_deref().unwrap_or_default()
                    ),
                    Some(format!("{name}:")),
                    format!(
                        "set kubernetes.version to \"1.{since}\" or later, or turn the gate off"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `1.33` → 33 (Kubernetes 1.x only).
fn minor_version(version: &str) -> Option<u32> {
    let (major, rest) = version.trim_start_matches('v').split_once('.')?;
    let minor = rest.split('.').next()?;
    (major == "1").then(|| minor.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_default_off_and_need_their_release() {
        let default = KubernetesSpec::default();
        assert!(!default.gate(CONTAINER_STOP_SIGNALS));
        let on = |version: &str| KubernetesSpec {
            version: Some(version.into()),
            feature_gates: [(CONTAINER_STOP_SIGNALS.to_string(), true)].into(),
        };
        assert!(on("1.33").check().is_ok() && on("1.33").gate(CONTAINER_STOP_SIGNALS));
        assert!(on("1.32").check().unwrap_err().0.contains("from Kubernetes 1.33"));
        assert!(on("one").check().is_err());
        let typo = KubernetesSpec {
            version: None,
            feature_gates: [("ContainerStopSignal".to_string(), true)].into(),
        };
        assert!(typo.check().unwrap_err().2.contains(CONTAINER_STOP_SIGNALS));
    }
}
