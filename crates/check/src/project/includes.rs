//! php-fpm's `include = PATTERN`: which scanned configs an include pulls in.
//!
//! php-fpm resolves a relative pattern against its prefix and an absolute one in the image's
//! filesystem, neither of which the checker sees. So a pattern is matched against what was
//! scanned: a relative one (`pool.d/*.conf`, `etc/php-fpm.d/*.conf`) under the including file's
//! directory or one of its two parents (the config dir and the prefix); an absolute one
//! (`/usr/local/etc/php-fpm.d/*.conf`) by its last directory and file pattern, under the same
//! roots. Inside a ConfigMap the keys are flat files, so only the file pattern is matched, against
//! the other keys of the same ConfigMap. `*`, `?` and `[…]` globs are understood.
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::{ConfigRef, Project};
use crate::source::Span;

/// The includes of every php-fpm config, resolved.
#[derive(Debug, Default)]
pub struct Includes {
    /// php-fpm config index → the php-fpm configs its includes match.
    pub included: HashMap<usize, Vec<usize>>,
    /// php-fpm config index → includes that matched nothing scanned.
    pub unresolved: HashMap<usize, Vec<(String, Span)>>,
}

impl Includes {
    /// `fpm` and every config it includes, transitively, in discovery order.
    pub fn closure(&self, fpm: usize) -> Vec<usize> {
        let mut out = vec![fpm];
        let mut at = 0;
        while at < out.len() {
            for &next in self.included.get(&out[at]).into_iter().flatten() {
                if !out.contains(&next) {
                    out.push(next);
                }
            }
            at += 1;
        }
        out
    }
}

impl Includes {
    /// The configs joined with `fpm` by includes in either direction: one php-fpm configuration.
    pub fn joined(&self, fpm: usize) -> Vec<usize> {
        let mut out = vec![fpm];
        let mut at = 0;
        while at < out.len() {
            let current = out[at];
            let forward = self.included.get(&current).into_iter().flatten().copied();
            let backward =
                self.included.iter().filter(|(_, to)| to.contains(&current)).map(|(from, _)| *from);
            for next in forward.chain(backward).collect::<Vec<_>>() {
                if !out.contains(&next) {
                    out.push(next);
                }
            }
            at += 1;
        }
        out
    }
}

/// Resolves every include of the project's php-fpm configs.
pub fn resolve(project: &Project) -> Includes {
    let files: Vec<(&Path, usize)> = project
        .file_configs
        .iter()
        .filter_map(
            |(p, c)| if let ConfigRef::PhpFpm(i) = c { Some((p.as_path(), *i)) } else { None },
        )
        .collect();
    let mut keys_of: HashMap<usize, Vec<(&str, usize)>> = HashMap::new();
    for entries in project.config_map_configs.values() {
        let fpm_keys: Vec<(&str, usize)> = entries
            .iter()
            .filter_map(
                |(k, c)| if let ConfigRef::PhpFpm(i) = c { Some((k.as_str(), *i)) } else { None },
            )
            .collect();
        for &(_, i) in &fpm_keys {
            keys_of.insert(i, fpm_keys.clone());
        }
    }
    let path_of: HashMap<usize, &Path> = files.iter().map(|(p, i)| (*i, *p)).collect();
    let mut out = Includes::default();
    for (index, config) in project.fpm.iter().enumerate() {
        for (pattern, span) in &config.includes {
            let matched: Vec<usize> = if let Some(path) = path_of.get(&index) {
                matching_files(path, pattern, &files)
            } else if let Some(keys) = keys_of.get(&index) {
                let file_glob = pattern.rsplit('/').next().unwrap_or(pattern);
                keys.iter().filter(|(k, _)| glob_matches(file_glob, k)).map(|(_, i)| *i).collect()
            } else {
                Vec::new()
            };
            let matched: Vec<usize> = matched.into_iter().filter(|&i| i != index).collect();
            if matched.is_empty() {
                out.unresolved.entry(index).or_default().push((pattern.clone(), *span));
            } else {
                out.included.entry(index).or_default().extend(matched);
            }
        }
    }
    out
}

/// Scanned php-fpm files that `pattern`, included from the file at `including`, names.
fn matching_files(including: &Path, pattern: &str, files: &[(&Path, usize)]) -> Vec<usize> {
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    let Some((&file_glob, dirs)) = parts.split_last() else { return Vec::new() };
    let last_dir = &dirs[dirs.len().saturating_sub(1)..];
    if pattern.starts_with('/') {
        // An absolute path names the image's filesystem: keep its last directory only.
        return matching_under_roots(including, last_dir, file_glob, files);
    }
    // Relative to the prefix: the scanned tree may not mirror it (`etc/php-fpm.d/*.conf` with
    // php-fpm.conf and php-fpm.d/ side by side), so fall back to the last directory.
    let exact = matching_under_roots(including, dirs, file_glob, files);
    if !exact.is_empty() {
        return exact;
    }
    matching_under_roots(including, last_dir, file_glob, files)
}

