//! Server configs (php-fpm, nginx, supervisord, Apache httpd, Caddyfile) read from files or from
//! ConfigMap keys, reduced to the settings that decide how a server stops, each with a span in the
//! file it came from.
use crate::duration::parse_seconds;
use crate::parse::{apache, caddyfile, ini, nginx};
use crate::shell::basename;
use crate::source::{FileId, SourceFile, Span};

/// Which server a config belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    PhpFpm,
    Nginx,
    Supervisord,
    Apache,
    Caddy,
}

/// Guesses a config's kind from its name and text. `None` means "not a config we read".
///
/// A few file names are certain (`php-fpm.conf` and `www.conf` unless Apache's sections or
/// directives fill them, `nginx.conf`, `supervisord*`);
/// otherwise the text decides: `[program:`/`[supervisord]` → supervisord; a block opened with `{`
/// at the end of a line (`server {`, `http {`, `location / {`) or `worker_processes` → nginx;
/// INI lines with php-fpm keys (`[global]`, `[www]`, `pm =`, `listen =`,
/// `process_control_timeout`, …) → php-fpm. Only when the text says nothing does the folder the
/// file is in count (`pool.d/`, `php-fpm.d/` → php-fpm; `nginx/`, `sites-enabled/` → nginx): its
/// immediate parent, never a word somewhere in the path (a checkout in `~/src/nginx-php/` holds
/// php-fpm pools too).
pub fn sniff(name: &str, text: &str) -> Option<ConfigKind> {
    let lower = name.to_ascii_lowercase();
    let file = basename(&lower);
    if text.contains("[program:")
        || text.contains("[supervisord]")
        || file.starts_with("supervisord")
    {
        return Some(ConfigKind::Supervisord);
    }
    match file {
        // Apache's proxy_fcgi setup for php-fpm is often named after php-fpm (Debian's
        // conf-available/php8.2-fpm.conf, a ConfigMap key `php-fpm.conf`): Apache's sections and
        // directives never appear in php-fpm's INI, so they decide.
        "php-fpm.conf" | "www.conf" => {
            return Some(match sniff_text(text) {
                Some(ConfigKind::Apache) => ConfigKind::Apache,
                _ => ConfigKind::PhpFpm,
            })
        }
        "nginx.conf" => return Some(ConfigKind::Nginx),
        "httpd.conf" | "apache2.conf" => return Some(ConfigKind::Apache),
        "caddyfile" => return Some(ConfigKind::Caddy),
        _ if file.ends_with(".caddyfile") || file.starts_with("caddyfile.") => {
            return Some(ConfigKind::Caddy)
        }
        _ => {}
    }
    let is_conf = file.ends_with(".conf") || file.ends_with(".ini") || !file.contains('.');
    if !is_conf {
        return None;
    }
    if let Some(kind) = sniff_text(text) {
        return Some(kind);
    }
    let parent = lower.rsplit('/').nth(1).unwrap_or("");
    match parent {
        "pool.d" | "php-fpm.d" => Some(ConfigKind::PhpFpm),
        "nginx" | "sites-enabled" | "sites-available" => Some(ConfigKind::Nginx),
        _ => None,
    }
}

/// Directives only Apache has (compared without case, as Apache does).
const APACHE_DIRECTIVES: &[&str] = &[
    "servername",
    "serverroot",
    "documentroot",
    "loadmodule",
    "gracefulshutdowntimeout",
    "proxypass",
    "proxypassmatch",
    "sethandler",
    "addhandler",
    "directoryindex",
    "errorlog",
    "customlog",
    "rewriteengine",
];

/// Apache's sections (`<VirtualHost *:80>`), lower-case: other XML-like `.conf` files are not
/// Apache's.
const APACHE_SECTIONS: &[&str] = &[
    "virtualhost",
    "directory",
    "directorymatch",
    "files",
    "filesmatch",
    "location",
    "locationmatch",
    "ifmodule",
    "ifdefine",
    "ifversion",
    "proxy",
    "proxymatch",
    "macro",
    "requireall",
    "requireany",
    "limit",
    "limitexcept",
];

/// Directives only a Caddyfile has.
const CADDY_DIRECTIVES: &[&str] =
    &["php_fastcgi", "reverse_proxy", "file_server", "grace_period", "shutdown_delay", "encode"];

