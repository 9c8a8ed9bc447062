//! The scenario file: a Kubernetes pod template plus what the lab needs around it (files,
//! ingress, replicas, load, timed actions, and what the run is expected to show).
//!
//! Pod fields use Kubernetes PodSpec names and meanings so a pod template can be pasted in.
//! Unknown fields are errors, reported with file, line and the list of valid fields.
pub mod alb;
pub mod duration;
pub mod images;
pub mod kubernetes;
pub mod limits;
pub mod manifests;
pub mod mix;
pub mod names;
pub mod parse;
pub mod profiles;
pub mod spread;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use duration::Dur;
pub use parse::{for_manifest_dir, load_file, parse_str, parse_with, ExtraImages, ScenarioError};
pub use spread::Spread;

/// A problem found in a loaded scenario: message, text to find its line by, and what to do.
/// Here rather than in `parse`, so the modules that check one part of a scenario do not
/// depend on the parser that calls them.
pub(crate) type Invalid = (String, Option<String>, String);

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "a scenario: name, load, pod, ...",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// What the article reports for this setup (shown in the `seeds` table).
    #[serde(default)]
    pub article: String,
    #[serde(default)]
    pub expect: Option<Expect>,
    /// Seeds jitter, container order and every other random choice.
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default = "default_replicas")]
    pub replicas: u32,
    /// A cluster profile (`eks-alb`, `ingress-nginx`, `haproxy`): its data plane and endpoint
    /// lag, under the `ingress:` fields given here (see `profiles.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default)]
    pub ingress: IngressSpec,
    pub load: LoadSpec,
    #[serde(default)]
    pub actions: Vec<Action>,
    /// ConfigMaps the pod's `volumes` refer to: name → file name → content.
    #[serde(default)]
    pub config_maps: BTreeMap<String, BTreeMap<String, String>>,
    /// Overrides or extends the image table: image → program name or command.
    #[serde(default)]
    pub images: BTreeMap<String, ImageSpec>,
    /// Kubernetes manifests (files or directories) the pod, replicas and ConfigMaps come from;
    /// consumed while loading (see `manifests.rs`), so never set on a loaded scenario.
    #[serde(default, skip_serializing)]
    pub manifests: Vec<String>,
    /// The Kubernetes release and feature gates the lab behaves like (default: newest).
    #[serde(default)]
    pub kubernetes: kubernetes::KubernetesSpec,
    pub pod: PodSpec,
}

fn default_seed() -> u64 {
    1
}
fn default_replicas() -> u32 {
    1
}

/// What a run must show for the verdict `reproduced`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "an expectation such as {failed: none}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct Expect {
    /// `some` failed requests, or `none`.
    pub failed: ExpectFailed,
    /// Every deleted pod must take at least this long to terminate.
    #[serde(default)]
    pub termination_at_least: Option<Dur>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(expecting = "`some` or `none`", rename_all = "lowercase")]
pub enum ExpectFailed {
    Some,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(
    expecting = "`alb`, `nginx`, `haproxy`, `nginx-model` or `service`",
    rename_all = "kebab-case"
)]
pub enum IngressModel {
    #[default]
    Alb,
    /// The in-process model of ingress-nginx's retries.
    NginxModel,
    /// The real nginx, configured as ingress-nginx configures it.
    Nginx,
    /// The real HAProxy with haproxy-ingress's defaults.
    Haproxy,
    /// No proxy: a ClusterIP Service, programmed with nftables as kube-proxy's nftables mode
    /// does.
    Service,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "ingress settings such as {model: alb, delay: 1s}",
    deny_unknown_fields,
    rename_all = "camelCase",
    default
)]
pub struct IngressSpec {
    pub model: IngressModel,
    /// Backend propagation delay: from deletion until the ingress stops picking the pod.
    pub delay: Dur,
    /// Up to this much extra delay, seeded, per endpoint change.
    pub jitter: Dur,
    /// The propagation delay drawn from a distribution, seeded, per endpoint change; replaces
    /// `delay` and `jitter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag: Option<Spread>,
    /// Idle keep-alive connections to targets are closed after this long.
    pub idle_timeout: Dur,
    /// No response head from the target within this long → 504.
    pub timeout: Dur,
    /// Reuse connections to targets (an ALB always does).
    pub keepalive: bool,
    /// `alb`: how long a deregistering target keeps its requests in flight (default 300 s).
    pub deregistration_delay: Dur,
    /// `alb`: targets receive traffic once they pass these health checks (absent: at once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check: Option<alb::HealthCheck>,
    /// `alb`: the pod is Ready for a rollout only once its target is healthy.
    pub readiness_gate: bool,
}

