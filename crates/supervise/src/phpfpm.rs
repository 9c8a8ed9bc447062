//! php-fpm's configuration, read the way php-fpm will read it: which addresses its pools listen
//! on (to count in-flight FastCGI connections) and whether `process_control_timeout` is 0 (then
//! SIGQUIT kills busy workers, so lameduck must not send it while connections remain).
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::netstat;

/// Where a pool listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    Tcp(u16),
    Unix(String),
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listen::Tcp(port) => write!(f, "tcp:{port}"),
            Listen::Unix(path) => write!(f, "unix:{path}"),
        }
    }
}

/// The parts of php-fpm's configuration lameduck needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FpmConfig {
    pub path: PathBuf,
    pub process_control_timeout: Duration,
    pub listens: Vec<Listen>,
}

/// The config file php-fpm started with `argv` will read: `-y`/`--fpm-config`, else the
/// packaged default for its version, else the official Docker image's.
pub fn config_path(argv: &[String]) -> Option<PathBuf> {
    let mut words = argv.iter().skip(1);
    while let Some(word) = words.next() {
        if word == "-y" || word == "--fpm-config" {
            return words.next().map(PathBuf::from);
        }
        if let Some(path) = word.strip_prefix("--fpm-config=") {
            return Some(PathBuf::from(path));
        }
        if let Some(path) = word.strip_prefix("-y").filter(|path| !path.is_empty()) {
            return Some(PathBuf::from(path));
        }
    }
    let binary = argv.first()?.rsplit('/').next()?.to_string();
    let version = binary.trim_start_matches("php-fpm");
    let mut candidates = Vec::new();
    if !version.is_empty() {
        candidates.push(PathBuf::from(format!("/etc/php/{version}/fpm/php-fpm.conf")));
    }
    candidates.extend(expand("/etc/php/*/fpm/php-fpm.conf"));
    candidates.push(PathBuf::from("/usr/local/etc/php-fpm.conf"));
    candidates.push(PathBuf::from("/etc/php-fpm.conf"));
    candidates.into_iter().find(|path| path.is_file())
}

/// Reads the config php-fpm started with `argv` will use.
pub fn read(argv: &[String]) -> Result<FpmConfig, String> {
    let path = config_path(argv).ok_or("no php-fpm config found (pass -y PATH to php-fpm)")?;
    read_file(&path)
}

/// Reads `path` and the files it includes.
pub fn read_file(path: &Path) -> Result<FpmConfig, String> {
    let mut config = FpmConfig {
        path: path.to_path_buf(),
        process_control_timeout: Duration::ZERO,
        listens: Vec::new(),
    };
    parse_into(path, &mut config, 0)?;
    Ok(config)
}

// Long because one pass over php-fpm's ini lines with one arm per directive it reads; includes
// recurse through it.
fn parse_into(path: &Path, config: &mut FpmConfig, depth: usize) -> Result<(), String> {
    if depth > 8 {
        return Err(format!("{}: includes nest too deeply", path.display()));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut section = String::from("global");
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let key = key.trim();
        let value = value.trim().trim_matches('"').trim_matches('\'');
        match key {
            "include" => {
                let pattern = if value.starts_with('/') {
                    value.to_string()
                } else {
                    let base = path.parent().unwrap_or(Path::new("/"));
                    format!("{}/{value}", base.display())
                };
                for included in expand(&pattern) {
                    parse_into(&included, config, depth + 1)?;
                }
            }
            "process_control_timeout" if section == "global" => {
                config.process_control_timeout = parse_fpm_duration(value).ok_or_else(|| {
                    format!(
                        "{}:{}: process_control_timeout = {value:?} is not a time",
                        path.display(),
                        number + 1
                    )
                })?;
            }
            "listen" if section != "global" => {
                let value = value.replace("$pool", &section);
                config.listens.push(parse_listen(&value));
            }
            _ => {}
        }
    }
    Ok(())
}