/// The kind the text itself shows, line by line (comments left out).
fn sniff_text(text: &str) -> Option<ConfigKind> {
    const FPM_KEYS: &[&str] = &[
        "pm",
        "pm.max_children",
        "listen",
        "process_control_timeout",
        "request_terminate_timeout",
        "pid",
        "include",
    ];
    let lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'));
    // Caddy's sites open `{` blocks as nginx's do, but its directives never end with `;`.
    let caddy = lines
        .clone()
        .any(|l| CADDY_DIRECTIVES.contains(&l.split_whitespace().next().unwrap_or("")))
        && !lines.clone().any(|l| l.ends_with(';'));
    if caddy {
        return Some(ConfigKind::Caddy);
    }
    let mut fpm = false;
    for line in lines {
        let first = line.split_whitespace().next().unwrap_or("");
        let section = first.strip_prefix('<').is_some_and(|s| {
            APACHE_SECTIONS.contains(&s.trim_end_matches('>').to_ascii_lowercase().as_str())
        });
        if section || APACHE_DIRECTIVES.contains(&first.to_ascii_lowercase().as_str()) {
            return Some(ConfigKind::Apache);
        }
        if line.ends_with('{') || first == "worker_processes" || first == "worker_shutdown_timeout"
        {
            return Some(ConfigKind::Nginx);
        }
        let key = line.split('=').next().unwrap_or("").trim();
        fpm |= line == "[global]"
            || line == "[www]"
            || (line.contains('=') && FPM_KEYS.contains(&key));
    }
    fpm.then_some(ConfigKind::PhpFpm)
}

/// How offsets in a config's text map to offsets in the file that holds it.
#[derive(Debug, Clone)]
pub enum TextMap {
    /// The config is the whole file.
    Identity,
    /// A YAML block scalar (`|`): config line N is file line `first_line + N - 1`, indented.
    Block { first_line: usize, indent: usize },
    /// A one-line YAML scalar starting at this byte.
    Inline { start: usize },
}

/// Where a config's text lives.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: FileId,
    pub map: TextMap,
    /// A readable name: the path, or `configmap/NAME key KEY`.
    pub label: String,
}

/// The offsets where the lines of a config's text start, so mapping many spans out of a big
/// ConfigMap value stays linear.
pub struct TextLines(Vec<usize>);

impl TextLines {
    pub fn new(text: &str) -> TextLines {
        TextLines(std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect())
    }

    /// 0-based line and byte column of an offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.0.partition_point(|&start| start <= offset).saturating_sub(1);
        (line, offset - self.0[line])
    }
}

impl Origin {
    /// Maps a byte range of the config text to a span in the file.
    pub fn span(
        &self,
        source: &SourceFile,
        text: &str,
        lines: &TextLines,
        range: std::ops::Range<usize>,
    ) -> Span {
        let to_file = |offset: usize| -> usize {
            match &self.map {
                TextMap::Identity => offset,
                TextMap::Inline { start } => start + 1 + offset,
                TextMap::Block { first_line, indent } => {
                    let (line, col) = lines.line_col(offset.min(text.len()));
                    let line_start = source.line_start(first_line + line);
                    (line_start + indent + col).min(source.line_end(line_start))
                }
            }
        };
        let start = to_file(range.start).min(source.text.len());
        let end = to_file(range.end).min(source.text.len());
        Span::new(self.file, start, end)
    }
}

/// Settings only `[global]` has: a file that sets them before any section header is a
/// php-fpm.conf whose global section has no header.
const GLOBAL_ONLY: &[&str] = &[
    "daemonize",
    "error_log",
    "pid",
    "log_level",
    "emergency_restart_threshold",
    "emergency_restart_interval",
    "process_control_timeout",
    "events.mechanism",
];

/// A value that is an environment placeholder (Apache's `${VAR}`, Caddy's `{$VAR}` or
/// `{env.VAR}`) is unknown (NaN), never 0 or unset; anything else is `parse`d.
fn placeholder_or(value: &str, parse: impl Fn(&str) -> Option<f64>) -> Option<f64> {
    if value.contains("${") || value.contains("{$") || value.contains("{env.") {
        return Some(f64::NAN);
    }
    parse(value)
}

/// A php-fpm duration: an environment placeholder with a default (`${T:-10s}`) is its default;
/// one without (`${T}`, `$T`) is unknown (NaN), never 0; anything else unparsable counts as 0,
/// as php-fpm would refuse it.
fn fpm_seconds(value: &str) -> f64 {
    let value = value.trim();
    if let Some(inner) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        let default = inner.split_once(":-").or_else(|| inner.split_once('-')).map(|(_, d)| d);
        return default.and_then(parse_seconds).unwrap_or(f64::NAN);
    }
    if value.contains('$') {
        return f64::NAN;
    }
    parse_seconds(value).unwrap_or(0.0)
}