impl Default for IngressSpec {
    fn default() -> Self {
        Self {
            model: IngressModel::Alb,
            delay: Dur::from_millis(1000),
            jitter: Dur::from_millis(0),
            lag: None,
            idle_timeout: Dur::from_millis(60_000),
            timeout: Dur::from_millis(10_000),
            keepalive: true,
            deregistration_delay: alb::DEFAULT_DEREGISTRATION_DELAY,
            health_check: None,
            readiness_gate: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "load settings such as {schedule: \"const(6, 10s)\"}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct LoadSpec {
    /// Yandex.Tank schedule, e.g. `const(10, 12s)` or `line(1, 20, 10s) const(20, 5s)`.
    pub schedule: String,
    #[serde(default = "default_uris")]
    pub uris: Vec<String>,
    /// Client keep-alive, for every request that does not say otherwise.
    #[serde(default = "yes")]
    pub keepalive: bool,
    #[serde(default = "default_load_timeout")]
    pub timeout: Dur,
    /// A mix of requests instead of `uris`: each send picks one, seeded, by weight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<RequestSpec>,
    /// How long each request works, drawn per send (seeded) and passed to the app as
    /// `ms=N` in the query string, which the built-in app's index.php reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Spread>,
}

/// One kind of request in `load.requests`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "a request such as {method: POST, uri: /, body: 4KiB, weight: 1}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct RequestSpec {
    #[serde(default)]
    pub method: Method,
    #[serde(default = "root_path")]
    pub uri: String,
    /// Bytes of body: a number, or `512B`, `4KiB`, `1MiB`.
    #[serde(default)]
    pub body: ByteSize,
    #[serde(default = "one")]
    pub weight: u32,
    /// Client keep-alive for this kind (default: `load.keepalive`). Off, each request goes on
    /// a new connection and says `Connection: close`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<bool>,
}

/// The methods a request mix may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(expecting = "GET, POST, PUT, PATCH or DELETE", rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// A size in bytes: a number, or text such as `512B`, `4KiB`, `1MiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub fn parse(text: &str) -> Result<ByteSize, String> {
        let text = text.trim();
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let scale = match unit.trim() {
            "" | "B" => 1,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            other => {
                return Err(format!(
                    "unknown size unit `{other}` in `{text}`; sizes look like 512B, 4KiB or 1MiB"
                ))
            }
        };
        let number: u64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a size; sizes look like 512B, 4KiB or 1MiB"))?;
        number.checked_mul(scale).map(ByteSize).ok_or_else(|| format!("`{text}` is too large"))
    }
}

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            n if n >= 1 << 20 && n % (1 << 20) == 0 => write!(f, "{}MiB", n >> 20),
            n if n >= 1 << 10 && n % (1 << 10) == 0 => write!(f, "{}KiB", n >> 10),
            n => write!(f, "{n}B"),
        }
    }
}

impl Serialize for ByteSize {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(ByteSize(n)),
            Raw::Text(t) => ByteSize::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

fn default_uris() -> Vec<String> {
    vec!["/".into()]
}
fn yes() -> bool {
    true
}
fn default_load_timeout() -> Dur {
    Dur::from_millis(10_000)
}

/// One timed action; exactly one of `scale`, `delete`, `rollout`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "an action such as {at: 2s, scale: 1}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct Action {
    pub at: Dur,
    #[serde(default)]
    pub scale: Option<u32>,
    /// A pod name (`pod-2`) or `newest` / `oldest`.
    #[serde(default)]
    pub delete: Option<String>,
    #[serde(default)]
    pub rollout: Option<Rollout>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "rollout settings such as {maxSurge: 1, maxUnavailable: 0}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct Rollout {
    #[serde(default = "one")]
    pub max_surge: u32,
    #[serde(default)]
    pub max_unavailable: u32,
}

fn one() -> u32 {
    1
}

/// An image under `images:`: the name of a program the lab knows (`php-fpm`: the image runs
/// as that program's official image does), or a command of its own.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ImageSpec {
    Program(String),
    Command(CommandImage),
}

