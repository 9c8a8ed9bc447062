//! The image table: which local program stands in for an image, and its STOPSIGNAL.
//!
//! | image                        | runs                                   | STOPSIGNAL |
//! |------------------------------|----------------------------------------|------------|
//! | `nginx`, `nginx:1.19`+       | `nginx -g 'daemon off;'`               | SIGQUIT    |
//! | `nginx:1.18` and older       | `nginx -g 'daemon off;'`               | SIGTERM    |
//! | `php:<ver>-fpm[-…]`          | `php-fpm -F`                           | SIGQUIT    |
//! | `php:<ver>-apache[-…]`, `httpd[:tag]` | `apache2 -DFOREGROUND` (Debian's layout, mod_php) | SIGWINCH |
//! | `wordpress`, `drupal`, `nextcloud` | `apache2 -DFOREGROUND`; their `-fpm` tags `php-fpm -F` | SIGWINCH; SIGQUIT |
//! | `caddy[:tag]`                | `caddy run --config /etc/caddy/Caddyfile --adapter caddyfile` | SIGTERM |
//! | `trafex/alpine-nginx-php7`   | `supervisord -c /etc/supervisor/conf.d/supervisord.conf` | SIGTERM |
//! | `lameduck`                   | this lab's own executable              | SIGTERM    |
//! | `debian`, `busybox`, `alpine`| `sh`                                   | SIGTERM    |
//!
//! Any other image is mapped by the user: to a program the lab knows (`images: {IMAGE: php-fpm}`
//! in a scenario, `--image IMAGE=php-fpm` on the command line), which makes it run as that
//! program's official image does, or to a command of its own (`images: {IMAGE: {command: …}}`,
//! stopSignal default SIGTERM as Docker does). Programs are looked up on this machine: `nginx` is
//! Debian's nginx-light, `php-fpm` is Debian's php-fpm8.2 (run with `-R`, since the lab runs as
//! root), `apache2` is Debian's apache2 with libapache2-mod-php (its `/etc/apache2` layout, as in
//! the official php:apache images, with the `APACHE_*` variables its envvars file would set),
//! `caddy` is Debian's caddy, and `lameduck` is the lab's own executable.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ImageSpec;

/// The programs an image can be mapped to, and the official image each one runs as.
pub const PROGRAMS: &[(&str, &str)] = &[
    ("nginx", "nginx"),
    ("php-fpm", "php:fpm"),
    ("apache2", "php:apache"),
    ("caddy", "caddy"),
    ("supervisord", "trafex/php-nginx"),
    ("lameduck", "lameduck"),
    ("sh", "debian"),
];

/// `nginx, php-fpm, apache2, caddy, supervisord, lameduck, sh`.
pub fn program_names() -> String {
    PROGRAMS.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ")
}

/// The images the table knows, by repository, for "did you mean".
const KNOWN_REPOS: &[&str] = &[
    "nginx",
    "php",
    "httpd",
    "caddy",
    "wordpress",
    "drupal",
    "nextcloud",
    "trafex/alpine-nginx-php7",
    "trafex/php-nginx",
    "lameduck",
    "debian",
    "ubuntu",
    "busybox",
    "alpine",
];

/// What to do about an image the table does not know: both ways to map it.
pub fn unknown_hint(image: &str) -> String {
    // The example names the likelier program for the image.
    let program =
        if image.contains("nginx") && !image.contains("php") { "nginx" } else { "php-fpm" };
    format!(
        "map it to a program the lab knows ({programs}), which runs it as that program's official image:\n    \
         on the command line: --image {image}={program}\n    \
         in a scenario file:  images: {{{image}: {program}}}\n  \
         or give it a command of its own under `images:` (docs/lab.md). The built-in images: \
         nginx[:TAG], php:VERSION-fpm, php:VERSION-apache, httpd, caddy, wordpress, drupal, \
         nextcloud, trafex/php-nginx, lameduck, debian, ubuntu, busybox, alpine",
        programs = program_names()
    )
}

