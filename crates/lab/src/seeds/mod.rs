//! `lameduck lab seeds`: one built-in scenario per experiment in the reference articles, each
//! with what the article reports and what the run must show.
//!
//! Times are scaled down so the whole set runs in well under three minutes: 4 replicas scaled to
//! 1 (the articles used 10 → 1), requests of 0.5–2 s standing in for httpbin's `delay/10`,
//! endpoint propagation of about 1 s. `prestop-sleep-30` keeps the real 30 s (and runs first,
//! alongside the others). Every scenario is rendered as an ordinary scenario file
//! (`lameduck lab seeds --dump NAME` prints it), so what runs here is what users can run.
pub mod files;

use crate::scenario::{parse_str, Scenario};

/// A preStop hook as the articles write it.
#[derive(Clone, Copy)]
enum Hook {
    Exec(&'static [&'static str]),
    Sleep(u64),
}

/// The server in front of PHP, and how it is built.
#[derive(Clone, Copy, PartialEq)]
enum Front {
    /// nginx + php-fpm (or both under supervisord): the articles' pods.
    Nginx,
    /// Apache with mod_php, one container, from `image` (its STOPSIGNAL decides the stop).
    ApacheModPhp { image: &'static str },
    /// Apache with proxy_fcgi in front of a php-fpm container.
    ApacheFcgi,
    /// Caddy with `php_fastcgi` in front of a php-fpm container; `grace_period` when set.
    Caddy { grace_period: Option<&'static str> },
}

/// An image built FROM debian with Debian's apache2 and no STOPSIGNAL, so SIGTERM.
const DEBIAN_APACHE: &str = "example/debian-apache2";

/// The knobs the experiments turn.
#[derive(Clone, Copy)]
struct Seed {
    name: &'static str,
    description: &'static str,
    article: &'static str,
    failures: bool,
    model: &'static str,
    termination_at_least: Option<&'static str>,
    nginx_image: &'static str,
    nginx_prestop: Option<Hook>,
    php_prestop: Option<Hook>,
    process_control_timeout: u32,
    delay: &'static str,
    jitter: &'static str,
    keepalive_timeout: &'static str,
    supervisord: bool,
    schedule: &'static str,
    uris: &'static [&'static str],
    at: &'static str,
    scale_to: u32,
    front: Front,
    /// Where the expected outcome comes from, in full (the `article` column is cut to fit).
    source: &'static str,
}

const LONG: &[&str] = &["/?ms=500", "/?ms=1000", "/?ms=1500", "/?ms=2000"];
const SHORT: &[&str] = &["/?ms=20"];

const BASE: Seed = Seed {
    name: "",
    description: "",
    article: "",
    failures: true,
    model: "alb",
    termination_at_least: None,
    nginx_image: "nginx",
    nginx_prestop: None,
    php_prestop: None,
    process_control_timeout: 20,
    delay: "0s",
    jitter: "0s",
    keepalive_timeout: "75s",
    supervisord: false,
    schedule: "const(6, 10s)",
    uris: LONG,
    at: "2s",
    scale_to: 1,
    front: Front::Nginx,
    source: "",
};

const SEEDS: &[Seed] = &[
    Seed {
        name: "prestop-sleep-30",
        description:
            "preStop `sleep 30` in both containers, php-fpm without process_control_timeout",
        article: "002: no 5xx, pods take 30s+",
        failures: false,
        termination_at_least: Some("30s"),
        nginx_prestop: Some(Hook::Exec(&["/bin/sleep", "30"])),
        php_prestop: Some(Hook::Exec(&["/bin/sleep", "30"])),
        process_control_timeout: 0,
        delay: "1s",
        jitter: "300ms",
        schedule: "const(4, 36s)",
        ..BASE
    },
    Seed {
        name: "nginx-sigterm",
        description: "nginx image older than 1.19 (STOPSIGNAL SIGTERM), requests in flight",
        article: "001: 502s on scale-down",
        nginx_image: "nginx:1.17",
        ..BASE
    },
    Seed {
        name: "nginx-sigquit",
        description: "STOPSIGNAL SIGQUIT, endpoint removal applied at once",
        article: "001: no errors",
        failures: false,
        ..BASE
    },
    Seed {
        name: "nginx-sigquit-lag",
        description: "STOPSIGNAL SIGQUIT, endpoint removal reaches the ingress after ~1 s",
        article: "001: 502s on repeat runs",
        delay: "1s",
        jitter: "300ms",
        ..BASE
    },
    Seed {
        name: "ingress-nginx-retries",
        description:
            "as nginx-sigquit-lag but 4 → 2 behind the nginx model: 3 tries always reach a live pod",
        article: "002: no visible errors",
        failures: false,
        model: "nginx-model",
        scale_to: 2,
        delay: "1s",
        jitter: "300ms",
        ..BASE
    },
    Seed {
        name: "nginx-sigquit-prestop-sleep",
        description: "STOPSIGNAL SIGQUIT + preStop /bin/sleep 5, endpoint lag ~1 s",
        article: "001: fixed, no errors",
        failures: false,
        nginx_prestop: Some(Hook::Exec(&["/bin/sleep", "5"])),
        php_prestop: Some(Hook::Exec(&["/bin/sleep", "5"])),
        delay: "1s",
        jitter: "300ms",
        schedule: "const(6, 12s)",
        ..BASE
    },
    Seed {
        name: "nginx-prestop-quit",
        description: "preStop `nginx -s quit` (no sleep) on an nginx image that stops with SIGTERM",
        article: "001: didn't help",
        nginx_image: "nginx:1.17",
        nginx_prestop: Some(Hook::Exec(&["/usr/sbin/nginx", "-s", "quit"])),
        delay: "1s",
        jitter: "300ms",
        ..BASE
    },
    Seed {
        name: "supervisord-quit",
        description: "one container: supervisord with stopsignal=QUIT for nginx and php-fpm",
        article: "001: didn't help, unclear",
        supervisord: true,
        process_control_timeout: 0,
        delay: "1s",
        jitter: "300ms",
        ..BASE
    },
    Seed {
        name: "php-fpm-quit-pct0",
        description: "php-fpm stopped with SIGQUIT, process_control_timeout = 0",
        article: "002/003: 502s",
        process_control_timeout: 0,
        ..BASE
    },
    Seed {
        name: "php-fpm-quit-pct20",
        description: "php-fpm stopped with SIGQUIT, process_control_timeout = 20",
        article: "002: no 5xx",
        failures: false,
        ..BASE
    },
    Seed {
        name: "php-fpm-sleep1-quit",
        description: "php-fpm preStop `sleep 1; kill -QUIT 1` + process_control_timeout, lag < 1 s",
        article: "002: no 5xx",
        failures: false,
        nginx_prestop: Some(Hook::Exec(&["/bin/sh", "-c", "sleep 1; /usr/sbin/nginx -s quit"])),
        php_prestop: Some(Hook::Exec(&["/bin/bash", "-c", "/bin/sleep 1; kill -QUIT 1"])),
        delay: "400ms",
        jitter: "200ms",
        ..BASE
    },
    Seed {
        name: "fpm-sleep-shorter",
        description: "php-fpm preStop sleep 1 s, nginx preStop sleep 3 s, lag ~2 s",
        article: "003: 5xx",
        nginx_prestop: Some(Hook::Exec(&["/bin/sh", "-c", "sleep 3 && /usr/sbin/nginx -s quit"])),
        php_prestop: Some(Hook::Exec(&["/bin/sh", "-c", "sleep 1 && kill -QUIT 1"])),
        process_control_timeout: 5,
        delay: "2s",
        jitter: "300ms",
        schedule: "const(6, 12s)",
        ..BASE
    },
    Seed {
        name: "fpm-sleep-equal",
        description: "php-fpm and nginx preStop sleep 3 s each, lag ~2 s",
        article: "003: no 5xx",
        failures: false,
        nginx_prestop: Some(Hook::Exec(&["/bin/sh", "-c", "sleep 3 && /usr/sbin/nginx -s quit"])),
        php_prestop: Some(Hook::Exec(&["/bin/sh", "-c", "sleep 3 && kill -QUIT 1"])),
        process_control_timeout: 5,
        delay: "2s",
        jitter: "300ms",
        schedule: "const(6, 12s)",
        ..BASE
    },
    Seed {
        name: "alb-keepalive",
        description: "alb keep-alive pool (idle 60 s) vs nginx keepalive_timeout 1s; graceful pods",
        // The articles saw keep-alive 502s; an ALB fails a request only when the pod's close
        // crosses it, which a pooled connection closed a second earlier never does.
        article: "AWS: 502 on crossing close",
        failures: false,
        source: "ALB guide, HTTP 502: \"The target closed the connection with a TCP RST or a TCP FIN while the load balancer had an outstanding request to the target\"",
        nginx_prestop: Some(Hook::Sleep(2)),
        php_prestop: Some(Hook::Sleep(2)),
        delay: "1s",
        keepalive_timeout: "1s",
        schedule: "const(2, 12s)",
        uris: SHORT,
        at: "8s",
        ..BASE
    },
    Seed {
        name: "alb-connection-close",
        description:
            "as alb-keepalive, but nginx answers `Connection: close` (keepalive_timeout 0)",
        article: "001/002: no keep-alive 502s",
        failures: false,
        nginx_prestop: Some(Hook::Sleep(2)),
        php_prestop: Some(Hook::Sleep(2)),
        delay: "1s",
        keepalive_timeout: "0",
        schedule: "const(2, 12s)",
        uris: SHORT,
        at: "8s",
        ..BASE
    },
    Seed {
        name: "apache-sigterm",
        description: "Apache + mod_php from Debian's apache2 (no STOPSIGNAL, so SIGTERM)",
        article: "stopping.html: TERM cuts",
        source: "httpd docs, stopping.html, TERM: \"Any requests in progress are terminated\"",
        front: Front::ApacheModPhp { image: DEBIAN_APACHE },
        ..BASE
    },
    Seed {
        name: "apache-sigwinch",
        description: "php:8.2-apache (STOPSIGNAL SIGWINCH), endpoint removal applied at once",
        article: "stopping.html: WINCH waits",
        source: "httpd docs, stopping.html, WINCH: children \"exit after their current request\"",
        failures: false,
        front: Front::ApacheModPhp { image: "php:8.2-apache" },
        ..BASE
    },
    Seed {
        name: "apache-sigwinch-lag",
        description: "php:8.2-apache (SIGWINCH), endpoint removal reaches the ingress after ~1 s",
        article: "stopping.html: port closed",
        source: "httpd docs, stopping.html, WINCH: the parent will \"cease listening on all ports\"",
        delay: "1s",
        jitter: "300ms",
        front: Front::ApacheModPhp { image: "php:8.2-apache" },
        ..BASE
    },
    Seed {
        name: "apache-prestop-sleep",
        description: "php:8.2-apache (SIGWINCH) + preStop sleep 5, endpoint lag ~1 s",
        article: "as nginx + preStop sleep",
        failures: false,
        nginx_prestop: Some(Hook::Sleep(5)),
        delay: "1s",
        jitter: "300ms",
        schedule: "const(6, 12s)",
        front: Front::ApacheModPhp { image: "php:8.2-apache" },
        ..BASE
    },
    Seed {
        name: "apache-fcgi-prestop-sleep",
        description: "httpd (SIGWINCH) with proxy_fcgi to php-fpm, preStop sleep 5 in both",
        article: "as nginx + preStop sleep",
        failures: false,
        nginx_prestop: Some(Hook::Sleep(5)),
        php_prestop: Some(Hook::Sleep(5)),
        delay: "1s",
        jitter: "300ms",
        schedule: "const(6, 12s)",
        front: Front::ApacheFcgi,
        ..BASE
    },
    Seed {
        name: "caddy-grace-default",
        description: "caddy:2 (SIGTERM) + php:8.2-fpm, default grace_period, removal at once",
        article: "app.go: grace 0 = eternal",
        source: "caddy v2.6.2 modules/caddyhttp/app.go: \"If zero, the grace period is eternal. Default: 0.\"",
        failures: false,
        front: Front::Caddy { grace_period: None },
        ..BASE
    },
    Seed {
        name: "caddy-grace-short",
        description: "caddy:2 + php:8.2-fpm with grace_period 300ms, requests of 0.5-2 s",
        article: "app.go: then force-closed",
        source: "caddy v2.6.2 modules/caddyhttp/app.go: \"Once the grace period is over, connections will be forcefully closed.\"",
        front: Front::Caddy { grace_period: Some("300ms") },
        ..BASE
    },
    Seed {
        name: "caddy-fpm-first",
        description: "caddy:2 with preStop sleep 5, php-fpm without: php-fpm stops first",
        article: "as fpm-sleep-shorter: 5xx",
        nginx_prestop: Some(Hook::Sleep(5)),
        delay: "1s",
        jitter: "300ms",
        schedule: "const(6, 12s)",
        front: Front::Caddy { grace_period: None },
        ..BASE
    },
    Seed {
        name: "caddy-prestop-sleep",
        description: "caddy:2 + php:8.2-fpm, preStop sleep 5 in both, endpoint lag ~1 s",
        article: "as nginx + preStop sleep",
        failures: false,
        nginx_prestop: Some(Hook::Sleep(5)),
        php_prestop: Some(Hook::Sleep(5)),
        delay: "1s",
        jitter: "300ms",
        schedule: "const(6, 12s)",
        front: Front::Caddy { grace_period: None },
        ..BASE
    },
];

/// Names of the built-in scenarios, in run order.
pub fn names() -> Vec<&'static str> {
    SEEDS.iter().map(|s| s.name).collect()
}

