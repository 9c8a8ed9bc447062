//! Names, keys and paths in scenario files, checked as the Kubernetes API server checks them.
//!
//! Scenario files are shared and downloaded, and the lab joins these strings into paths (the
//! staged ConfigMap files, the per-container logs, mount points): a name with a `/` or a `..`
//! would reach outside the lab's own directories. So container and volume names must be
//! DNS-1123 labels, object names DNS-1123 subdomains, ConfigMap keys `[-._a-zA-Z0-9]+` (not `.`
//! or `..`), and mount paths absolute without `..`, exactly the rules a cluster applies.
use super::{Invalid, Scenario};

/// A DNS-1123 label: at most 63 characters, lowercase letters, digits and `-`, starting and
/// ending with a letter or digit (container names, volume names).
pub fn dns1123_label(name: &str) -> Result<(), String> {
    if name.len() > 63 {
        return Err(format!("`{name}` is longer than 63 characters"));
    }
    label_chars(name)
}

/// A DNS-1123 subdomain: at most 253 characters, labels joined by `.` (object names).
pub fn dns1123_subdomain(name: &str) -> Result<(), String> {
    if name.len() > 253 {
        return Err(format!("`{}…` is longer than 253 characters", safe_prefix(name)));
    }
    name.split('.').try_for_each(label_chars).map_err(|_| {
        format!("`{name}` must be lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit")
    })
}

fn label_chars(part: &str) -> Result<(), String> {
    let ok_inner = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let ok_edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let edges =
        part.chars().next().is_some_and(ok_edge) && part.chars().last().is_some_and(ok_edge);
    if edges && part.chars().all(ok_inner) {
        Ok(())
    } else {
        Err(format!("`{part}` must be lowercase letters, digits and `-`, starting and ending with a letter or digit"))
    }
}

/// A ConfigMap key (a file name): `[-._a-zA-Z0-9]+`, not `.` or `..`, at most 253 characters.
/// Also the rule for the other single file names a scenario gives (image `programs`).
pub fn file_key(key: &str) -> Result<(), String> {
    if key.len() > 253 {
        return Err(format!("`{}…` is longer than 253 characters", safe_prefix(key)));
    }
    let chars_ok =
        !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    if !chars_ok || key == "." || key == ".." {
        return Err(format!(
            "`{key}` must be a file name of letters, digits, `-`, `_` and `.` (not `.` or `..`)"
        ));
    }
    Ok(())
}

/// A path inside a container: absolute, no `..` component, no NUL.
pub fn absolute_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("`{path}` is not an absolute path"));
    }
    no_dot_dot(path)
}

/// A `subPath`: relative, no `..` component (Kubernetes' `validateLocalDescendingPath`).
pub fn descending_path(path: &str) -> Result<(), String> {
    if path.starts_with('/') {
        return Err(format!("`{path}` must be a relative path"));
    }
    no_dot_dot(path)
}

fn no_dot_dot(path: &str) -> Result<(), String> {
    if path.split('/').any(|part| part == "..") || path.contains('\0') {
        return Err(format!("`{path}` must not contain `..`"));
    }
    Ok(())
}

fn safe_prefix(text: &str) -> &str {
    let mut end = text.len().min(40);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Checks every name, key and path of `s` that the lab turns into a path.
pub fn check(s: &Scenario) -> Result<(), Invalid> {
    let bad = |what: &str, needle: &str, e: String, fix: &str| -> Invalid {
        (format!("{what} {e}"), Some(needle.to_string()), fix.to_string())
    };
    dns1123_subdomain(&s.name).map_err(|e| {
        bad("scenario name", &s.name, e, "name scenarios like Kubernetes objects, e.g. `my-app`")
    })?;
    for c in s.pod.containers.iter().chain(&s.pod.init_containers) {
        dns1123_label(&c.name).map_err(|e| {
            bad(
                "container name",
                &c.name,
                e,
                "name containers like `web` or `php-fpm` (a DNS-1123 label)",
            )
        })?;
        for m in &c.volume_mounts {
            absolute_path(&m.mount_path).map_err(|e| {
                bad("mountPath", &m.mount_path, e, "use an absolute path inside the container")
            })?;
            if let Some(sub) = &m.sub_path {
                descending_path(sub).map_err(|e| {
                    bad("subPath", sub, e, "name a key of the volume, e.g. `nginx.conf`")
                })?;
            }
        }
    }
    for v in &s.pod.volumes {
        dns1123_label(&v.name).map_err(|e| {
            bad("volume name", &v.name, e, "name volumes like `web-conf` (a DNS-1123 label)")
        })?;
        if let Some(cm) = &v.config_map {
            dns1123_subdomain(&cm.name).map_err(|e| {
                bad("configMap name", &cm.name, e, "name ConfigMaps like `web-conf`")
            })?;
        }
    }
    for (name, data) in &s.config_maps {
        dns1123_subdomain(name)
            .map_err(|e| bad("configMap name", name, e, "name ConfigMaps like `web-conf`"))?;
        for key in data.keys() {
            file_key(key).map_err(|e| {
                bad(
                    "configMap key",
                    key,
                    e,
                    "keys are file names, e.g. `nginx.conf`; mount them elsewhere with mountPath",
                )
            })?;
        }
    }
    for (image, spec) in &s.images {
        let super::ImageSpec::Command(spec) = spec else { continue };
        for dir in &spec.scratch {
            absolute_path(dir).map_err(|e| {
                bad(&format!("image `{image}`: scratch"), dir, e, "list absolute directories")
            })?;
        }
        for program in spec.programs.keys() {
            file_key(program).map_err(|e| {
                bad(
                    &format!("image `{image}`: program"),
                    program,
                    e,
                    "name the program as the container calls it, e.g. `php-fpm`",
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_subdomains_follow_kubernetes() {
        assert!(dns1123_label("php-fpm").is_ok());
        assert!(dns1123_label("web/var/tmp/z").is_err());
        assert!(dns1123_label("Web").is_err());
        assert!(dns1123_label("-web").is_err());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        assert!(dns1123_subdomain("web-conf.v2").is_ok());
        assert!(dns1123_subdomain("a..b").is_err());
        assert!(dns1123_subdomain("../x").is_err());
    }

    #[test]
    fn keys_and_paths_cannot_climb_out() {
        assert!(file_key("nginx.conf").is_ok());
        assert!(file_key("..").is_err());
        assert!(file_key("../../var/tmp/x").is_err());
        assert!(file_key("/var/tmp/y").is_err());
        assert!(absolute_path("/etc/nginx/nginx.conf").is_ok());
        assert!(absolute_path("/tmp/../etc/x").is_err());
        assert!(absolute_path("etc").is_err());
        assert!(descending_path("a/b").is_ok());
        assert!(descending_path("a/../../b").is_err());
    }
}