/// A string is a program name, a mapping a [`CommandImage`]; decoding the mapping directly
/// keeps its errors (unknown field, line) as precise as any other field's.
impl<'de> Deserialize<'de> for ImageSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ImageSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(
                    f,
                    "a program the lab knows ({}) or {{command: [...]}}",
                    images::program_names()
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ImageSpec, E> {
                Ok(ImageSpec::Program(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ImageSpec, A::Error> {
                CommandImage::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(ImageSpec::Command)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(expecting = "{command: [...]}", deny_unknown_fields, rename_all = "camelCase")]
pub struct CommandImage {
    /// The image's ENTRYPOINT + CMD as a local command.
    pub command: Vec<String>,
    #[serde(default)]
    pub stop_signal: Option<String>,
    /// Directories the image owns (kept private with a tmpfs in each container).
    #[serde(default)]
    pub scratch: Vec<String>,
    /// Programs the image has on its PATH, as local commands: `php-fpm: [php-fpm, -y, …]`
    /// makes a process the container starts by the name `php-fpm` run that command instead.
    #[serde(default)]
    pub programs: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(expecting = "a pod spec with containers", deny_unknown_fields, rename_all = "camelCase")]
pub struct PodSpec {
    pub containers: Vec<ContainerSpec>,
    #[serde(default)]
    pub init_containers: Vec<ContainerSpec>,
    #[serde(default)]
    pub termination_grace_period_seconds: Option<u64>,
    #[serde(default)]
    pub volumes: Vec<Volume>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "a container with name and image",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub args: Option<Vec<String>>,
    #[serde(default)]
    pub ports: Vec<ContainerPort>,
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub lifecycle: Option<Lifecycle>,
    #[serde(default)]
    pub readiness_probe: Option<Probe>,
    #[serde(default)]
    pub volume_mounts: Vec<VolumeMount>,
    /// `Always` on an init container makes it a native sidecar.
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// Accepted so pasted templates load; the lab does not enforce resources.
    #[serde(default, skip_serializing)]
    pub resources: Option<serde_yaml::Value>,
    /// Accepted so pasted templates load; the lab does not pull images.
    #[serde(default, skip_serializing)]
    pub image_pull_policy: Option<String>,
    /// Accepted so pasted templates load; the lab does not restart containers.
    #[serde(default, skip_serializing)]
    pub liveness_probe: Option<serde_yaml::Value>,
    /// Accepted so pasted templates load; the lab's readiness polling covers start-up.
    #[serde(default, skip_serializing)]
    pub startup_probe: Option<serde_yaml::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "a port such as {containerPort: 80}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct ContainerPort {
    pub container_port: u16,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(expecting = "an environment variable such as {name: X, value: \"1\"}", deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "lifecycle settings such as {preStop: ...}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct Lifecycle {
    #[serde(default)]
    pub pre_stop: Option<Handler>,
    /// Kubernetes 1.33+ behind the `ContainerStopSignals` gate (off by default): overrides the
    /// image's STOPSIGNAL; dropped when the gate is off (see `kubernetes.rs`).
    #[serde(default)]
    pub stop_signal: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "a hook: {exec: {command: [...]}} or {sleep: {seconds: N}}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct Handler {
    #[serde(default)]
    pub exec: Option<ExecAction>,
    #[serde(default)]
    pub sleep: Option<SleepAction>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(expecting = "{command: [...]}", deny_unknown_fields)]
pub struct ExecAction {
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(expecting = "{seconds: N}", deny_unknown_fields)]
pub struct SleepAction {
    pub seconds: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "a probe such as {httpGet: {path: /, port: 80}}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct Probe {
    #[serde(default)]
    pub http_get: Option<HttpGet>,
    #[serde(default)]
    pub tcp_socket: Option<TcpSocket>,
    #[serde(default)]
    pub initial_delay_seconds: u64,
    #[serde(default = "default_period")]
    pub period_seconds: u64,
    #[serde(default = "default_probe_timeout")]
    pub timeout_seconds: u64,
    #[serde(default = "one")]
    pub success_threshold: u32,
    #[serde(default = "default_failure_threshold")]
    pub failure_threshold: u32,
}

fn default_period() -> u64 {
    10
}
fn default_probe_timeout() -> u64 {
    1
}
fn default_failure_threshold() -> u32 {
    3
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(expecting = "{path: /, port: 80}", deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpGet {
    #[serde(default = "root_path")]
    pub path: String,
    pub port: PortRef,
}

fn root_path() -> String {
    "/".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(expecting = "{port: 80}", deny_unknown_fields)]
pub struct TcpSocket {
    pub port: PortRef,
}

/// A port number or the name of a container port.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(expecting = "a port number or the name of a container port", untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "a volume such as {name: web, configMap: {name: web}}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct Volume {
    pub name: String,
    #[serde(default)]
    pub config_map: Option<ConfigMapRef>,
    /// An empty tmpfs directory.
    #[serde(default)]
    pub empty_dir: Option<serde_yaml::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(expecting = "{name: CONFIGMAP}", deny_unknown_fields)]
pub struct ConfigMapRef {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "a mount such as {name: web, mountPath: /etc/nginx/nginx.conf}",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    #[serde(default)]
    pub sub_path: Option<String>,
    #[serde(default)]
    pub read_only: Option<bool>,
}

impl Scenario {
    /// `terminationGracePeriodSeconds`, default 30 as in Kubernetes.
    pub fn grace_seconds(&self) -> u64 {
        self.pod.termination_grace_period_seconds.unwrap_or(30)
    }
}

impl ContainerSpec {
    pub fn is_sidecar(&self) -> bool {
        self.restart_policy.as_deref() == Some("Always")
    }

    /// Resolves a probe port (number or port name).
    pub fn port_number(&self, port: &PortRef) -> Option<u16> {
        match port {
            PortRef::Number(n) => Some(*n),
            PortRef::Name(name) => self
                .ports
                .iter()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .map(|p| p.container_port),
        }
    }
}