/// A php-fpm config: global and pool settings that matter at shutdown.
#[derive(Debug, Clone)]
pub struct FpmConfig {
    pub origin: Origin,
    /// Span of the `[global]` header, when the file has one; the first line when global
    /// settings sit before any section header (php-fpm reads them as `[global]`).
    pub global: Option<Span>,
    /// Seconds, NaN when the value is an environment placeholder (`${VAR}`) that lameduck cannot
    /// resolve: set, to a value nobody can tell, so no rule compares it.
    pub process_control_timeout: Option<(f64, Span)>,
    /// `request_terminate_timeout` per pool (0 = unlimited).
    pub request_terminate_timeouts: Vec<(f64, Span)>,
    /// `include = PATTERN` directives, anywhere in the file, in order.
    pub includes: Vec<(String, Span)>,
    /// TCP ports the pools `listen` on (unix sockets left out).
    pub listens: Vec<u16>,
    /// Where a finding about the whole file points (the first line).
    pub start: Span,
}

/// An nginx config.
#[derive(Debug, Clone)]
pub struct NginxConfig {
    pub origin: Origin,
    pub worker_shutdown_timeout: Option<(f64, Span)>,
    /// `keepalive_timeout` in `http` or `server` (the first; nginx's default is 75s).
    pub keepalive_timeout: Option<(f64, Span)>,
    /// TCP ports of `listen` directives in `server` blocks (unix sockets left out).
    pub listens: Vec<u16>,
}

/// An Apache httpd config: what decides how its graceful stop ends and whether it fronts php-fpm.
#[derive(Debug, Clone)]
pub struct ApacheConfig {
    pub origin: Origin,
    /// `GracefulShutdownTimeout` (server config context); 0 waits for ever.
    pub graceful_shutdown_timeout: Option<(f64, Span)>,
    /// A `ProxyPass`/`ProxyPassMatch` to `fcgi://` or a `SetHandler "proxy:fcgi://…"`: Apache
    /// passes PHP to php-fpm instead of running mod_php.
    pub proxies_fcgi: Option<Span>,
}

/// A Caddyfile: its global `grace_period` and whether it fronts php-fpm.
#[derive(Debug, Clone)]
pub struct CaddyConfig {
    pub origin: Origin,
    /// `grace_period` in the global options block; unset or 0 waits for ever.
    pub grace_period: Option<(f64, Span)>,
    /// `shutdown_delay` in the global options block: Caddy keeps serving this long after its stop
    /// signal before the grace period starts.
    pub shutdown_delay: Option<(f64, Span)>,
    /// A `php_fastcgi` directive (or `transport fastcgi`).
    pub php_fastcgi: Option<Span>,
}

/// The port of a php-fpm pool's `listen`: `9000`, `127.0.0.1:9000`, `[::]:9000`; `None` for a
/// socket path.
pub fn fpm_listen_port(address: &str) -> Option<u16> {
    if address.starts_with('/') {
        return None;
    }
    address.rsplit(':').next()?.parse().ok()
}

/// The port of an nginx `listen` address: `80`, `0.0.0.0:8080`, `[::]:80`, `localhost:81`;
/// `None` for `unix:` sockets. A bare address without a port listens on 80.
pub fn nginx_listen_port(address: &str) -> Option<u16> {
    if address.starts_with("unix:") {
        return None;
    }
    if let Ok(port) = address.parse::<u16>() {
        return Some(port);
    }
    let after_host = address.rsplit_once(']').map_or(address, |(_, rest)| rest);
    match after_host.rsplit_once(':') {
        Some((_, port)) => port.parse().ok(),
        None => Some(80),
    }
}

/// One `[program:x]` of supervisord.
#[derive(Debug, Clone)]
pub struct Program {
    pub name: String,
    pub header: Span,
    pub command: String,
    pub stop_signal: Option<(String, Span)>,
    pub stop_wait_secs: Option<(f64, Span)>,
    /// supervisord starts low priorities first and stops them last (default 999).
    pub priority: (i64, Option<Span>),
}

impl Program {
    /// Whether the program runs nginx or php-fpm (by command, then by name). Other servers are
    /// left out: supervisord's rules are about these two's SIGQUIT.
    pub fn server(&self) -> Option<crate::role::Role> {
        self.any_server().filter(|r| r.stops_on_quit())
    }

