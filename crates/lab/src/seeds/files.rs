//! The files the built-in scenarios mount into their pods: a self-contained nginx.conf, a
//! php-fpm.conf, the default PHP app, a supervisord.conf for the single-container setup, and the
//! Apache (mod_php or proxy_fcgi) and Caddy configurations.

/// nginx in front of php-fpm on the pod's own loopback, as in the articles' pods.
pub fn nginx_conf(keepalive_timeout: &str) -> String {
    format!(
        r#"# Self-contained: Debian's default includes sites-enabled and runs as www-data.
# Workers stay root: without root the lab runs in a user namespace where only root is mapped.
user root;
worker_processes 2;
pid /run/nginx.pid;
error_log stderr notice;
events {{ worker_connections 1024; }}
http {{
    access_log /dev/stdout;
    keepalive_timeout {keepalive_timeout};
    server {{
        listen 80 default_server;
        location / {{
            fastcgi_pass 127.0.0.1:9000;
            fastcgi_param SCRIPT_FILENAME /var/www/html/index.php;
            fastcgi_param QUERY_STRING $query_string;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param SERVER_PROTOCOL $server_protocol;
            fastcgi_read_timeout 10s;
        }}
    }}
}}
"#
    )
}

/// php-fpm with a static pool on 127.0.0.1:9000.
pub fn php_fpm_conf(process_control_timeout: u32) -> String {
    format!(
        r#"[global]
error_log = /proc/self/fd/2
log_level = notice
daemonize = no
; 0 (the default) makes the master kill its workers at once, even on SIGQUIT.
process_control_timeout = {process_control_timeout}

[www]
user = root
group = root
listen = 127.0.0.1:9000
pm = static
pm.max_children = 12
catch_workers_output = yes
decorate_workers_output = no
"#
    )
}

/// The default app: works for `?ms=N`, then answers. Stands in for httpbin's `delay/N`.
///
/// It loops until the time has really elapsed: php-fpm's SIGQUIT to its workers interrupts a
/// single `usleep()` (EINTR), which would end the request early and hide what a graceful
/// shutdown does to a request that is still working.
pub const INDEX_PHP: &str = r#"<?php
$ms = isset($_GET['ms']) ? max(0, min(60000, (int) $_GET['ms'])) : 0;
$until = microtime(true) + $ms / 1000;
while (($left = $until - microtime(true)) > 0) {
    usleep((int) min(1000000, $left * 1000000));
}
header('Content-Type: text/plain');
echo "slept {$ms} ms in pid " . getmypid() . "\n";
"#;

/// One container running nginx and php-fpm under supervisord, each stopped with QUIT.
pub fn supervisord_conf(php_fpm: &str) -> String {
    format!(
        r#"[supervisord]
nodaemon=true
user=root
logfile=/dev/null
logfile_maxbytes=0
pidfile=/run/supervisord.pid

[program:php-fpm]
command={php_fpm} -F -R
stopsignal=QUIT
autorestart=false
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
redirect_stderr=true

[program:nginx]
command=/usr/sbin/nginx -g 'daemon off;'
stopsignal=QUIT
autorestart=false
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
redirect_stderr=true
"#
    )
}

/// Apache in front of PHP: mod_php in its own prefork children, or proxy_fcgi to php-fpm on the
/// pod's loopback. Self-contained: Debian's apache2.conf needs the `APACHE_*` variables and
/// includes sites-enabled.
pub fn apache2_conf(fastcgi: bool) -> String {
    let php = if fastcgi {
        "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n\
         LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so\n\
         <FilesMatch \"\\.php$\">\n    SetHandler \"proxy:fcgi://127.0.0.1:9000\"\n</FilesMatch>\n"
    } else {
        "LoadModule php_module /usr/lib/apache2/modules/libphp8.2.so\n\
         <FilesMatch \"\\.php$\">\n    SetHandler application/x-httpd-php\n</FilesMatch>\n"
    };
    format!(
        r#"ServerRoot /etc/apache2
ServerName localhost
Listen 80
PidFile /run/apache2.pid
Mutex file:/run
# Children run as www-data: Apache refuses to serve as root.
User www-data
Group www-data
ErrorLog /proc/self/fd/2
LogLevel notice
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
# Every connection holds a prefork child; start enough for the load without forking under it.
StartServers 16
MinSpareServers 8
MaxRequestWorkers 48
# Longer than the load balancer's idle timeout, as for nginx's keepalive_timeout.
KeepAlive On
KeepAliveTimeout 75
MaxKeepAliveRequests 0
DocumentRoot /var/www/html
DirectoryIndex index.php
{php}"#
    )
}

/// Caddy in front of php-fpm on the pod's loopback; `grace_period` when given (Caddy's default
/// is to wait for every request).
pub fn caddyfile(grace_period: Option<&str>) -> String {
    let grace = grace_period.map(|g| format!("\tgrace_period {g}\n")).unwrap_or_default();
    format!(
        "{{\n\tadmin off\n\tauto_https off\n{grace}}}\n\n:80 {{\n\troot * /var/www/html\n\tphp_fastcgi 127.0.0.1:9000\n}}\n"
    )
}
