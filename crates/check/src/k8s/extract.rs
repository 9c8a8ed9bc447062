//! Turns YAML documents into [`Objects`]: walks `kind: List`, finds pod templates in every
//! workload kind, and reads only the fields the rules use.
use super::{ConfigMap, ConfigMapVolume, Container, Ingress, Mount, PreStop, Service, Workload};
use crate::parse::yaml::{Node, Value};
use crate::source::Span;

/// Everything found in the scanned manifests.
#[derive(Debug, Default)]
pub struct Objects {
    pub workloads: Vec<Workload>,
    pub config_maps: Vec<ConfigMap>,
    pub services: Vec<Service>,
    pub ingresses: Vec<Ingress>,
}

/// The annotation that suppresses rules on one workload.
pub const IGNORE_ANNOTATION: &str = "lameduck.dev/ignore";

/// Adds the objects of one document (recursing into `kind: List`).
pub fn extract(doc: &Node, out: &mut Objects) {
    let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
    let metadata = doc.get("metadata");
    let name =
        metadata.and_then(|m| m.get("name")).and_then(Node::as_str).unwrap_or("").to_string();
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Node::as_str)
        .unwrap_or("default")
        .to_string();
    let name_span = metadata.and_then(|m| m.get("name")).map_or(doc.span, |n| n.span);
    match kind {
        "List" | "DeploymentList" | "PodList" | "ConfigMapList" | "ServiceList" => {
            for item in doc.get("items").map(Node::as_seq).unwrap_or(&[]) {
                extract(item, out);
            }
        }
        "ConfigMap" => out.config_maps.push(ConfigMap {
            name,
            namespace,
            data: doc
                .get("data")
                .map(Node::as_map)
                .unwrap_or(&[])
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
                .collect(),
        }),
        "Service" => out.services.push(Service {
            name,
            namespace,
            selector: string_pairs(doc.path(&["spec", "selector"])),
            annotations: annotations(metadata),
            target_ports: doc
                .path(&["spec", "ports"])
                .map(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(|p| p.get("targetPort").or_else(|| p.get("port"))?.as_str())
                .map(str::to_string)
                .collect(),
        }),
        "Ingress" => {
            let mut services = Vec::new();
            collect_backends(doc.get("spec"), &mut services);
            let annotations = annotations(metadata);
            let class =
                doc.path(&["spec", "ingressClassName"]).and_then(Node::as_str).map(str::to_string);
            out.ingresses.push(Ingress {
                name,
                namespace,
                annotations,
                services,
                class,
                span: name_span,
            });
        }
        _ => {
            let template = match kind {
                "Pod" => Some(doc),
                // OpenShift's DeploymentConfig is a Deployment with its own rollout controller.
                "Deployment"
                | "DeploymentConfig"
                | "StatefulSet"
                | "DaemonSet"
                | "ReplicaSet"
                | "ReplicationController"
                | "Job" => doc.path(&["spec", "template"]),
                "CronJob" => doc.path(&["spec", "jobTemplate", "spec", "template"]),
                _ => None,
            };
            if let Some(template) = template {
                out.workloads.push(workload(kind, name, namespace, name_span, metadata, template));
            }
        }
    }
}

fn workload(
    kind: &str,
    name: String,
    namespace: String,
    span: Span,
    metadata: Option<&Node>,
    template: &Node,
) -> Workload {
    let pod_meta = template.get("metadata");
    let mut ignored = Vec::new();
    for meta in [metadata, pod_meta].into_iter().flatten() {
        if let Some(ids) = meta.path(&["annotations", IGNORE_ANNOTATION]).and_then(Node::as_str) {
            ignored.extend(
                ids.split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(|s| s.trim().to_ascii_uppercase()),
            );
        }
    }
    let spec = template.get("spec");
    let grace_period = spec
        .and_then(|s| s.get("terminationGracePeriodSeconds"))
        .and_then(|n| Some((n.as_i64()?, n.span)));
    let mut containers = Vec::new();
    for (key, init) in [("initContainers", true), ("containers", false)] {
        for node in spec.and_then(|s| s.get(key)).map(Node::as_seq).unwrap_or(&[]) {
            containers.push(container(node, init));
        }
    }
    let config_map_volumes = spec
        .and_then(|s| s.get("volumes"))
        .map(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|v| {
            let cm = v.get("configMap")?;
            Some(ConfigMapVolume {
                volume: v.get("name")?.as_str()?.to_string(),
                config_map: cm.get("name")?.as_str()?.to_string(),
                items: cm
                    .get("items")
                    .map(Node::as_seq)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|i| {
                        Some((
                            i.get("key")?.as_str()?.to_string(),
                            i.get("path")?.as_str()?.to_string(),
                        ))
                    })
                    .collect(),
            })
        })
        .collect();
    let restart_policy = spec.and_then(|s| s.get("restartPolicy")).and_then(Node::as_str);
    let pod_runs_once = kind == "Pod" && matches!(restart_policy, Some("Never" | "OnFailure"));
    Workload {
        kind: kind.to_string(),
        name,
        namespace,
        span,
        labels: string_pairs(pod_meta.and_then(|m| m.get("labels"))),
        ignored,
        grace_period,
        containers,
        config_map_volumes,
        pod_runs_once,
    }
}