    /// The server the program runs, of any kind (Apache and Caddy too).
    pub fn any_server(&self) -> Option<crate::role::Role> {
        crate::role::Role::of_words(
            &self.command.split_whitespace().map(str::to_string).collect::<Vec<_>>(),
        )
        .or_else(|| crate::role::Role::of_name(&self.name))
    }
}

/// A supervisord config.
#[derive(Debug, Clone)]
pub struct SupervisordConfig {
    pub origin: Origin,
    pub programs: Vec<Program>,
}

/// A config that failed to parse.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub span: Span,
    pub message: String,
}

/// A parsed config of any kind.
#[derive(Debug, Clone)]
pub enum Parsed {
    PhpFpm(FpmConfig),
    Nginx(NginxConfig),
    Supervisord(SupervisordConfig),
    Apache(ApacheConfig),
    Caddy(CaddyConfig),
}

/// Parses config `text` of `kind` that lives at `origin` in `source`.
// Long because one arm per kind of server config, each a few lines that call that kind's parser.
pub fn parse(
    kind: ConfigKind,
    text: &str,
    origin: Origin,
    source: &SourceFile,
) -> Result<Parsed, ConfigError> {
    let lines = TextLines::new(text);
    let span = |r: std::ops::Range<usize>| origin.span(source, text, &lines, r);
    let fail = |offset: usize, message: String| ConfigError {
        span: origin.span(source, text, &lines, offset..offset),
        message,
    };
    match kind {
        ConfigKind::PhpFpm => {
            let ini = ini::parse(text).map_err(|e| fail(e.offset, e.message))?;
            let global_section = ini.section("global");
            // Settings before any section header are global in php-fpm.conf.
            let pct = [global_section, ini.sections.first().filter(|s| s.name.is_none())]
                .into_iter()
                .flatten()
                .find_map(|s| s.get("process_control_timeout"))
                .map(|e| (fpm_seconds(&e.value), span(e.value_range.clone())));
            let first_line_end = text.find('\n').unwrap_or(text.len());
            let implicit_global = ini.sections.first().is_some_and(|s| {
                s.name.is_none() && s.entries.iter().any(|e| GLOBAL_ONLY.contains(&e.key.as_str()))
            });
            let request_terminate_timeouts = ini
                .sections
                .iter()
                .filter(|s| s.name.as_deref().is_some_and(|n| n != "global"))
                .filter_map(|s| s.get("request_terminate_timeout"))
                .filter_map(|e| Some((parse_seconds(&e.value)?, span(e.value_range.clone()))))
                .collect();
            let includes = ini
                .sections
                .iter()
                .flat_map(|s| &s.entries)
                .filter(|e| e.key.eq_ignore_ascii_case("include") && !e.value.trim().is_empty())
                .map(|e| (e.value.trim().to_string(), span(e.value_range.clone())))
                .collect();
            let listens = ini
                .sections
                .iter()
                .filter(|s| s.name.as_deref().is_some_and(|n| n != "global"))
                .filter_map(|s| s.get("listen"))
                .filter_map(|e| fpm_listen_port(e.value.trim()))
                .collect();
            Ok(Parsed::PhpFpm(FpmConfig {
                listens,
                includes,
                global: global_section
                    .map(|s| span(s.header_range.clone()))
                    .or_else(|| implicit_global.then(|| span(0..first_line_end))),
                process_control_timeout: pct,
                request_terminate_timeouts,
                start: span(0..text.find('\n').unwrap_or(text.len())),
                origin,
            }))
        }
        ConfigKind::Nginx => {
            let directives = nginx::parse(text).map_err(|e| fail(e.offset, e.message))?;
            let worker_shutdown_timeout = directives
                .iter()
                .find(|d| d.name == "worker_shutdown_timeout" && d.context.is_empty())
                .and_then(|d| Some((parse_seconds(d.args.first()?)?, span(d.range.clone()))));
            let keepalive_timeout = directives
                .iter()
                .find(|d| {
                    d.name == "keepalive_timeout"
                        && matches!(d.context.last().map(String::as_str), Some("http" | "server"))
                })
                .and_then(|d| Some((parse_seconds(d.args.first()?)?, span(d.range.clone()))));
            let mut listens: Vec<u16> = directives
                .iter()
                .filter(|d| d.name == "listen" && d.context.last().is_some_and(|c| c == "server"))
                .filter_map(|d| nginx_listen_port(d.args.first()?))
                .collect();
            listens.dedup();
            Ok(Parsed::Nginx(NginxConfig {
                origin,
                worker_shutdown_timeout,
                keepalive_timeout,
                listens,
            }))
        }
        ConfigKind::Supervisord => {
            let ini = ini::parse(text).map_err(|e| fail(e.offset, e.message))?;
            let programs = ini
                .sections
                .iter()
                .filter_map(|s| {
                    let name = s.name.as_deref()?.strip_prefix("program:")?.trim().to_string();
                    Some(Program {
                        name,
                        header: span(s.header_range.clone()),
                        command: s.get("command").map(|e| e.value.clone()).unwrap_or_default(),
                        stop_signal: s
                            .get("stopsignal")
                            .map(|e| (e.value.clone(), span(e.value_range.clone()))),
                        stop_wait_secs: s.get("stopwaitsecs").and_then(|e| {
                            Some((parse_seconds(&e.value)?, span(e.value_range.clone())))
                        }),
                        priority: s
                            .get("priority")
                            .and_then(|e| {
                                Some((
                                    e.value.trim().parse().ok()?,
                                    Some(span(e.value_range.clone())),
                                ))
                            })
                            .unwrap_or((999, None)),
                    })
                })
                .collect();
            Ok(Parsed::Supervisord(SupervisordConfig { origin, programs }))
        }
        ConfigKind::Apache => {
            let directives = apache::parse(text).map_err(|e| fail(e.offset, e.message))?;
            let seconds = |d: &apache::Directive| {
                let (value, _) = d.args.first()?;
                let seconds = placeholder_or(value, |v| v.trim().parse::<f64>().ok())?;
                Some((seconds, span(d.range.clone())))
            };
            let graceful_shutdown_timeout = directives
                .iter()
                .filter(|d| d.is("GracefulShutdownTimeout"))
                .filter(|d| !d.sections.iter().any(|s| s.eq_ignore_ascii_case("VirtualHost")))
                .find_map(seconds);
            let fcgi = |d: &&apache::Directive| {
                let passes = d.is("ProxyPass") || d.is("ProxyPassMatch") || d.is("SetHandler");
                passes && d.args.iter().any(|(a, _)| a.to_ascii_lowercase().contains("fcgi://"))
            };
            let proxies_fcgi = directives.iter().find(fcgi).map(|d| span(d.range.clone()));
            Ok(Parsed::Apache(ApacheConfig { origin, graceful_shutdown_timeout, proxies_fcgi }))
        }
        ConfigKind::Caddy => {
            let directives = caddyfile::parse(text).map_err(|e| fail(e.offset, e.message))?;
            let global = |name: &str| {
                directives.iter().filter(|d| d.global && d.name == name).find_map(|d| {
                    let seconds = placeholder_or(&d.args.first()?.0, parse_seconds)?;
                    Some((seconds, span(d.range.clone())))
                })
            };
            let fastcgi = |d: &&caddyfile::Directive| {
                d.name == "php_fastcgi"
                    || (d.name == "transport" && d.args.first().is_some_and(|a| a.0 == "fastcgi"))
            };
            Ok(Parsed::Caddy(CaddyConfig {
                grace_period: global("grace_period"),
                shutdown_delay: global("shutdown_delay"),
                php_fastcgi: directives.iter().find(fastcgi).map(|d| span(d.range.clone())),
                origin,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff("etc/php-fpm.conf", ""), Some(ConfigKind::PhpFpm));
        assert_eq!(sniff("x.conf", "[www]\npm = dynamic\n"), Some(ConfigKind::PhpFpm));
        assert_eq!(sniff("default.conf", "server {\n listen 80;\n}\n"), Some(ConfigKind::Nginx));
        assert_eq!(sniff("s.conf", "[program:nginx]\n"), Some(ConfigKind::Supervisord));
        assert_eq!(sniff("readme.md", "server {"), None);
        // The content decides over a folder name anywhere in the path.
        let pool = "[www]\nuser = www-data\npm = dynamic\n";
        assert_eq!(sniff("src/nginx-php/config/fpm-pool.conf", pool), Some(ConfigKind::PhpFpm));
        assert_eq!(sniff("docker/nginx/fpm-pool.conf", pool), Some(ConfigKind::PhpFpm));
        assert_eq!(
            sniff("docker/nginx/fastcgi.conf", "fastcgi_param A b;\n"),
            Some(ConfigKind::Nginx)
        );
        assert_eq!(sniff("nginx-php/config/notes.conf", "hello\n"), None);
        assert_eq!(sniff("x/pool.d/a.conf", "user = x\n"), Some(ConfigKind::PhpFpm));
        assert_eq!(
            sniff("site.conf", "# [www] is php-fpm's\nlocation / {\n}\n"),
            Some(ConfigKind::Nginx)
        );
        assert_eq!(sniff("deploy/Caddyfile", ":80 {\n}\n"), Some(ConfigKind::Caddy));
        assert_eq!(
            sniff("site", ":80 {\n\tphp_fastcgi 127.0.0.1:9000\n}\n"),
            Some(ConfigKind::Caddy)
        );
        assert_eq!(sniff("etc/apache2/apache2.conf", ""), Some(ConfigKind::Apache));
        // A php-fpm name holding Apache's proxy_fcgi setup is Apache's; php-fpm's own INI stays.
        let fcgi =
            "<FilesMatch \\.php$>\n  SetHandler \"proxy:fcgi://127.0.0.1:9000\"\n</FilesMatch>\n";
        assert_eq!(sniff("conf.d/php-fpm.conf", fcgi), Some(ConfigKind::Apache));
        assert_eq!(
            sniff("php-fpm.conf", "[global]\ninclude=etc/*.conf\n"),
            Some(ConfigKind::PhpFpm)
        );
        assert_eq!(
            sniff("sites-enabled/000-default.conf", "<VirtualHost *:80>\n</VirtualHost>\n"),
            Some(ConfigKind::Apache)
        );
        assert_eq!(sniff("mpm.conf", "GracefulShutdownTimeout 20\n"), Some(ConfigKind::Apache));
        assert_eq!(sniff("fonts.conf", "<fontconfig>\n</fontconfig>\n"), None);
        assert_eq!(sniff("default.conf", "server {\n  encode gzip;\n}\n"), Some(ConfigKind::Nginx));
    }

    #[test]
    fn placeholders_are_unknown_not_unset() {
        let parsed = |kind, text: &str| {
            let source = SourceFile::new("x".into(), text.into());
            let origin = Origin { file: 0, map: TextMap::Identity, label: "x".into() };
            parse(kind, text, origin, &source).unwrap()
        };
        let Parsed::Caddy(caddy) = parsed(ConfigKind::Caddy, "{\n\tgrace_period {$GRACE}\n}\n")
        else {
            panic!()
        };
        assert!(caddy.grace_period.unwrap().0.is_nan());
        let Parsed::Apache(apache) =
            parsed(ConfigKind::Apache, "GracefulShutdownTimeout ${GRACEFUL_TIMEOUT}\n")
        else {
            panic!()
        };
        assert!(apache.graceful_shutdown_timeout.unwrap().0.is_nan());
        let Parsed::Apache(apache) = parsed(ConfigKind::Apache, "GracefulShutdownTimeout 20\n")
        else {
            panic!()
        };
        assert_eq!(apache.graceful_shutdown_timeout.unwrap().0, 20.0);
    }

    #[test]
    fn listen_ports() {
        assert_eq!(nginx_listen_port("80"), Some(80));
        assert_eq!(nginx_listen_port("0.0.0.0:8080"), Some(8080));
        assert_eq!(nginx_listen_port("[::]:8443"), Some(8443));
        assert_eq!(nginx_listen_port("[::1]"), Some(80));
        assert_eq!(nginx_listen_port("localhost"), Some(80));
        assert_eq!(nginx_listen_port("unix:/run/nginx.sock"), None);
        assert_eq!(fpm_listen_port("9000"), Some(9000));
        assert_eq!(fpm_listen_port("127.0.0.1:9001"), Some(9001));
        assert_eq!(fpm_listen_port("[::]:9002"), Some(9002));
        assert_eq!(fpm_listen_port("/run/php/php-fpm.sock"), None);
    }

    #[test]
    fn block_scalar_mapping() {
        let file = "data:\n  php-fpm.conf: |\n    [global]\n    process_control_timeout = 5s\n";
        let source = SourceFile::new("cm.yaml".into(), file.into());
        let text = "[global]\nprocess_control_timeout = 5s\n";
        let origin = Origin {
            file: 0,
            map: TextMap::Block { first_line: 3, indent: 4 },
            label: "cm".into(),
        };
        let Parsed::PhpFpm(fpm) = parse(ConfigKind::PhpFpm, text, origin, &source).unwrap() else {
            panic!()
        };
        let (secs, span) = fpm.process_control_timeout.unwrap();
        assert_eq!(secs, 5.0);
        assert_eq!(&file[span.start..span.end], "5s");
    }
}
