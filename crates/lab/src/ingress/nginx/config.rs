//! The nginx configuration of the `nginx` data plane, as ingress-nginx writes it.
//!
//! From `rootfs/etc/nginx/template/nginx.tmpl` (kubernetes/ingress-nginx, read November 2026):
//!
//! ```text
//! upstream upstream_balancer {
//!     server 0.0.0.1; # placeholder
//!     balancer_by_lua_file /etc/nginx/lua/nginx/ngx_conf_balancer.lua;
//!     keepalive {{ $cfg.UpstreamKeepaliveConnections }};
//!     keepalive_time {{ $cfg.UpstreamKeepaliveTime }};
//!     keepalive_timeout  {{ $cfg.UpstreamKeepaliveTimeout }}s;
//!     keepalive_requests {{ $cfg.UpstreamKeepaliveRequests }};
//! }
//! map $http_upgrade $connection_upgrade { default upgrade; '' ''; }   # with upstream keep-alive
//! proxy_set_header Connection $connection_upgrade;
//! proxy_connect_timeout {{ $location.Proxy.ConnectTimeout }}s;
//! proxy_send_timeout {{ $location.Proxy.SendTimeout }}s;
//! proxy_read_timeout {{ $location.Proxy.ReadTimeout }}s;
//! proxy_http_version {{ $location.Proxy.ProxyHTTPVersion }};
//! proxy_next_upstream {{ buildNextUpstream $location.Proxy.NextUpstream $all.Cfg.RetryNonIdempotent }};
//! proxy_next_upstream_timeout {{ $location.Proxy.NextUpstreamTimeout }};
//! proxy_next_upstream_tries {{ $location.Proxy.NextUpstreamTries }};
//! ```
//!
//! with the defaults of `docs/user-guide/nginx-configuration/configmap.md`:
//! `upstream-keepalive-connections` 320, `upstream-keepalive-time` "1h",
//! `upstream-keepalive-timeout` 60, `upstream-keepalive-requests` 10000,
//! `proxy-connect-timeout` 5, `proxy-read-timeout` 60, `proxy-send-timeout` 60,
//! `proxy-next-upstream` "error timeout", `proxy-next-upstream-timeout` 0,
//! `proxy-next-upstream-tries` 3, `retry-non-idempotent` "false" (so no
//! `non_idempotent`), `proxy-http-version` "1.1".
//!
//! The Lua balancer's peers become `server` lines (`max_fails=0`: the balancer keeps no
//! passive health state), written again on every endpoint change. The scenario's `timeout`
//! and `idleTimeout` stand in for the read/send timeouts and `upstream-keepalive-timeout`
//! (their lab defaults are 10 s and 60 s), and `keepalive: false` drops the keep-alive pool.
//! With no endpoints ingress-nginx answers 503; the server does the same with `return 503`.
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::log::ACCESS_TAG;
use crate::scenario::IngressSpec;

/// The syslog socket's name in the data plane's directory.
const LOG_SOCKET: &str = "log.sock";

/// The data plane's files under the scenario's directory.
pub struct Files {
    pub dir: PathBuf,
    pub nginx_conf: PathBuf,
    /// Where nginx writes what goes wrong before it has read its configuration.
    pub startup_log: PathBuf,
    /// The syslog socket nginx sends its error and access logs to.
    pub log_socket: PathBuf,
    addr: SocketAddr,
    read_timeout_s: u64,
    keepalive_timeout_s: u64,
    keepalive: bool,
}

impl Files {
    pub fn new(dir: &Path, addr: SocketAddr, spec: &IngressSpec) -> Self {
        Self {
            dir: dir.to_path_buf(),
            nginx_conf: dir.join("nginx.conf"),
            startup_log: dir.join("error.log"),
            log_socket: dir.join(LOG_SOCKET),
            addr,
            read_timeout_s: spec.timeout.0.as_secs().max(1),
            keepalive_timeout_s: spec.idle_timeout.0.as_secs().max(1),
            keepalive: spec.keepalive,
        }
    }

    /// Writes nginx.conf with `targets` (`address:port`) as the upstream's servers, replacing
    /// the old file in one rename so a reload never reads half of it.
    pub fn write(&self, targets: &[&str]) -> io::Result<()> {
        let tmp = self.dir.join("nginx.conf.new");
        std::fs::write(&tmp, self.render(targets))?;
        std::fs::rename(&tmp, &self.nginx_conf)
    }

