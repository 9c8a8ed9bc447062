//! The image table: which local program stands in for an image, and its STOPSIGNAL.
//!
//! | image                        | runs                                   | STOPSIGNAL |
//! |------------------------------|----------------------------------------|------------|
//! | `nginx`, `nginx:1.19`+       | `nginx -g 'daemon off;'`               | SIGQUIT    |
//! | `nginx:1.18` and older       | `nginx -g 'daemon off;'`               | SIGTERM    |
//! | `php:<ver>-fpm[-…]`          | `php-fpm -F`                           | SIGQUIT    |
//! | `trafex/alpine-nginx-php7`   | `supervisord -c /etc/supervisor/conf.d/supervisord.conf` | SIGTERM |
//! | `lameduck`                   | this lab's own executable              | SIGTERM    |
//! | `debian`, `busybox`, `alpine`| `sh`                                   | SIGTERM    |
//!
//! Any other image is a custom image: define it under `images:` (command, stopSignal, default
//! SIGTERM as Docker does). Programs are looked up on this machine: `nginx` is Debian's
//! nginx-light, `php-fpm` is Debian's php-fpm8.2 (run with `-R`, since the lab runs as root),
//! and `lameduck` is the lab's own executable.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ImageSpec;

pub const HINT: &str = "known images: nginx[:TAG], php:VERSION-fpm, trafex/alpine-nginx-php7, lameduck, debian, busybox, alpine; define others under `images:` with a command and stopSignal";