/// The scenario file text of a built-in scenario.
pub fn yaml(name: &str) -> Option<String> {
    SEEDS.iter().find(|s| s.name == name).map(render)
}

/// All built-in scenarios, parsed exactly as a user's file would be.
pub fn all() -> Vec<Scenario> {
    SEEDS
        .iter()
        .map(|s| {
            parse_str(&format!("<built-in {}>", s.name), &render(s))
                .unwrap_or_else(|e| panic!("built-in scenario {} is invalid: {e}", s.name))
        })
        .collect()
}

fn hook_yaml(hook: Option<Hook>, indent: &str) -> String {
    match hook {
        None => String::new(),
        Some(Hook::Sleep(s)) => format!("{indent}lifecycle:\n{indent}  preStop:\n{indent}    sleep:\n{indent}      seconds: {s}\n"),
        Some(Hook::Exec(cmd)) => {
            let items: Vec<String> = cmd.iter().map(|c| format!("{c:?}")).collect();
            format!("{indent}lifecycle:\n{indent}  preStop:\n{indent}    exec:\n{indent}      command: [{}]\n", items.join(", "))
        }
    }
}

fn block(text: &str, indent: &str) -> String {
    text.lines()
        .map(|l| if l.is_empty() { "\n".to_string() } else { format!("{indent}{l}\n") })
        .collect()
}