/// php-fpm times: a number with an optional s, m, h or d suffix.
fn parse_fpm_duration(value: &str) -> Option<Duration> {
    let (number, scale) = match value.chars().last()? {
        's' => (&value[..value.len() - 1], 1),
        'm' => (&value[..value.len() - 1], 60),
        'h' => (&value[..value.len() - 1], 3600),
        'd' => (&value[..value.len() - 1], 86400),
        _ => (value, 1),
    };
    Some(Duration::from_secs(number.trim().parse::<u64>().ok()? * scale))
}

/// `9000`, `127.0.0.1:9000`, `[::]:9000` or a socket path.
fn parse_listen(value: &str) -> Listen {
    if value.starts_with('/') {
        return Listen::Unix(value.to_string());
    }
    let port = value.rsplit(':').next().unwrap_or(value);
    match port.parse() {
        Ok(port) => Listen::Tcp(port),
        Err(_) => Listen::Unix(value.to_string()),
    }
}

/// Expands a `*` in the last component of `pattern`, sorted like php-fpm's glob().
fn expand(pattern: &str) -> Vec<PathBuf> {
    let path = Path::new(pattern);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    if !name.contains('*') && !dir.to_string_lossy().contains('*') {
        return vec![path.to_path_buf()];
    }
    let dirs = if dir.to_string_lossy().contains('*') {
        expand(&dir.to_string_lossy())
    } else {
        vec![dir.to_path_buf()]
    };
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            if let Some(file) = entry.file_name().to_str() {
                if wildcard_match(name, file) {
                    found.push(entry.path());
                }
            }
        }
    }
    found.sort();
    found
}

fn wildcard_match(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, rest)) => {
            text.starts_with(prefix)
                && (0..=text.len() - prefix.len())
                    .any(|skip| wildcard_match(rest, &text[prefix.len() + skip..]))
        }
    }
}

/// In-flight FastCGI connections to any of `listens`.
pub fn connections(listens: &[Listen]) -> usize {
    let sockets = netstat::tcp_sockets().unwrap_or_default();
    listens
        .iter()
        .map(|listen| match listen {
            Listen::Tcp(port) => {
                sockets.iter().filter(|s| s.local_port == *port && s.is_connection()).count()
            }
            Listen::Unix(path) => netstat::unix_connections(path).unwrap_or(0),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pools_through_includes() {
        let dir = tempfile::tempdir().unwrap();
        let pools = dir.path().join("pool.d");
        std::fs::create_dir(&pools).unwrap();
        let main = dir.path().join("php-fpm.conf");
        std::fs::write(
            &main,
            format!(
                "[global]\nprocess_control_timeout = 10s\ninclude={}/*.conf\n",
                pools.display()
            ),
        )
        .unwrap();
        std::fs::write(pools.join("a.conf"), "[www]\nlisten = 127.0.0.1:9000\n").unwrap();
        std::fs::write(pools.join("b.conf"), "[api]\n; listen = 1\nlisten = /run/$pool.sock\n")
            .unwrap();
        std::fs::write(pools.join("c.txt"), "[skip]\nlisten = 1\n").unwrap();
        let config = read_file(&main).unwrap();
        assert_eq!(config.process_control_timeout, Duration::from_secs(10));
        assert_eq!(config.listens, [Listen::Tcp(9000), Listen::Unix("/run/api.sock".into())]);
        let argv = vec!["php-fpm".to_string(), "-y".into(), main.display().to_string()];
        assert_eq!(config_path(&argv).unwrap(), main);
    }

    #[test]
    fn default_process_control_timeout_is_zero() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("php-fpm.conf");
        std::fs::write(&main, "[global]\n[www]\nlisten = 9000\n").unwrap();
        assert_eq!(read_file(&main).unwrap().process_control_timeout, Duration::ZERO);
        assert!(wildcard_match("*.conf", "www.conf"));
        assert!(!wildcard_match("*.conf", "www.conf.bak"));
    }
}
