//! Joins built once per run: the configs a container reads and the Services that select a pod.
use std::collections::HashMap;

use crate::k8s::{Container, Workload};
use crate::project::{ConfigRef, Project};
use crate::server_configs::{ApacheConfig, CaddyConfig, FpmConfig, NginxConfig, SupervisordConfig};

use super::Role;

/// The configs linked to one container, by server.
#[derive(Default)]
pub(super) struct Linked<'a> {
    pub fpm: Vec<&'a FpmConfig>,
    pub nginx: Vec<&'a NginxConfig>,
    pub supervisord: Vec<&'a SupervisordConfig>,
    pub apache: Vec<&'a ApacheConfig>,
    pub caddy: Vec<&'a CaddyConfig>,
}

impl Linked<'_> {
    /// The servers these configs belong to (supervisord's left out: it runs either).
    pub fn roles(&self) -> Vec<Role> {
        [
            (!self.fpm.is_empty(), Role::PhpFpm),
            (!self.nginx.is_empty(), Role::Nginx),
            (!self.apache.is_empty(), Role::Apache),
            (!self.caddy.is_empty(), Role::Caddy),
        ]
        .into_iter()
        .filter_map(|(has, role)| has.then_some(role))
        .collect()
    }
}

/// Configs a container reads: ConfigMap keys it mounts, and config files under the directory of the
/// Dockerfile that builds its image.
pub(super) fn linked_configs<'a>(
    project: &'a Project,
    workload: &Workload,
    c: &Container,
    dockerfile: Option<usize>,
) -> Linked<'a> {
    let mut refs = Vec::new();
    for mount in &c.mounts {
        let Some(volume) = workload.config_map_volumes.iter().find(|v| v.volume == mount.volume)
        else {
            continue;
        };
        let key = (workload.namespace.clone(), volume.config_map.clone());
        for (data_key, config) in project.config_map_configs.get(&key).into_iter().flatten() {
            let projected =
                volume.items.is_empty() || volume.items.iter().any(|(k, _)| k == data_key);
            let selected = mount.sub_path.as_deref().is_none_or(|sub| {
                sub == data_key || volume.items.iter().any(|(k, p)| k == data_key && p == sub)
            });
            if projected && selected {
                refs.push(*config);
            }
        }
    }
    if let Some(df) = dockerfile {
        if let Some(dir) = project.dockerfiles[df].path.parent() {
            refs.extend(
                project.file_configs.iter().filter(|(p, _)| p.starts_with(dir)).map(|(_, c)| *c),
            );
        }
    }
    // What a php-fpm config includes is part of it (a ConfigMap's included keys are assumed to be
    // mounted beside it, as a whole-ConfigMap directory mount does).
    let mut with_includes = Vec::new();
    for r in refs {
        let more = match r {
            ConfigRef::PhpFpm(i) => project.includes.closure(i),
            _ => Vec::new(),
        };
        with_includes.push(r);
        with_includes.extend(more.into_iter().map(ConfigRef::PhpFpm));
    }
    let mut seen = std::collections::HashSet::new();
    with_includes.retain(|r| seen.insert(*r));
    let mut linked = Linked::default();
    for r in with_includes {
        match r {
            ConfigRef::PhpFpm(i) => linked.fpm.push(&project.fpm[i]),
            ConfigRef::Nginx(i) => linked.nginx.push(&project.nginx[i]),
            ConfigRef::Supervisord(i) => linked.supervisord.push(&project.supervisord[i]),
            ConfigRef::Apache(i) => linked.apache.push(&project.apache[i]),
            ConfigRef::Caddy(i) => linked.caddy.push(&project.caddy[i]),
        }
    }
    linked
}

/// Services indexed by (namespace, one selector pair), so matching pods is a look-up per label.
pub(super) struct ServiceIndex<'a> {
    project: &'a Project,
    by_pair: HashMap<(&'a str, &'a str, &'a str), Vec<usize>>,
}

impl<'a> ServiceIndex<'a> {
    pub(super) fn new(project: &'a Project) -> Self {
        let mut by_pair: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
        for (i, s) in project.objects.services.iter().enumerate() {
            if let Some((k, v)) = s.selector.first() {
                by_pair.entry((s.namespace.as_str(), k.as_str(), v.as_str())).or_default().push(i);
            }
        }
        ServiceIndex { project, by_pair }
    }

    pub(super) fn selecting(&self, workload: &Workload) -> Vec<usize> {
        let mut out = Vec::new();
        for (k, v) in &workload.labels {
            for &i in self
                .by_pair
                .get(&(workload.namespace.as_str(), k.as_str(), v.as_str()))
                .into_iter()
                .flatten()
            {
                let service = &self.project.objects.services[i];
                let all = service
                    .selector
                    .iter()
                    .all(|(sk, sv)| workload.labels.iter().any(|(lk, lv)| lk == sk && lv == sv));
                if all && !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        out
    }
}