/// What an image contributes to a container.
#[derive(Debug, Clone)]
pub struct Image {
    /// ENTRYPOINT + CMD; replaced by the container's `command`/`args` as Kubernetes does.
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub stop_signal: i32,
    pub scratch: Vec<String>,
    /// The image's ENV: set unless the container sets the same name.
    pub env: Vec<(String, String)>,
    /// Programs on the image's PATH that stand for a local command (see `CommandImage::programs`).
    pub programs: BTreeMap<String, Vec<String>>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Looks an image up, scenario (and `--image`) mappings first.
pub fn lookup(image: &str, overrides: &BTreeMap<String, ImageSpec>) -> Result<Image, String> {
    match overrides.get(image) {
        Some(ImageSpec::Program(program)) => program_image(program).ok_or_else(|| {
            format!(
                "image `{image}`: unknown program `{program}`{}; the lab knows {}",
                crate::suggest::did_you_mean(program, PROGRAMS.iter().map(|(p, _)| *p)),
                program_names()
            )
        }),
        Some(ImageSpec::Command(spec)) => {
            let stop_signal = match &spec.stop_signal {
                Some(s) => crate::signals::parse(s)
                    .ok_or_else(|| format!("image `{image}`: unknown stopSignal `{s}`"))?,
                None => libc::SIGTERM,
            };
            Ok(Image {
                programs: spec.programs.clone(),
                entrypoint: vec![],
                cmd: spec.command.clone(),
                stop_signal,
                scratch: spec.scratch.clone(),
                env: vec![],
            })
        }
        None => builtin(image).ok_or_else(|| {
            format!("unknown image `{image}`{}", suggestion(image).unwrap_or_default())
        }),
    }
}

/// The image a program name stands for: its official image's command and STOPSIGNAL.
pub fn program_image(program: &str) -> Option<Image> {
    let (_, official) = PROGRAMS.iter().find(|(p, _)| *p == program)?;
    builtin(official)
}

/// `; did you mean nginx:1.25?` for a near-known image.
fn suggestion(image: &str) -> Option<String> {
    let (repo, tag) = split(image);
    let fpm = |tag: &str| {
        let version: String = tag.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        format!(
            "php:{}-fpm",
            if version.is_empty() { "8.2" } else { version.trim_end_matches('.') }
        )
    };
    // The official php image runs php-fpm only in its -fpm variants; `php-fpm` is no image.
    let guess = if repo == "php" || repo == "php-fpm" {
        fpm(tag)
    } else {
        let near = crate::suggest::closest(repo, KNOWN_REPOS.iter().copied())?;
        if near == "php" {
            fpm(tag)
        } else {
            format!("{near}:{tag}")
        }
    };
    Some(format!("; did you mean {guess}?"))
}

/// Repository (without `docker.io/` and `library/`) and tag (`latest` when none).
fn split(image: &str) -> (&str, &str) {
    let (repo, tag) = match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (image, "latest"),
    };
    (repo.trim_start_matches("docker.io/").trim_start_matches("library/"), tag)
}

/// The built-in table.
fn builtin(image: &str) -> Option<Image> {
    let (repo, tag) = split(image);
    let nginx_scratch = strings(&["/var/log/nginx", "/var/lib/nginx"]);
    let plain = |cmd: &[&str], stop_signal, scratch| Image {
        programs: BTreeMap::new(),
        entrypoint: vec![],
        cmd: strings(cmd),
        stop_signal,
        scratch,
        env: vec![],
    };
    // What the official php:apache images' `apache2-foreground` does: Debian's apache2 in the
    // foreground, its envvars set. SIGWINCH is their STOPSIGNAL (Apache's graceful stop).
    let apache = || Image {
        env: APACHE_ENV.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..plain(&["apache2", "-DFOREGROUND"], libc::SIGWINCH, strings(APACHE_SCRATCH))
    };
    let php_fpm = || plain(&["php-fpm", "-F"], libc::SIGQUIT, strings(&["/var/log"]));
    match repo {
        "nginx" => {
            // The official image switched its STOPSIGNAL to SIGQUIT in 1.19.
            let old = nginx_version(tag).is_some_and(|v| v < (1, 19));
            let signal = if old { libc::SIGTERM } else { libc::SIGQUIT };
            Some(plain(&["nginx", "-g", "daemon off;"], signal, nginx_scratch))
        }
        "php" if tag.contains("fpm") => Some(php_fpm()),
        "php" if tag.contains("apache") => Some(apache()),
        "httpd" => Some(apache()),
        // Built FROM php:apache or php:fpm, keeping their STOPSIGNAL; the bare tag is apache.
        "wordpress" | "drupal" | "nextcloud" if tag.contains("fpm") => Some(php_fpm()),
        "wordpress" | "drupal" | "nextcloud" => Some(apache()),
        // The official caddy image sets no STOPSIGNAL (so SIGTERM, Caddy's graceful stop) and
        // keeps Caddy's state under XDG_CONFIG_HOME and XDG_DATA_HOME.
        "caddy" if !tag.contains("builder") => Some(Image {
            env: CADDY_ENV.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..plain(
                &["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"],
                libc::SIGTERM,
                vec![],
            )
        }),
        "trafex/alpine-nginx-php7" | "trafex/php-nginx" => Some(plain(
            &["supervisord", "-c", "/etc/supervisor/conf.d/supervisord.conf"],
            libc::SIGTERM,
            [nginx_scratch, strings(&["/var/log/supervisor", "/etc/supervisor/conf.d"])].concat(),
        )),
        "lameduck" => Some(plain(&["lameduck"], libc::SIGTERM, vec![])),
        "debian" | "busybox" | "alpine" | "ubuntu" => Some(plain(&["sh"], libc::SIGTERM, vec![])),
        _ => None,
    }
}

