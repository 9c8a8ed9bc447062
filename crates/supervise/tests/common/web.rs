//! Config files for real nginx + php-fpm started *by the binary under test* (testkit's stack
//! starts them itself, which suits the preStop tests but not a supervisor that must own them).
use std::path::{Path, PathBuf};

/// A temp dir with a php-fpm config (FastCGI on a unix socket, `process_control_timeout` left
/// at php-fpm's default of 0), an nginx config on `port`, and `www/sleep.php?ms=N`.
pub struct WebDir {
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl WebDir {
    pub fn new(port: u16) -> WebDir {
        let dir = tempfile::Builder::new().prefix("lameduck-run-").tempdir().unwrap();
        let d = dir.path().display().to_string();
        std::fs::create_dir(dir.path().join("www")).unwrap();
        std::fs::write(
            dir.path().join("www/sleep.php"),
            "<?php usleep((int)($_GET['ms'] ?? 0) * 1000); echo \"slept\\n\";\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("php-fpm.conf"),
            format!(
                "[global]\npid = {d}/php-fpm.pid\nerror_log = {d}/php-fpm.log\ndaemonize = no\n\
                 [www]\nuser = root\ngroup = root\nlisten = {d}/php-fpm.sock\nlisten.mode = 0666\n\
                 pm = static\npm.max_children = 8\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("nginx.conf"),
            format!(
                "user root root;\nworker_processes 1;\nerror_log {d}/nginx-error.log info;\n\
                 pid {d}/nginx.pid;\nevents {{ worker_connections 1024; }}\n\
                 http {{\n access_log off;\n client_body_temp_path {d}/client_body;\n\
                 proxy_temp_path {d}/proxy;\n fastcgi_temp_path {d}/fastcgi;\n\
                 uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
                 server {{\n  listen 127.0.0.1:{port};\n  root {d}/www;\n\
                 location ~ \\.php$ {{\n   fastcgi_pass unix:{d}/php-fpm.sock;\n\
                 fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n\
                 fastcgi_param QUERY_STRING $query_string;\n\
                 fastcgi_param REQUEST_METHOD $request_method;\n  }}\n }}\n}}\n"
            ),
        )
        .unwrap();
        WebDir { dir, port }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `--process` value for php-fpm.
    pub fn php_fpm_process(&self) -> String {
        format!(
            "fpm={} -F -R -y {} -p {}",
            php_fpm_binary().display(),
            self.path("php-fpm.conf").display(),
            self.dir.path().display()
        )
    }

    /// `--process` value for nginx.
    pub fn nginx_process(&self) -> String {
        format!(
            "web=/usr/sbin/nginx -p {d} -e {d}/nginx-error.log -c {d}/nginx.conf -g 'daemon off;'",
            d = self.dir.path().display()
        )
    }

    /// php-fpm's and nginx's logs, for failure messages.
    pub fn logs(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.path(name)).unwrap_or_default();
        format!(
            "php-fpm.log:\n{}\nnginx-error.log:\n{}",
            read("php-fpm.log"),
            read("nginx-error.log")
        )
    }
}

/// Debian names php-fpm after the PHP version (php-fpm8.2).
pub fn php_fpm_binary() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/sbin")
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("php-fpm"))
        })
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| Path::new("php-fpm").to_path_buf())
}

/// `GET path` over HTTP/1.0; the status code, or the error as text.
pub fn get(port: u16, path: &str) -> Result<u16, String> {
    use std::io::{Read, Write};
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(|e| format!("read: {e}"))?;
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line in {response:?}"))
}

/// Apache and Caddy beside php-fpm in a [`WebDir`]: `www/slow.php` marks each request it
/// starts in `www/started/`, so a test knows the request is inside PHP, whichever runs it.
impl WebDir {
    /// Makes the directory readable by Apache's children (www-data) and adds `slow.php`.
    pub fn for_apache_and_caddy(port: u16) -> WebDir {
        use std::os::unix::fs::PermissionsExt;
        let web = WebDir::new(port);
        let mode = |path: &Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        mode(web.dir.path(), 0o755);
        mode(&web.path("www"), 0o755);
        std::fs::create_dir(web.path("www/started")).unwrap();
        mode(&web.path("www/started"), 0o777);
        std::fs::write(
            web.path("www/slow.php"),
            "<?php touch(__DIR__ . '/started/' . uniqid('', true));\n\
             usleep((int)($_GET['ms'] ?? 0) * 1000); echo \"slept\\n\";\n",
        )
        .unwrap();
        web
    }

    /// Requests `slow.php` has started.
    pub fn started(&self) -> usize {
        std::fs::read_dir(self.path("www/started")).map_or(0, |dir| dir.count())
    }

    /// `--process` value for Apache in the foreground: mod_php, or proxy_fcgi to php-fpm's
    /// socket when `fastcgi`.
    pub fn apache_process(&self, fastcgi: bool) -> String {
        let d = self.dir.path().display();
        let php = if fastcgi {
            format!(
                "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n\
                 LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so\n\
                 <FilesMatch \\.php$>\nSetHandler \"proxy:unix:{d}/php-fpm.sock|fcgi://localhost\"\n</FilesMatch>\n"
            )
        } else {
            "LoadModule php_module /usr/lib/apache2/modules/libphp8.2.so\n\
             <FilesMatch \\.php$>\nSetHandler application/x-httpd-php\n</FilesMatch>\n"
                .to_string()
        };
        std::fs::write(
            self.path("apache2.conf"),
            format!(
                "ServerRoot /etc/apache2\nServerName localhost\nListen 127.0.0.1:{port}\n\
                 PidFile {d}/apache2.pid\nDefaultRuntimeDir {d}\nMutex file:{d}\n\
                 User www-data\nGroup www-data\nErrorLog {d}/apache-error.log\nLogLevel info\n\
                 LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n\
                 LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n\
                 StartServers 8\nDocumentRoot {d}/www\n{php}",
                port = self.port
            ),
        )
        .unwrap();
        format!("web=/usr/sbin/apache2 -f {d}/apache2.conf -DFOREGROUND")
    }

    /// `--process` value for Caddy in front of php-fpm's socket.
    pub fn caddy_process(&self) -> String {
        let d = self.dir.path().display();
        std::fs::write(
            self.path("Caddyfile"),
            format!(
                "{{\n\tadmin off\n\tauto_https off\n\tstorage file_system {d}/caddy\n}}\n\
                 http://:{port} {{\n\tbind 127.0.0.1\n\troot * {d}/www\n\tphp_fastcgi unix/{d}/php-fpm.sock\n}}\n",
                port = self.port
            ),
        )
        .unwrap();
        format!("web=/usr/bin/caddy run --config {d}/Caddyfile --adapter caddyfile")
    }

    /// Where Caddy keeps its autosaved config: in the directory, not in `$HOME`.
    pub fn caddy_env(&self) -> Vec<(String, String)> {
        let d = self.dir.path().display();
        vec![
            ("XDG_CONFIG_HOME".into(), format!("{d}/caddy-config")),
            ("XDG_DATA_HOME".into(), format!("{d}/caddy-data")),
        ]
    }
}