const PHP_FPM_CONTAINER: &str = "    - name: php-fpm\n      image: php:8.2-fpm\n      ports: [{containerPort: 9000}]\n      readinessProbe:\n        tcpSocket: {port: 9000}\n";
const PHP_FPM_MOUNTS: &str = "      volumeMounts:\n        - {name: php-fpm, mountPath: /etc/php/8.2/fpm/php-fpm.conf, subPath: php-fpm.conf}\n        - {name: app, mountPath: /var/www/html}\n";

fn render(s: &Seed) -> String {
    let expect = match (s.failures, s.termination_at_least) {
        (true, _) => "  failed: some\n".to_string(),
        (false, None) => "  failed: none\n".to_string(),
        (false, Some(t)) => format!("  failed: none\n  terminationAtLeast: {t}\n"),
    };
    let uris: Vec<String> = s.uris.iter().map(|u| format!("{u:?}")).collect();
    let php_fpm = crate::scenario::images::find_php_fpm()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "/usr/sbin/php-fpm8.2".into());
    let images = if s.front == (Front::ApacheModPhp { image: DEBIAN_APACHE }) {
        format!("images:\n  {DEBIAN_APACHE}:\n    command: [apache2, -DFOREGROUND]\n")
    } else {
        String::new()
    };
    let mut out = format!(
        "# {description}\n# {source}: {quote}\nname: {name}\ndescription: {description:?}\narticle: {article:?}\nexpect:\n{expect}seed: 7\nreplicas: 4\n{images}ingress:\n  model: {model}\n  delay: {delay}\n  jitter: {jitter}\nload:\n  schedule: {schedule:?}\n  uris: [{uris}]\n  keepalive: true\n  timeout: 10s\nactions:\n  - at: {at}\n    scale: {scale_to}\nconfigMaps:\n",
        name = s.name,
        description = s.description,
        source = if s.source.is_empty() { "The article reports" } else { "The source says" },
        article = s.article,
        quote = if s.source.is_empty() { s.article } else { s.source },
        model = s.model,
        delay = s.delay,
        jitter = s.jitter,
        schedule = s.schedule,
        uris = uris.join(", "),
        at = s.at,
        scale_to = s.scale_to,
    );
    if s.front != Front::Nginx {
        out.push_str(&front_pod(s));
        return out;
    }
    out.push_str(&format!(
        "  nginx:\n    nginx.conf: |\n{nginx}  php-fpm:\n    php-fpm.conf: |\n{php}  app:\n    index.php: |\n{index}",
        nginx = block(&files::nginx_conf(s.keepalive_timeout), "      "),
        php = block(&files::php_fpm_conf(s.process_control_timeout), "      "),
        index = block(files::INDEX_PHP, "      "),
    ));
    let nginx_mounts = "      volumeMounts:\n        - {name: nginx, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf}\n        - {name: app, mountPath: /var/www/html}\n";
    let volumes = "pod:\n  volumes:\n    - {name: nginx, configMap: {name: nginx}}\n    - {name: php-fpm, configMap: {name: php-fpm}}\n    - {name: app, configMap: {name: app}}\n";
    if s.supervisord {
        out.push_str(&format!(
            "  supervisord:\n    supervisord.conf: |\n{}",
            block(&files::supervisord_conf(&php_fpm), "      ")
        ));
        out.push_str(volumes);
        out.push_str("    - {name: supervisord, configMap: {name: supervisord}}\n  containers:\n    - name: app\n      image: trafex/alpine-nginx-php7\n      ports: [{containerPort: 80}]\n");
        out.push_str(nginx_mounts);
        out.push_str("        - {name: php-fpm, mountPath: /etc/php/8.2/fpm/php-fpm.conf, subPath: php-fpm.conf}\n");
        out.push_str("        - {name: supervisord, mountPath: /etc/supervisor/conf.d/supervisord.conf, subPath: supervisord.conf}\n");
        return out;
    }
    out.push_str(volumes);
    out.push_str("  containers:\n");
    out.push_str(&format!("    - name: nginx\n      image: {}\n      ports: [{{containerPort: 80}}]\n      readinessProbe:\n        tcpSocket: {{port: 80}}\n", s.nginx_image));
    out.push_str(&hook_yaml(s.nginx_prestop, "      "));
    out.push_str(nginx_mounts);
    out.push_str(PHP_FPM_CONTAINER);
    out.push_str(&hook_yaml(s.php_prestop, "      "));
    out.push_str(PHP_FPM_MOUNTS);
    out
}