/// Debian's `/etc/apache2/envvars`, with the run and lock directories under the container's
/// private `/run` (Debian's `/var/run` and `/var/lock` are links to it).
const APACHE_ENV: &[(&str, &str)] = &[
    ("APACHE_RUN_USER", "www-data"),
    ("APACHE_RUN_GROUP", "www-data"),
    ("APACHE_PID_FILE", "/run/apache2/apache2.pid"),
    ("APACHE_RUN_DIR", "/run/apache2"),
    ("APACHE_LOCK_DIR", "/run/lock/apache2"),
    ("APACHE_LOG_DIR", "/var/log/apache2"),
    ("LANG", "C"),
];
const APACHE_SCRATCH: &[&str] =
    &["/var/log", "/run/apache2", "/run/lock/apache2", "/var/log/apache2"];

/// Where Caddy keeps its autosaved config and certificates: the container's private `/run`, not
/// the host's `/root/.config` (the official image uses `/config` and `/data`).
const CADDY_ENV: &[(&str, &str)] =
    &[("XDG_CONFIG_HOME", "/run/caddy/config"), ("XDG_DATA_HOME", "/run/caddy/data")];

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
/// php-fpm, with `-R` added because the lab runs it as root; the official images' Apache
/// commands (`apache2-foreground`, `httpd-foreground`, `httpd`) are Debian's `apache2`.
pub fn resolve_program(argv: &mut Vec<String>, self_exe: &Path) -> Result<PathBuf, String> {
    let Some(first) = argv.first().cloned() else {
        return Err("empty command".into());
    };
    let base = first.rsplit('/').next().unwrap_or(&first);
    if matches!(base, "apache2-foreground" | "httpd-foreground") {
        argv.splice(0..1, ["apache2".to_string(), "-DFOREGROUND".to_string()]);
        return resolve_program(argv, self_exe);
    }
    if base == "httpd" {
        argv[0] = "apache2".into();
        return resolve_program(argv, self_exe);
    }
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
    format!("`{program}` is not installed on this machine; run `sudo scripts/install-deps lab` (it installs only what the lab needs: nginx-light, php-fpm, apache2, libapache2-mod-php, caddy, supervisor)")
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
    fn a_mapped_image_runs_as_its_programs_official_image() {
        let mapped = BTreeMap::from([(
            "mycorp/shop-php:1.4".to_string(),
            ImageSpec::Program("php-fpm".into()),
        )]);
        let image = lookup("mycorp/shop-php:1.4", &mapped).unwrap();
        assert_eq!((image.cmd[0].as_str(), image.stop_signal), ("php-fpm", libc::SIGQUIT));
        let typo = BTreeMap::from([("x".to_string(), ImageSpec::Program("php-fmp".into()))]);
        let err = lookup("x", &typo).unwrap_err();
        assert!(err.contains("did you mean php-fpm?") && err.contains("supervisord"), "{err}");
        for (program, _) in PROGRAMS {
            assert!(program_image(program).is_some(), "{program} maps to a built-in image");
        }
    }

    #[test]
    fn a_near_known_image_gets_a_suggestion() {
        let none = BTreeMap::new();
        let err = |image| lookup(image, &none).unwrap_err();
        assert!(err("ngnix:1.25").ends_with("did you mean nginx:1.25?"), "{}", err("ngnix:1.25"));
        assert!(err("php:8.2").ends_with("did you mean php:8.2-fpm?"), "{}", err("php:8.2"));
        assert!(err("php-fpm:8.3").ends_with("did you mean php:8.3-fpm?"));
        assert!(!err("mycorp/shop-php:1.4").contains("did you mean"));
        assert!(lookup("registry:5000/nginx", &none).is_err(), "a port is not a tag");
    }

    #[test]
    fn command_and_args_replace_entrypoint_and_cmd() {
        let image = Image {
            programs: BTreeMap::new(),
            entrypoint: vec!["e".into()],
            cmd: vec!["c".into()],
            stop_signal: 15,
            scratch: vec![],
            env: vec![],
        };
        assert_eq!(container_argv(&image, None, None), ["e", "c"]);
        assert_eq!(container_argv(&image, None, Some(&vec!["a".into()])), ["e", "a"]);
        assert_eq!(container_argv(&image, Some(&vec!["x".into()]), None), ["x"]);
    }
}