fn container(node: &Node, init: bool) -> Container {
    let name_node = node.get("name");
    let strings = |key: &str| {
        node.get(key).map(|n| n.str_items().into_iter().map(|(s, _)| s).collect::<Vec<_>>())
    };
    let restart_always = node.get("restartPolicy").and_then(Node::as_str) == Some("Always");
    let lifecycle = node.get("lifecycle");
    let pre_stop = lifecycle.and_then(|l| l.get("preStop")).and_then(|p| {
        if let Some(exec) = p.get("exec") {
            let command = exec.get("command")?;
            return Some(PreStop::Exec {
                argv: command.str_items().into_iter().map(|(s, _)| s).collect(),
                span: command.as_seq().first().map_or(command.span, |n| n.span),
            });
        }
        if let Some(sleep) = p.get("sleep") {
            let seconds = sleep.get("seconds").and_then(Node::as_i64).unwrap_or(0) as f64;
            return Some(PreStop::Sleep { seconds, span: sleep.span });
        }
        p.get("httpGet").map(|h| PreStop::HttpGet { span: h.span })
    });
    let stop_signal = lifecycle
        .and_then(|l| l.get("stopSignal"))
        .and_then(|n| Some((n.as_str()?.to_string(), n.span)));
    Container {
        name: name_node.and_then(Node::as_str).unwrap_or("").to_string(),
        span: name_node.map_or(node.span, |n| n.span),
        image: node.get("image").and_then(|n| Some((n.as_str()?.to_string(), n.span))),
        command: strings("command"),
        args: strings("args"),
        command_span: node
            .get("command")
            .or(node.get("args"))
            .map(|n| n.as_seq().first().map_or(n.span, |f| f.span)),
        ports: node
            .get("ports")
            .map(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|p| {
                let port = p.get("containerPort")?.as_i64()?;
                Some((
                    u16::try_from(port).ok()?,
                    p.get("name").and_then(Node::as_str).map(str::to_string),
                ))
            })
            .collect(),
        env: node
            .get("env")
            .map(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|e| {
                Some((e.get("name")?.as_str()?.to_string(), e.get("value")?.as_str()?.to_string()))
            })
            .collect(),
        pre_stop,
        stop_signal,
        has_readiness: node.get("readinessProbe").is_some_and(|n| !matches!(n.value, Value::Null)),
        mounts: node
            .get("volumeMounts")
            .map(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|m| {
                Some(Mount {
                    volume: m.get("name")?.as_str()?.to_string(),
                    mount_path: m.get("mountPath")?.as_str()?.to_string(),
                    sub_path: m.get("subPath").and_then(Node::as_str).map(str::to_string),
                })
            })
            .collect(),
        native_sidecar: init && restart_always,
        plain_init: init && !restart_always,
    }
}

fn annotations(metadata: Option<&Node>) -> Vec<(String, String, Span)> {
    metadata
        .and_then(|m| m.get("annotations"))
        .map(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string(), v.span)))
        .collect()
}

fn string_pairs(node: Option<&Node>) -> Vec<(String, String)> {
    node.map(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
        .collect()
}

/// Service names in `spec.rules[].http.paths[].backend` (networking/v1 and extensions/v1beta1)
/// and `spec.defaultBackend`/`spec.backend`.
fn collect_backends(node: Option<&Node>, out: &mut Vec<String>) {
    let Some(node) = node else { return };
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                match k.as_str() {
                    Some("serviceName") => out.extend(v.as_str().map(str::to_string)),
                    Some("service") => {
                        out.extend(v.get("name").and_then(Node::as_str).map(str::to_string))
                    }
                    _ => collect_backends(Some(v), out),
                }
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| collect_backends(Some(i), out)),
        _ => {}
    }
}