    fn render(&self, targets: &[&str]) -> String {
        let dir = self.dir.display();
        // Relative to nginx's working directory (`dir`, see `spawn_nginx`): a socket path holds
        // at most 107 bytes, and a run directory under a long scenario name has more.
        let sock = LOG_SOCKET;
        let (upstream, location) = if targets.is_empty() {
            (String::new(), "return 503;".to_string())
        } else {
            (self.upstream(targets), self.location())
        };
        format!(
            r#"# Written by lameduck lab: the ingress, as ingress-nginx configures nginx.
daemon off;
master_process on;
worker_processes {workers};
user root root;
pid "{dir}/nginx.pid";
error_log syslog:server=unix:{sock},nohostname notice;
events {{
    worker_connections 16384;
}}
http {{
    client_body_temp_path "{dir}/client_body";
    proxy_temp_path "{dir}/proxy";
    fastcgi_temp_path "{dir}/fastcgi";
    uwsgi_temp_path "{dir}/uwsgi";
    scgi_temp_path "{dir}/scgi";
    log_format lab '{ACCESS_TAG} $pid $connection $status "$upstream_addr" "$upstream_status"';
    access_log syslog:server=unix:{sock},nohostname lab;
    keepalive_timeout 75s;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' {empty_upgrade};
    }}
{upstream}
    server {{
        listen {addr};
        location / {{
            {location}
        }}
    }}
}}
"#,
            addr = self.addr,
            empty_upgrade = if self.keepalive { "''" } else { "close" },
            workers = workers(),
        )
    }

    fn upstream(&self, targets: &[&str]) -> String {
        let servers: String =
            targets.iter().map(|t| format!("        server {t} max_fails=0;\n")).collect();
        let keepalive = if self.keepalive {
            format!(
                "        keepalive 320;\n        keepalive_time 1h;\n        keepalive_timeout {}s;\n        keepalive_requests 10000;\n",
                self.keepalive_timeout_s
            )
        } else {
            String::new()
        };
        format!("    upstream upstream_balancer {{\n{servers}{keepalive}    }}\n")
    }

    fn location(&self) -> String {
        let t = self.read_timeout_s;
        format!(
            "proxy_set_header Host $host;
            proxy_set_header Connection $connection_upgrade;
            proxy_connect_timeout 5s;
            proxy_send_timeout {t}s;
            proxy_read_timeout {t}s;
            proxy_http_version 1.1;
            proxy_next_upstream error timeout;
            proxy_next_upstream_timeout 0;
            proxy_next_upstream_tries 3;
            proxy_pass http://upstream_balancer;"
        )
    }
}

/// ingress-nginx's `worker_processes auto` (one per CPU this process may run on), written out
/// so the applier knows how many old workers each reload retires.
pub fn workers() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Files {
        Files::new(dir, "127.0.0.1:8080".parse().unwrap(), &IngressSpec::default())
    }

    #[test]
    fn the_upstream_has_every_endpoint_and_ingress_nginx_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let text = files(dir.path()).render(&["10.200.0.2:80", "10.200.0.6:80"]);
        for line in [
            "server 10.200.0.2:80 max_fails=0;",
            "server 10.200.0.6:80 max_fails=0;",
            "keepalive 320;",
            "keepalive_timeout 60s;",
            "proxy_next_upstream error timeout;",
            "proxy_next_upstream_tries 3;",
            "proxy_read_timeout 10s;",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }

    #[test]
    fn no_endpoints_is_a_503_without_an_upstream() {
        let dir = tempfile::tempdir().unwrap();
        let text = files(dir.path()).render(&[]);
        assert!(text.contains("return 503;") && !text.contains("upstream upstream_balancer"));
    }

    /// The real nginx accepts what is written, with and without endpoints.
    #[test]
    fn nginx_accepts_the_configuration() {
        for targets in [&["10.200.0.2:80"][..], &[]] {
            let dir = tempfile::tempdir().unwrap();
            let conf = files(dir.path());
            conf.write(targets).unwrap();
            let out = std::process::Command::new("nginx")
                .arg("-t")
                .arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&conf.nginx_conf)
                .arg("-e")
                .arg(&conf.startup_log)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
