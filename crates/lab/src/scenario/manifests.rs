//! `manifests:` — the pod comes from Kubernetes manifests as they are deployed.
//!
//! A scenario may name manifest files or directories (multi-document YAML, `*.yaml`/`*.yml`)
//! instead of writing `pod:` itself. The lab takes the (single) Deployment's pod template,
//! `replicas` and `terminationGracePeriodSeconds`, and the data of every ConfigMap, by name,
//! so the template's `configMap` volumes resolve as in a cluster. Fields the scenario sets
//! itself (`pod`, `replicas`, `configMaps` entries) win. Everything else in the manifests
//! (Services, Ingresses, kustomization files) is ignored.
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

fn key(k: &str) -> Value {
    Value::String(k.into())
}

fn files_of(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read manifest directory {}: {e}", path.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "yaml" || x == "yml")
                    && p.file_stem().is_some_and(|s| s != "kustomization")
            })
            .collect();
        files.sort();
        Ok(files)
    } else if path.is_file() {
        Ok(vec![path.to_path_buf()])
    } else {
        Err(format!("manifest {} does not exist", path.display()))
    }
}

/// Reads a text file of at most `limits::MAX_FILE_BYTES` (16 MiB): a scenario or manifest is
/// never that large, and a device or huge file named by mistake must not fill the memory.
pub fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let max = super::limits::MAX_FILE_BYTES;
    let mut text = String::new();
    std::fs::File::open(path)?.take(max + 1).read_to_string(&mut text)?;
    if text.len() as u64 > max {
        return Err(std::io::Error::other(format!(
            "larger than the lab's limit of {} MiB",
            max >> 20
        )));
    }
    Ok(text)
}

/// Fills `pod`, `replicas` and `configMaps` of a raw scenario from its `manifests:` (paths
/// relative to `base`), and removes `manifests`. Returns the Deployment's file, so errors in
/// the pod template can point there. Errors are messages for the scenario file.
pub fn expand(doc: &mut Value, base: &Path) -> Result<Option<PathBuf>, String> {
    let Some(map) = doc.as_mapping_mut() else { return Ok(None) };
    let Some(list) = map.remove(key("manifests")) else { return Ok(None) };
    let paths: Vec<String> = serde_yaml::from_value(list)
        .map_err(|_| "manifests must be a list of files or directories".to_string())?;
    if paths.is_empty() {
        return Ok(None);
    }
    let mut deployments = Vec::new();
    let mut config_maps = Mapping::new();
    for p in &paths {
        for file in files_of(&base.join(p))? {
            let text =
                read_bounded(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            for d in serde_yaml::Deserializer::from_str(&text) {
                let v = Value::deserialize(d)
                    .map_err(|e| format!("{}: not valid YAML: {e}", file.display()))?;
                match v.get("kind").and_then(Value::as_str) {
                    Some("Deployment") => deployments.push((file.clone(), v)),
                    Some("ConfigMap") => {
                        let name = v["metadata"]["name"].clone();
                        let data = v.get("data").cloned().unwrap_or(Value::Mapping(Mapping::new()));
                        config_maps.insert(name, data);
                    }
                    _ => {}
                }
            }
        }
    }
    let (file, deployment) = match deployments.len() {
        1 => deployments.remove(0),
        0 => return Err(format!("no Deployment in manifests {paths:?}")),
        n => return Err(format!("{n} Deployments in manifests {paths:?}; name the file of one")),
    };
    let spec = &deployment["spec"];
    let pod = spec["template"]["spec"].clone();
    if !pod.is_mapping() {
        return Err(format!("{}: the Deployment has no spec.template.spec", file.display()));
    }
    map.entry(key("pod")).or_insert(pod);
    if let Some(replicas) = spec.get("replicas") {
        map.entry(key("replicas")).or_insert(replicas.clone());
    }
    let own = map.entry(key("configMaps")).or_insert(Value::Mapping(Mapping::new()));
    if let Some(own) = own.as_mapping_mut() {
        for (name, data) in config_maps {
            own.entry(name).or_insert(data);
        }
    }
    Ok(Some(file))
}
