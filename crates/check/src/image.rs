//! Image references and what is known about well-known images without pulling them.
//!
//! [`KNOWN`] is the one table of that knowledge: each entry names the Dockerfile it was read
//! from (docs/check.md shows the same table). Images built `FROM` an official image inherit its
//! `STOPSIGNAL`: wordpress, nextcloud, drupal, joomla and the like are `FROM php:*-fpm` in their
//! `fpm` tags (SIGQUIT) and `FROM php:*-apache` otherwise (SIGWINCH, Apache's graceful stop:
//! <https://httpd.apache.org/docs/2.4/stopping.html#gracefulstop>). The official `caddy` image sets
//! none: Caddy's graceful stop is SIGTERM itself.

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

    /// An official nginx tag with a version before 1.19, which set no STOPSIGNAL.
    fn nginx_before_1_19(&self) -> bool {
        self.tag.as_deref().and_then(leading_version).is_some_and(|v| v < (1, 19))
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

/// One row of the knowledge table.
pub struct KnownImage {
    /// Which images the row is about, for people.
    pub about: &'static str,
    matches: fn(&ImageRef) -> bool,
    /// The STOPSIGNAL the image sets (SIGTERM when it sets none).
    pub signal: &'static str,
    /// The server it runs, when it is one the checker knows how to stop.
    pub server: Option<Server>,
    /// The Dockerfile the entry was read from.
    pub source: &'static str,
}

/// The servers the image table knows: the ones lameduck knows how to stop.
pub use lameduck_core::program::Server;

/// Official images of PHP applications, built `FROM php:*-fpm` or `FROM php:*-apache`.
const PHP_APPS: &[&str] =
    &["wordpress", "nextcloud", "drupal", "joomla", "matomo", "mediawiki", "backdrop", "friendica"];

fn is_php_app(image: &ImageRef) -> bool {
    image.is_docker_hub() && PHP_APPS.contains(&image.repository.as_str())
}

/// What lameduck knows about images no scanned Dockerfile builds. First match wins.
pub static KNOWN: &[KnownImage] = &[
    KnownImage {
        about: "official `nginx` with a version tag before 1.19",
        matches: |i| i.is_official_nginx() && i.nginx_before_1_19(),
        signal: "SIGTERM",
        server: Some(Server::Nginx),
        source: "https://github.com/nginxinc/docker-nginx/blob/1.18.0/stable/buster/Dockerfile",
    },
    KnownImage {
        about: "official `nginx` 1.19+ or no version in the tag (`latest`, `alpine`, `stable`)",
        matches: |i| i.is_docker_hub() && i.repository == "nginx",
        signal: "SIGQUIT",
        server: Some(Server::Nginx),
        source: "https://github.com/nginxinc/docker-nginx/blob/master/mainline/debian/Dockerfile",
    },
    KnownImage {
        about: "`nginxinc/nginx-unprivileged`",
        matches: |i| i.repository == "nginxinc/nginx-unprivileged",
        signal: "SIGQUIT",
        server: Some(Server::Nginx),
        source: "https://github.com/nginxinc/docker-nginx-unprivileged/blob/main/mainline/debian/Dockerfile",
    },
    KnownImage {
        about: "`openresty/openresty`",
        matches: |i| i.repository == "openresty/openresty",
        signal: "SIGQUIT",
        server: Some(Server::Nginx),
        source: "https://github.com/openresty/docker-openresty/blob/master/bookworm/Dockerfile",
    },
    KnownImage {
        about: "`bitnami/nginx` (no STOPSIGNAL; its run.sh execs nginx)",
        matches: |i| i.repository == "bitnami/nginx",
        signal: "SIGTERM",
        server: Some(Server::Nginx),
        source: "https://github.com/bitnami/containers/blob/main/bitnami/nginx/1.25/debian-12/Dockerfile",
    },
    KnownImage {
        about: "official `php` with `fpm` in the tag",
        matches: |i| i.is_official_php_fpm(),
        signal: "SIGQUIT",
        server: Some(Server::PhpFpm),
        source: "https://github.com/docker-library/php/blob/master/8.3/bookworm/fpm/Dockerfile",
    },
    KnownImage {
        about: "official PHP applications with `fpm` in the tag (`wordpress`, `nextcloud`, `drupal`, `joomla`, `matomo`, `mediawiki`, …): `FROM php:*-fpm`",
        matches: |i| is_php_app(i) && i.tag_has("fpm"),
        signal: "SIGQUIT",
        server: Some(Server::PhpFpm),
        source: "https://github.com/docker-library/wordpress/blob/master/latest/php8.3/fpm/Dockerfile",
    },
    KnownImage {
        about: "`bitnami/php-fpm` (no STOPSIGNAL; CMD php-fpm -F)",
        matches: |i| i.repository == "bitnami/php-fpm",
        signal: "SIGTERM",
        server: Some(Server::PhpFpm),
        source: "https://github.com/bitnami/containers/blob/main/bitnami/php-fpm/8.3/debian-12/Dockerfile",
    },
    KnownImage {
        about: "official `php` with `apache` in the tag",
        matches: |i| i.is_docker_hub() && i.repository == "php" && i.tag_has("apache"),
        signal: "SIGWINCH",
        server: Some(Server::Apache),
        source: "https://github.com/docker-library/php/blob/445bf414f1d5866f7aef715f1203eae043710070/8.3/bookworm/apache/Dockerfile",
    },
    KnownImage {
        about: "official PHP applications without `fpm` or `cli` in the tag (Apache variants): `FROM php:*-apache`",
        matches: |i| is_php_app(i) && !i.tag_has("cli"),
        signal: "SIGWINCH",
        server: Some(Server::Apache),
        source: "https://github.com/docker-library/wordpress/blob/master/latest/php8.3/apache/Dockerfile",
    },
    KnownImage {
        about: "official `httpd`",
        matches: |i| i.is_docker_hub() && i.repository == "httpd",
        signal: "SIGWINCH",
        server: Some(Server::Apache),
        source: "https://github.com/docker-library/httpd/blob/9b63b37c9be3b42d16b924ebb40af3cc40793119/2.4/Dockerfile",
    },
    KnownImage {
        about: "official `caddy` (no STOPSIGNAL; Caddy stops gracefully on SIGTERM)",
        matches: |i| i.is_docker_hub() && i.repository == "caddy",
        signal: "SIGTERM",
        server: Some(Server::Caddy),
        source: "https://github.com/caddyserver/caddy-docker/blob/62d1326421cc6d6245f5178d3c277b0e69fb8fb6/2.11/alpine/Dockerfile",
    },
    KnownImage {
        about: "`scratch`, `gcr.io/distroless/*`, `cgr.dev/chainguard/*` (not `-dev`)",
        matches: lacks_shell,
        signal: "SIGTERM",
        server: None,
        source: "https://github.com/GoogleContainerTools/distroless/blob/main/base/README.md",
    },
];

/// The table's row for an image.
pub fn known(image: &ImageRef) -> Option<&'static KnownImage> {
    KNOWN.iter().find(|k| (k.matches)(image))
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
    let tag = image.tag.as_deref().map(|t| format!(" (tag {t})")).unwrap_or_default();
    match known(image) {
        Some(k) if k.signal == "SIGTERM" => {
            KnownSignal::Known("SIGTERM", format!("{} sets no STOPSIGNAL{tag}", k.about))
        }
        Some(k) => {
            KnownSignal::Known(k.signal, format!("{} sets STOPSIGNAL {}{tag}", k.about, k.signal))
        }
        None => KnownSignal::Unknown,
    }
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
        assert_eq!(sig("php:8.2-apache"), "SIGWINCH");
        assert_eq!(sig("wordpress:6-php8.3-fpm-alpine"), "SIGQUIT");
        assert_eq!(sig("nextcloud:29-fpm"), "SIGQUIT");
        assert_eq!(sig("wordpress:6.5"), "SIGWINCH");
        assert_eq!(sig("wordpress:cli"), "?");
        assert_eq!(sig("openresty/openresty:1.25.3.1-alpine"), "SIGQUIT");
        assert_eq!(sig("nginxinc/nginx-unprivileged:1.27"), "SIGQUIT");
        assert_eq!(sig("bitnami/nginx:1.25"), "SIGTERM");
        assert_eq!(sig("bitnami/php-fpm:8.3"), "SIGTERM");
        assert_eq!(sig("httpd:2.4"), "SIGWINCH");
        assert_eq!(sig("caddy:2"), "SIGTERM");
        assert_eq!(sig("caddy:2.8-alpine"), "SIGTERM");
        assert_eq!(sig("drupal:10-apache"), "SIGWINCH");
        assert_eq!(sig("drupal:10-fpm-alpine"), "SIGQUIT");
        assert_eq!(sig("nextcloud:29-apache"), "SIGWINCH");
        assert_eq!(sig("php:8.2-apache-bookworm"), "SIGWINCH");
        assert_eq!(sig("myrepo/app:1"), "?");
        assert_eq!(sig("gcr.io/distroless/static"), "SIGTERM");
    }

    #[test]
    fn servers() {
        let server = |s: &str| known(&ImageRef::parse(s)).and_then(|k| k.server);
        assert_eq!(server("php:8.2-apache"), Some(Server::Apache));
        assert_eq!(server("wordpress:6.5-php8.3"), Some(Server::Apache));
        assert_eq!(server("wordpress:6.5-php8.3-fpm"), Some(Server::PhpFpm));
        assert_eq!(server("httpd:2.4-alpine"), Some(Server::Apache));
        assert_eq!(server("caddy:2"), Some(Server::Caddy));
        assert_eq!(server("gcr.io/distroless/static"), None);
    }
}
