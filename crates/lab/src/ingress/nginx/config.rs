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
//! The upstream's one server is ingress-nginx's placeholder: each try's peer comes from
//! `balancer.lua` (the lab's cut-down copy, see that file), which each worker syncs from a
//! shared dict every second, and the lab posts endpoint changes to that dict as the controller
//! posts them to `/configuration/backends`. nginx is never reloaded. The scenario's `timeout`
//! and `idleTimeout` stand in for the read/send timeouts and `upstream-keepalive-timeout`
//! (their lab defaults are 10 s and 60 s), and `keepalive: false` drops the keep-alive pool.
//! With no endpoints ingress-nginx answers 503 (`balancer.rewrite()`); so does the lab's copy.
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::log::ACCESS_TAG;
use crate::scenario::IngressSpec;

/// The syslog socket's name in the data plane's directory.
const LOG_SOCKET: &str = "log.sock";
/// The socket the lab posts endpoint changes to, as the controller posts to ingress-nginx's
/// status port (`/configuration/backends`).
const CONFIG_SOCKET: &str = "configuration.sock";
/// The Lua balancer's module name, and its source.
const BALANCER: &str = "lameduck_balancer";
const BALANCER_LUA: &str = include_str!("balancer.lua");
/// Where Debian's libnginx-mod-http-lua (and the NDK it needs) put their modules.
const MODULES: [&str; 2] =
    ["/usr/lib/nginx/modules/ndk_http_module.so", "/usr/lib/nginx/modules/ngx_http_lua_module.so"];

/// The data plane's files under the scenario's directory.
pub struct Files {
    pub dir: PathBuf,
    pub nginx_conf: PathBuf,
    /// Where nginx writes what goes wrong before it has read its configuration.
    pub startup_log: PathBuf,
    /// The syslog socket nginx sends its error and access logs to.
    pub log_socket: PathBuf,
    /// The socket endpoint changes are posted to.
    pub config_socket: PathBuf,
    addr: SocketAddr,
    read_timeout_s: u64,
    keepalive_timeout_s: u64,
    keepalive: bool,
    /// Seeds the workers' round robin (the scenario's seed).
    seed: u64,
}

impl Files {
    pub fn new(dir: &Path, addr: SocketAddr, spec: &IngressSpec, seed: u64) -> Self {
        Self {
            dir: dir.to_path_buf(),
            nginx_conf: dir.join("nginx.conf"),
            startup_log: dir.join("error.log"),
            log_socket: dir.join(LOG_SOCKET),
            config_socket: dir.join(CONFIG_SOCKET),
            addr,
            read_timeout_s: spec.timeout.0.as_secs().max(1),
            keepalive_timeout_s: spec.idle_timeout.0.as_secs().max(1),
            keepalive: spec.keepalive,
            seed,
        }
    }

    /// Writes nginx.conf and the Lua balancer it loads. Written once: endpoints change through
    /// [`Files::config_socket`], with no reload.
    pub fn write(&self) -> io::Result<()> {
        std::fs::write(self.dir.join(format!("{BALANCER}.lua")), BALANCER_LUA)?;
        std::fs::write(&self.nginx_conf, self.render())
    }

    fn render(&self) -> String {
        let dir = self.dir.display();
        // Relative to nginx's working directory (`dir`, see `spawn_nginx`): a socket path holds
        // at most 107 bytes, and a run directory under a long scenario name has more.
        let sock = LOG_SOCKET;
        let modules: String = MODULES.iter().map(|m| format!("load_module {m};\n")).collect();
        format!(
            r#"# Written by lameduck lab: the ingress, as ingress-nginx configures nginx.
{modules}daemon off;
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
    lua_package_path "{dir}/?.lua;;";
    lua_shared_dict configuration_data 1m;
    init_worker_by_lua_block {{
        require("{BALANCER}").init_worker({seed})
    }}
{upstream}
    server {{
        listen {addr};
        location / {{
            {location}
        }}
    }}
    server {{
        listen unix:{CONFIG_SOCKET};
        access_log off;
        client_body_buffer_size 1m;
        client_max_body_size 1m;
        location = /configuration/backends {{
            content_by_lua_block {{
                require("{BALANCER}").configure()
            }}
        }}
    }}
}}
"#,
            addr = self.addr,
            upstream = self.upstream(),
            location = self.location(),
            empty_upgrade = if self.keepalive { "''" } else { "close" },
            workers = workers(),
            // Lua numbers are doubles: keep the seed exact.
            seed = self.seed % (1 << 52),
        )
    }

    fn upstream(&self) -> String {
        let keepalive = if self.keepalive {
            format!(
                "        keepalive 320;\n        keepalive_time 1h;\n        keepalive_timeout {}s;\n        keepalive_requests 10000;\n",
                self.keepalive_timeout_s
            )
        } else {
            String::new()
        };
        format!(
            "    upstream upstream_balancer {{\n        server 0.0.0.1; # placeholder\n        balancer_by_lua_block {{\n            require(\"{BALANCER}\").balance()\n        }}\n{keepalive}    }}\n"
        )
    }

    fn location(&self) -> String {
        let t = self.read_timeout_s;
        format!(
            "rewrite_by_lua_block {{
                require(\"{BALANCER}\").rewrite()
            }}
            proxy_set_header Host $host;
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
/// so the applier knows how many workers must confirm each endpoint change.
pub fn workers() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Files {
        Files::new(dir, "127.0.0.1:8080".parse().unwrap(), &IngressSpec::default(), 7)
    }

    #[test]
    fn the_upstream_is_the_lua_balancer_with_ingress_nginx_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let text = files(dir.path()).render();
        for line in [
            "server 0.0.0.1; # placeholder",
            "require(\"lameduck_balancer\").balance()",
            "keepalive 320;",
            "keepalive_timeout 60s;",
            "proxy_next_upstream error timeout;",
            "proxy_next_upstream_tries 3;",
            "proxy_read_timeout 10s;",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        // The placeholder comes before `keepalive`, whose cache wraps the balancer's pick.
        assert!(text.find("balance()").unwrap() < text.find("keepalive 320;").unwrap());
    }

    /// The real nginx, with Debian's Lua module, accepts what is written.
    #[test]
    fn nginx_accepts_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let conf = files(dir.path());
        conf.write().unwrap();
        let out = std::process::Command::new("nginx")
            .current_dir(dir.path())
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