/// What an image contributes to a container.
#[derive(Debug, Clone)]
pub struct Image {
    /// ENTRYPOINT + CMD; replaced by the container's `command`/`args` as Kubernetes does.
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub stop_signal: i32,
    pub scratch: Vec<String>,
    /// Programs on the image's PATH that stand for a local command (see `ImageSpec::programs`).
    pub programs: BTreeMap<String, Vec<String>>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Looks an image up, scenario overrides first.
pub fn lookup(image: &str, overrides: &BTreeMap<String, ImageSpec>) -> Result<Image, String> {
    if let Some(spec) = overrides.get(image) {
        let stop_signal = match &spec.stop_signal {
            Some(s) => crate::signals::parse(s)
                .ok_or_else(|| format!("image `{image}`: unknown stopSignal `{s}`"))?,
            None => libc::SIGTERM,
        };
        return Ok(Image {
            programs: spec.programs.clone(),
            entrypoint: vec![],
            cmd: spec.command.clone(),
            stop_signal,
            scratch: spec.scratch.clone(),
        });
    }
    let (repo, tag) = image.split_once(':').unwrap_or((image, "latest"));
    let repo = repo.trim_start_matches("docker.io/").trim_start_matches("library/");
    let nginx_scratch = strings(&["/var/log/nginx", "/var/lib/nginx"]);
    match repo {
        "nginx" => {
            // The official image switched its STOPSIGNAL to SIGQUIT in 1.19.
            let old = nginx_version(tag).is_some_and(|v| v < (1, 19));
            Ok(Image {
                programs: BTreeMap::new(),
                entrypoint: vec![],
                cmd: strings(&["nginx", "-g", "daemon off;"]),
                stop_signal: if old { libc::SIGTERM } else { libc::SIGQUIT },
                scratch: nginx_scratch,
            })
        }
        "php" if tag.contains("fpm") => Ok(Image {
            programs: BTreeMap::new(),
            entrypoint: vec![],
            cmd: strings(&["php-fpm", "-F"]),
            stop_signal: libc::SIGQUIT,
            scratch: strings(&["/var/log"]),
        }),
        "trafex/alpine-nginx-php7" | "trafex/php-nginx" => Ok(Image {
            programs: BTreeMap::new(),
            entrypoint: vec![],
            cmd: strings(&["supervisord", "-c", "/etc/supervisor/conf.d/supervisord.conf"]),
            stop_signal: libc::SIGTERM,
            scratch: [nginx_scratch, strings(&["/var/log/supervisor", "/etc/supervisor/conf.d"])]
                .concat(),
        }),
        "lameduck" => Ok(Image {
            programs: BTreeMap::new(),
            entrypoint: vec![],
            cmd: strings(&["lameduck"]),
            stop_signal: libc::SIGTERM,
            scratch: vec![],
        }),
        "debian" | "busybox" | "alpine" | "ubuntu" => Ok(Image {
            programs: BTreeMap::new(),
            entrypoint: vec![],
            cmd: strings(&["sh"]),
            stop_signal: libc::SIGTERM,
            scratch: vec![],
        }),
        _ => Err(format!("unknown image `{image}`")),
    }
}

fn nginx_version(tag: &str) -> Option<(u32, u32)> {
    let mut parts = tag.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The final argv of a container, as Kubernetes combines image and container fields.
pub fn container_argv(
    image: &Image,
    command: Option<&Vec<String>>,
    args: Option<&Vec<String>>,
) -> Vec<String> {
    match (command, args) {
        (Some(c), Some(a)) => [c.clone(), a.clone()].concat(),
        (Some(c), None) => c.clone(),
        (None, Some(a)) => [image.entrypoint.clone(), a.clone()].concat(),
        (None, None) => [image.entrypoint.clone(), image.cmd.clone()].concat(),
    }
}

pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Maps argv[0] to a program on this machine and applies the lab's conventions: `lameduck`
/// (also `/usr/local/bin/lameduck`) is the lab's own executable; `php-fpm` is the installed
/// php-fpm, with `-R` added because the lab runs it as root.
pub fn resolve_program(argv: &mut Vec<String>, self_exe: &Path) -> Result<PathBuf, String> {
    let Some(first) = argv.first().cloned() else {
        return Err("empty command".into());
    };
    let base = first.rsplit('/').next().unwrap_or(&first);
    if base == "lameduck" {
        return Ok(self_exe.to_path_buf());
    }
    if base == "php-fpm" {
        let found = find_php_fpm().ok_or_else(|| missing("php-fpm"))?;
        if !argv.iter().any(|a| a == "-R" || a == "--allow-to-run-as-root") {
            argv.insert(1, "-R".into());
        }
        return Ok(found);
    }
    if first.contains('/') {
        return Ok(PathBuf::from(first));
    }
    PATH.split(':')
        .map(|dir| Path::new(dir).join(&first))
        .find(|p| p.is_file())
        .ok_or_else(|| missing(&first))
}

fn missing(program: &str) -> String {
    format!("`{program}` is not installed on this machine; run scripts/install-deps (it installs nginx-light, php-fpm and supervisor)")
}

/// Debian installs php-fpm as php-fpmX.Y.
pub fn find_php_fpm() -> Option<PathBuf> {
    let plain = Path::new("/usr/sbin/php-fpm");
    if plain.is_file() {
        return Some(plain.into());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/sbin")
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("php-fpm"))
        })
        .collect();
    found.sort();
    found.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_nginx_switched_to_sigquit_in_1_19() {
        let none = BTreeMap::new();
        assert_eq!(lookup("nginx", &none).unwrap().stop_signal, libc::SIGQUIT);
        assert_eq!(lookup("nginx:1.19", &none).unwrap().stop_signal, libc::SIGQUIT);
        assert_eq!(lookup("nginx:1.17-alpine", &none).unwrap().stop_signal, libc::SIGTERM);
        assert_eq!(lookup("php:8.2-fpm", &none).unwrap().stop_signal, libc::SIGQUIT);
        assert!(lookup("example/app", &none).is_err());
    }

    #[test]
    fn command_and_args_replace_entrypoint_and_cmd() {
        let image = Image {
            programs: BTreeMap::new(),
            entrypoint: vec!["e".into()],
            cmd: vec!["c".into()],
            stop_signal: 15,
            scratch: vec![],
        };
        assert_eq!(container_argv(&image, None, None), ["e", "c"]);
        assert_eq!(container_argv(&image, None, Some(&vec!["a".into()])), ["e", "a"]);
        assert_eq!(container_argv(&image, Some(&vec!["x".into()]), None), ["x"]);
    }
}