/// Scanned files named `file_glob` in `root/dirs…` for the including file's directory and its
/// two parents as `root`.
fn matching_under_roots(
    including: &Path,
    dirs: &[&str],
    file_glob: &str,
    files: &[(&Path, usize)],
) -> Vec<usize> {
    let mut roots = Vec::new();
    let mut root = including.parent();
    while let Some(dir) = root {
        roots.push(dir.to_path_buf());
        if roots.len() == 3 {
            break;
        }
        root = dir.parent();
    }
    let mut out = Vec::new();
    for (path, index) in files {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        if !glob_matches(file_glob, name) || out.contains(index) {
            continue;
        }
        let Some(dir) = path.parent() else { continue };
        if roots.iter().any(|r| dir_matches(r, dirs, dir)) {
            out.push(*index);
        }
    }
    out
}

/// Whether `dir` is `root` followed by directories matching `globs` (`..` steps up).
fn dir_matches(root: &Path, globs: &[&str], dir: &Path) -> bool {
    let mut expected: Vec<String> = Vec::new();
    let mut base: PathBuf = normalize(root);
    for glob in globs {
        if *glob == ".." {
            if expected.pop().is_none() && !base.pop() {
                return false;
            }
        } else {
            expected.push((*glob).to_string());
        }
    }
    let Ok(rest) = normalize(dir).strip_prefix(&base).map(Path::to_path_buf) else { return false };
    let rest: Vec<String> =
        rest.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    rest.len() == expected.len() && rest.iter().zip(&expected).all(|(r, g)| glob_matches(g, r))
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// glob(3) for one path component: `*`, `?` and `[…]` (with `!`/`^` negation and ranges).
/// Greedy with one backtrack point, so linear-ish in the name even for many `*`s.
pub fn glob_matches(glob: &str, name: &str) -> bool {
    let (g, n): (Vec<char>, Vec<char>) = (glob.chars().collect(), name.chars().collect());
    let (mut gi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match g.get(gi) {
            Some('*') => {
                star = Some((gi, ni));
                gi += 1;
                continue;
            }
            Some(_) => {
                if let Some(next) = one_char(&g, gi, n[ni]) {
                    gi = next;
                    ni += 1;
                    continue;
                }
            }
            None => {}
        }
        match star {
            Some((sg, sn)) => {
                gi = sg + 1;
                ni = sn + 1;
                star = Some((sg, sn + 1));
            }
            None => return false,
        }
    }
    g[gi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the glob item at `at` (not `*`); the index after the item on a match.
fn one_char(g: &[char], at: usize, c: char) -> Option<usize> {
    match g[at] {
        '?' => Some(at + 1),
        '[' => {
            let Some(close) = g[at..].iter().skip(2).position(|&x| x == ']').map(|p| at + p + 2)
            else {
                return (c == '[').then_some(at + 1);
            };
            let mut set = &g[at + 1..close];
            let negate = matches!(set.first(), Some('!' | '^'));
            if negate {
                set = &set[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    hit |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            (hit != negate).then_some(close + 1)
        }
        x => (x == c).then_some(at + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("*.conf", "www.conf"));
        assert!(!glob_matches("*.conf", "www.conf.bak"));
        assert!(glob_matches("zz-?.conf", "zz-1.conf"));
        assert!(glob_matches("[a-c]*.conf", "b.conf"));
        assert!(!glob_matches("[!a-c]*.conf", "b.conf"));
        assert!(glob_matches("www.conf", "www.conf"));
        assert!(!glob_matches("*.conf", ""));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "aXbYbZc"));
        assert!(!glob_matches("a*b*c", "aXbYbZ"));
        // Many stars against a long name that does not match: no exponential search.
        assert!(!glob_matches(&"*a".repeat(40), &"a".repeat(39)));
        assert!(glob_matches(&"*a".repeat(40), &"a".repeat(200)));
    }

    #[test]
    fn relative_and_absolute_patterns() {
        let files = [
            (Path::new("/repo/docker/fpm/pool.d/www.conf"), 1),
            (Path::new("/repo/docker/fpm/pool.d/zz.conf"), 2),
            (Path::new("/repo/docker/fpm/etc/php-fpm.d/a.conf"), 3),
            (Path::new("/elsewhere/pool.d/x.conf"), 4),
        ];
        let including = Path::new("/repo/docker/fpm/php-fpm.conf");
        assert_eq!(matching_files(including, "pool.d/*.conf", &files), [1, 2]);
        assert_eq!(matching_files(including, "pool.d/z*.conf", &files), [2]);
        assert_eq!(matching_files(including, "/usr/local/etc/pool.d/*.conf", &files), [1, 2]);
        assert_eq!(matching_files(including, "etc/php-fpm.d/*.conf", &files), [3]);
        // From etc/php-fpm.conf, `etc/php-fpm.d/*.conf` is relative to the prefix, its parent.
        let nested = Path::new("/repo/docker/fpm/etc/php-fpm.conf");
        assert_eq!(matching_files(nested, "etc/php-fpm.d/*.conf", &files), [3]);
        assert_eq!(matching_files(nested, "../pool.d/www.conf", &files), [1]);
        assert!(matching_files(including, "/etc/php/8.2/fpm/conf.d/*.conf", &files).is_empty());
        // `etc/pool.d` does not exist beside php-fpm.conf: its last directory does.
        assert_eq!(matching_files(including, "etc/pool.d/*.conf", &files), [1, 2]);
    }
}
