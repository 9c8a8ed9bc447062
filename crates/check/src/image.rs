//! Image references and what is known about well-known images without pulling them.
//!
//! The knowledge table (also in docs/check.md):
//!
//! | image | STOPSIGNAL | shell and coreutils |
//! |---|---|---|
//! | `nginx` (official, `docker.io/library/nginx`), tag 1.19 or later, or no version in the tag | SIGQUIT | yes; no `bash` in `-alpine` tags |
//! | `nginx` with a version tag before 1.19 | SIGTERM | as above |
//! | `nginxinc/nginx-unprivileged` | SIGQUIT | as above |
//! | `php` with `fpm` in the tag | SIGQUIT | yes; no `bash` in `-alpine` tags |
//! | `gcr.io/distroless/*`, `cgr.dev/chainguard/*` (non `-dev`), `scratch` | SIGTERM | none |
//! | anything else | SIGTERM (Docker's default) unless a linked Dockerfile says otherwise | unknown |

/// A parsed `registry/repository:tag@digest` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host, if the first path part looks like one (`gcr.io`, `localhost:5000`).
    pub registry: Option<String>,
    /// Repository path without the registry, e.g. `library/nginx` normalised to `nginx`.
    pub repository: String,
    pub tag: Option<String>,
}

impl ImageRef {
    pub fn parse(reference: &str) -> ImageRef {
        let without_digest = reference.split('@').next().unwrap_or(reference).trim();
        let (name, tag) = match without_digest.rfind(':') {
            Some(i) if !without_digest[i..].contains('/') => {
                (&without_digest[..i], Some(without_digest[i + 1..].to_string()))
            }
            _ => (without_digest, None),
        };
        let mut parts: Vec<&str> = name.split('/').collect();
        let registry = if parts.len() > 1
            && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost")
        {
            Some(parts.remove(0).to_string())
        } else {
            None
        };
        let mut repository = parts.join("/");
        if let Some(stripped) = repository.strip_prefix("library/") {
            if registry.as_deref().is_none_or(|r| r == "docker.io" || r == "index.docker.io") {
                repository = stripped.to_string();
            }
        }
        ImageRef { registry, repository, tag }
    }

    /// Repository with the registry, without the tag: the key images are linked by.
    pub fn name(&self) -> String {
        match &self.registry {
            Some(r) if r != "docker.io" && r != "index.docker.io" => {
                format!("{r}/{}", self.repository)
            }
            _ => self.repository.clone(),
        }
    }

    /// The last path part of the repository (`myteam/app` → `app`).
    pub fn short_name(&self) -> &str {
        self.repository.rsplit('/').next().unwrap_or(&self.repository)
    }

    fn is_docker_hub(&self) -> bool {
        self.registry.as_deref().is_none_or(|r| r == "docker.io" || r == "index.docker.io")
    }

    fn tag_has(&self, word: &str) -> bool {
        self.tag.as_deref().is_some_and(|t| t.contains(word))
    }

    /// Whether this is the official nginx image (or nginx's unprivileged variant).
    pub fn is_official_nginx(&self) -> bool {
        (self.is_docker_hub() && self.repository == "nginx")
            || self.repository == "nginxinc/nginx-unprivileged"
    }

    /// Whether this is an official php-fpm image.
    pub fn is_official_php_fpm(&self) -> bool {
        self.is_docker_hub() && self.repository == "php" && self.tag_has("fpm")
    }
}

/// What the knowledge table says about an image's stop signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnownSignal {
    /// The image sets this STOPSIGNAL; the string says why we know.
    Known(&'static str, String),
    /// Not in the table.
    Unknown,
}

/// The STOPSIGNAL of a well-known image.
pub fn known_stop_signal(image: &ImageRef) -> KnownSignal {
    if image.is_official_nginx() {
        if let Some(version) = image.tag.as_deref().and_then(leading_version) {
            if version < (1, 19) {
                return KnownSignal::Known(
                    "SIGTERM",
                    format!(
                        "official nginx images before 1.19 set no STOPSIGNAL (tag {})",
                        image.tag.as_deref().unwrap_or("")
                    ),
                );
            }
        }
        return KnownSignal::Known(
            "SIGQUIT",
            "official nginx images set STOPSIGNAL SIGQUIT since 1.19".into(),
        );
    }
    if image.is_official_php_fpm() {
        return KnownSignal::Known(
            "SIGQUIT",
            "official php fpm images set STOPSIGNAL SIGQUIT".into(),
        );
    }
    if lacks_shell(image) {
        return KnownSignal::Known("SIGTERM", "this base image sets no STOPSIGNAL".into());
    }
    KnownSignal::Unknown
}

/// Whether the image has no `/bin/sh` and no `sleep`.
pub fn lacks_shell(image: &ImageRef) -> bool {
    let name = image.name();
    name == "scratch"
        || name.starts_with("gcr.io/distroless/")
        || (name.starts_with("cgr.dev/chainguard/") && !image.tag_has("dev"))
}

/// Whether the image is Alpine-based (busybox `sh`, no `bash`).
pub fn is_alpine(image: &ImageRef) -> bool {
    image.repository == "alpine" || image.tag_has("alpine")
}

/// `1.17.10-alpine` → (1, 17).
fn leading_version(tag: &str) -> Option<(u32, u32)> {
    let mut parts = tag.split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next().and_then(|m| m.parse().ok()).unwrap_or(u32::MAX);
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let r = ImageRef::parse("docker.io/library/nginx:1.25-alpine");
        assert_eq!(r.repository, "nginx");
        assert_eq!(r.tag.as_deref(), Some("1.25-alpine"));
        assert!(r.is_official_nginx());
        let r = ImageRef::parse("localhost:5000/team/app");
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.short_name(), "app");
        assert_eq!(r.tag, None);
    }

    #[test]
    fn stop_signals() {
        let sig = |s: &str| match known_stop_signal(&ImageRef::parse(s)) {
            KnownSignal::Known(sig, _) => sig,
            KnownSignal::Unknown => "?",
        };
        assert_eq!(sig("nginx"), "SIGQUIT");
        assert_eq!(sig("nginx:1.17"), "SIGTERM");
        assert_eq!(sig("nginx:1.25.3"), "SIGQUIT");
        assert_eq!(sig("nginx:stable-alpine"), "SIGQUIT");
        assert_eq!(sig("php:8.2-fpm-alpine"), "SIGQUIT");
        assert_eq!(sig("php:8.2-apache"), "?");
        assert_eq!(sig("myrepo/app:1"), "?");
        assert_eq!(sig("gcr.io/distroless/static"), "SIGTERM");
    }
}
