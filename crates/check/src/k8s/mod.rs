//! Kubernetes objects as the checker sees them: workloads with their pod template, ConfigMaps,
//! Services and Ingresses, each with the spans of the fields rules point at.
mod extract;

pub use extract::{extract, Objects};

use crate::parse::yaml::Node;
use crate::source::Span;

/// A container's preStop hook.
#[derive(Debug, Clone)]
pub enum PreStop {
    Exec {
        argv: Vec<String>,
        span: Span,
    },
    /// The native `sleep` action (Kubernetes 1.30+).
    Sleep {
        seconds: f64,
        span: Span,
    },
    HttpGet {
        span: Span,
    },
}

impl PreStop {
    pub fn span(&self) -> Span {
        match self {
            PreStop::Exec { span, .. }
            | PreStop::Sleep { span, .. }
            | PreStop::HttpGet { span } => *span,
        }
    }
}

/// A `volumeMounts` entry.
#[derive(Debug, Clone)]
pub struct Mount {
    pub volume: String,
    pub mount_path: String,
    pub sub_path: Option<String>,
}

/// A container or init container.
#[derive(Debug, Clone)]
pub struct Container {
    pub name: String,
    /// The `- name:` entry: where container-level findings point.
    pub span: Span,
    pub image: Option<(String, Span)>,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    pub command_span: Option<Span>,
    pub ports: Vec<(u16, Option<String>)>,
    /// `env` entries with a literal `value` (`valueFrom` is not resolved).
    pub env: Vec<(String, String)>,
    pub pre_stop: Option<PreStop>,
    /// `lifecycle.stopSignal` (Kubernetes 1.33+).
    pub stop_signal: Option<(String, Span)>,
    pub has_readiness: bool,
    pub mounts: Vec<Mount>,
    /// An init container with `restartPolicy: Always`: stopped after the main containers.
    pub native_sidecar: bool,
    /// A plain init container: done before the pod serves, irrelevant to shutdown.
    pub plain_init: bool,
}

/// A `volumes` entry that comes from a ConfigMap.
#[derive(Debug, Clone)]
pub struct ConfigMapVolume {
    pub volume: String,
    pub config_map: String,
    /// `items: [{key, path}]`, if given.
    pub items: Vec<(String, String)>,
}

/// Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod.
#[derive(Debug, Clone)]
pub struct Workload {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// `metadata.name` of the workload: where pod-level findings point.
    pub span: Span,
    pub labels: Vec<(String, String)>,
    /// Rule IDs from the `lameduck.dev/ignore` annotation (workload or pod template).
    pub ignored: Vec<String>,
    pub grace_period: Option<(i64, Span)>,
    pub containers: Vec<Container>,
    pub config_map_volumes: Vec<ConfigMapVolume>,
    /// A bare Pod with `restartPolicy: Never` or `OnFailure`: a one-off task, such as the test
    /// Pod a Helm chart runs with `helm test`.
    pub pod_runs_once: bool,
}

impl Workload {
    /// Whether the workload runs to completion, so it has no traffic to drain.
    pub fn is_batch(&self) -> bool {
        self.kind == "Job" || self.kind == "CronJob" || self.pod_runs_once
    }

    /// terminationGracePeriodSeconds, default 30.
    pub fn grace_seconds(&self) -> f64 {
        self.grace_period.map_or(30.0, |(s, _)| s as f64)
    }

    /// Where a finding about the grace period points: the field, else the workload's name.
    pub fn grace_span(&self) -> Span {
        self.grace_period.map_or(self.span, |(_, s)| s)
    }

    /// "terminationGracePeriodSeconds is N", saying when N is the default.
    pub fn grace_text(&self) -> String {
        match self.grace_period {
            Some((s, _)) => format!("terminationGracePeriodSeconds is {s}"),
            None => "terminationGracePeriodSeconds is 30 (the default)".to_string(),
        }
    }
}

/// A ConfigMap's `data` entries.
#[derive(Debug, Clone)]
pub struct ConfigMap {
    pub name: String,
    pub namespace: String,
    pub data: Vec<(String, Node)>,
}

/// A Service's selector.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub namespace: String,
    pub selector: Vec<(String, String)>,
    /// The AWS Load Balancer Controller reads target group settings from the Service too.
    pub annotations: Vec<(String, String, Span)>,
    /// Each port's `targetPort` (a number or a container port's name), else its `port`.
    pub target_ports: Vec<String>,
}

impl Service {
    /// Whether the Service sends traffic to a container port (by number or name). A Service
    /// that lists no ports is taken to reach every port.
    pub fn targets(&self, port: u16, name: Option<&str>) -> bool {
        self.target_ports.is_empty()
            || self
                .target_ports
                .iter()
                .any(|t| t.parse::<u16>().ok() == Some(port) || Some(t.as_str()) == name)
    }
}

/// An Ingress with its annotations and backend Service names.
#[derive(Debug, Clone)]
pub struct Ingress {
    pub name: String,
    pub namespace: String,
    pub annotations: Vec<(String, String, Span)>,
    pub services: Vec<String>,
    /// `spec.ingressClassName`.
    pub class: Option<String>,
    pub span: Span,
}