/// The configMaps and pod of an Apache or Caddy scenario: the server's own config and, unless
/// mod_php runs PHP in Apache itself, a php-fpm container beside it. Both mount the app: Apache
/// and Caddy look for the script before they pass it on.
fn front_pod(s: &Seed) -> String {
    let (name, image, file, path, config) = match s.front {
        Front::ApacheModPhp { image } => (
            "apache",
            image,
            "apache2.conf",
            "/etc/apache2/apache2.conf",
            files::apache2_conf(false),
        ),
        Front::ApacheFcgi => (
            "apache",
            "httpd:2.4",
            "apache2.conf",
            "/etc/apache2/apache2.conf",
            files::apache2_conf(true),
        ),
        Front::Caddy { grace_period } => (
            "caddy",
            "caddy:2",
            "Caddyfile",
            "/etc/caddy/Caddyfile",
            files::caddyfile(grace_period),
        ),
        Front::Nginx => unreachable!("nginx pods are rendered by render()"),
    };
    let with_fpm = !matches!(s.front, Front::ApacheModPhp { .. });
    let mut out = format!("  {name}:\n    {file}: |\n{}", block(&config, "      "));
    if with_fpm {
        out.push_str(&format!(
            "  php-fpm:\n    php-fpm.conf: |\n{}",
            block(&files::php_fpm_conf(s.process_control_timeout), "      ")
        ));
    }
    out.push_str(&format!("  app:\n    index.php: |\n{}", block(files::INDEX_PHP, "      ")));
    out.push_str(&format!(
        "pod:\n  volumes:\n    - {{name: {name}, configMap: {{name: {name}}}}}\n"
    ));
    if with_fpm {
        out.push_str("    - {name: php-fpm, configMap: {name: php-fpm}}\n");
    }
    out.push_str("    - {name: app, configMap: {name: app}}\n  containers:\n");
    out.push_str(&format!("    - name: {name}\n      image: {image}\n      ports: [{{containerPort: 80}}]\n      readinessProbe:\n        tcpSocket: {{port: 80}}\n"));
    out.push_str(&hook_yaml(s.nginx_prestop, "      "));
    out.push_str(&format!("      volumeMounts:\n        - {{name: {name}, mountPath: {path}, subPath: {file}}}\n        - {{name: app, mountPath: /var/www/html}}\n"));
    if with_fpm {
        out.push_str(PHP_FPM_CONTAINER);
        out.push_str(&hook_yaml(s.php_prestop, "      "));
        out.push_str(PHP_FPM_MOUNTS);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_built_in_scenario_parses() {
        let all = super::all();
        assert_eq!(all.len(), super::names().len());
        assert!(all.iter().all(|s| s.expect.is_some()));
    }
}
