//! nginx in front of php-fpm, both real, in a temp dir on a free loopback port.
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::is_root;
use crate::ports::{free_port, wait_for_port};
use crate::process::ChildGuard;
use crate::{io_error, Error};

const NGINX: &str = "/usr/sbin/nginx";
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How to configure the stack. `StackOptions::default()` gives one nginx worker and four
/// static php-fpm children.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// nginx `worker_processes`.
    pub nginx_workers: u32,
    /// php-fpm `pm.max_children` (with `pm = static`).
    pub php_children: u32,
    /// php-fpm global `process_control_timeout` (e.g. `"5s"`); `None` leaves php-fpm's default.
    pub process_control_timeout: Option<String>,
    /// Extra lines for php-fpm's `[global]` section.
    pub php_global: Vec<String>,
    /// Extra lines for php-fpm's `[www]` pool section.
    pub php_pool: Vec<String>,
    /// Extra directives inside nginx's `server { }` (e.g. `location /x { return 503; }`).
    pub nginx_server: String,
    /// Extra directives inside nginx's `http { }`.
    pub nginx_http: String,
    /// PEM certificate chain and private key: nginx then also serves https on a second free
    /// port ([`Stack::https_url`]), with the same locations.
    pub tls: Option<(String, String)>,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            nginx_workers: 1,
            php_children: 4,
            process_control_timeout: None,
            php_global: Vec::new(),
            php_pool: Vec::new(),
            nginx_server: String::new(),
            nginx_http: String::new(),
            tls: None,
        }
    }
}

/// Running nginx + php-fpm. Dropping it kills both (with their workers) and removes the dir.
///
/// Served paths: `/ok` (nginx `return 200 "ok"`), `/index.php` (php `ok`),
/// `/sleep.php?ms=N` (php sleeps N ms, then answers), `/status.php?code=N` (php answers N),
/// `/expect.php?method=M&host=H&header=Name:value&body=B` (200 if the request matches every
/// given expectation, else 417).
pub struct Stack {
    // Field order is drop order: processes die before their directory goes.
    nginx: ChildGuard,
    php_fpm: ChildGuard,
    port: u16,
    tls_port: Option<u16>,
    dir: tempfile::TempDir,
}

impl Stack {
    /// Starts php-fpm, then nginx, and returns once both accept connections.
    pub fn start(options: StackOptions) -> Result<Stack, Error> {
        let dir = tempfile::Builder::new()
            .prefix("lameduck-stack-")
            .tempdir()
            .map_err(io_error("cannot create temp dir"))?;
        // nginx and php-fpm workers may run as an unprivileged user and must read the files.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .map_err(io_error("chmod temp dir"))?;
        write_scripts(dir.path())?;
        let php_fpm = start_php_fpm(dir.path(), &options)?;
        let mut last_error = None;
        // The free port may be taken between our probe and nginx's bind: try a few.
        for _ in 0..5 {
            let port = free_port().map_err(io_error("cannot find a free port"))?;
            let tls_port = match options.tls {
                Some(_) => Some(free_port().map_err(io_error("cannot find a free port"))?),
                None => None,
            };
            match start_nginx(dir.path(), port, tls_port, &options) {
                Ok(nginx) => return Ok(Stack { nginx, php_fpm, port, tls_port, dir }),
                Err(error @ Error::Exited { .. }) if error.to_string().contains("in use") => {
                    last_error = Some(error)
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.expect("loop ran at least once"))
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `https://localhost:TLS_PORT` + `path`; `None` unless started with [`StackOptions::tls`].
    pub fn https_url(&self, path: &str) -> Option<String> {
        self.tls_port.map(|port| format!("https://localhost:{port}{path}"))
    }

    /// nginx's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temp dir holding configs, logs, sockets and the document root (`www/`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The nginx master process.
    pub fn nginx(&mut self) -> &mut ChildGuard {
        &mut self.nginx
    }

    /// The php-fpm master process.
    pub fn php_fpm(&mut self) -> &mut ChildGuard {
        &mut self.php_fpm
    }

    /// nginx's error log so far (for assertion messages).
    pub fn nginx_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("nginx-error.log")).unwrap_or_default()
    }

    /// php-fpm's log so far.
    pub fn php_fpm_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("php-fpm.log")).unwrap_or_default()
    }
}

fn write_scripts(dir: &Path) -> Result<(), Error> {
    let www = dir.join("www");
    fs::create_dir(&www).map_err(io_error("create www"))?;
    let files = [
        ("index.php", "<?php echo \"ok\\n\";\n"),
        (
            "sleep.php",
            "<?php\n$ms = max(0, (int)($_GET['ms'] ?? 0));\nusleep($ms * 1000);\necho \"slept $ms ms\\n\";\n",
        ),
        (
            // Answers 200 when the request matches every expectation given in the query
            // (method, host, header `name: value`, body), else 417 with what differed.
            "expect.php",
            "<?php\n$diff = [];\n\
             if (isset($_GET['method']) && $_SERVER['REQUEST_METHOD'] !== $_GET['method']) $diff[] = 'method';\n\
             if (isset($_GET['host']) && $_SERVER['HTTP_HOST'] !== $_GET['host']) $diff[] = 'host';\n\
             if (isset($_GET['header'])) { [$n, $v] = explode(':', $_GET['header'], 2);\n\
               $key = 'HTTP_' . strtoupper(str_replace('-', '_', $n));\n\
               if (($_SERVER[$key] ?? null) !== $v) $diff[] = 'header'; }\n\
             if (isset($_GET['body']) && file_get_contents('php://input') !== $_GET['body']) $diff[] = 'body';\n\
             http_response_code($diff ? 417 : 200);\necho implode(',', $diff), \"\\n\";\n",
        ),
        (
            "status.php",
            "<?php\nhttp_response_code((int)($_GET['code'] ?? 200));\necho \"status\\n\";\n",
        ),
    ];
    for (name, body) in files {
        fs::write(www.join(name), body).map_err(io_error(format!("write {name}")))?;
    }
    Ok(())
}

fn php_fpm_binary() -> PathBuf {
    // Debian names it after the PHP version (php-fpm8.2); take whichever is installed.
    let candidates = fs::read_dir("/usr/sbin").into_iter().flatten().flatten();
    let mut found: Vec<PathBuf> = candidates
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("php-fpm"))
        })
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| PathBuf::from("php-fpm"))
}

fn start_php_fpm(dir: &Path, options: &StackOptions) -> Result<ChildGuard, Error> {
    let socket = dir.join("php-fpm.sock");
    let mut config = format!(
        "[global]\npid = {dir}/php-fpm.pid\nerror_log = {dir}/php-fpm.log\ndaemonize = no\n",
        dir = dir.display()
    );
    if let Some(timeout) = &options.process_control_timeout {
        config.push_str(&format!("process_control_timeout = {timeout}\n"));
    }
    options.php_global.iter().for_each(|l| config.push_str(&format!("{l}\n")));
    config.push_str(&format!(
        "[www]\nlisten = {}\nlisten.mode = 0666\npm = static\npm.max_children = {}\n\
         catch_workers_output = yes\nclear_env = no\n",
        socket.display(),
        options.php_children
    ));
    if is_root() {
        config.push_str("user = root\ngroup = root\n");
    }
    options.php_pool.iter().for_each(|l| config.push_str(&format!("{l}\n")));
    let conf_path = dir.join("php-fpm.conf");
    fs::write(&conf_path, config).map_err(io_error("write php-fpm.conf"))?;

    let mut command = Command::new(php_fpm_binary());
    command.arg("-F").arg("-y").arg(&conf_path).arg("-p").arg(dir);
    if is_root() {
        command.arg("-R");
    }
    command.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
    command.stderr(std::process::Stdio::null());
    let mut child = ChildGuard::spawn("php-fpm", command)?;
    let deadline = Instant::now() + READY_TIMEOUT;
    let log = || fs::read_to_string(dir.join("php-fpm.log")).unwrap_or_default();
    loop {
        if UnixStream::connect(&socket).is_ok() {
            return Ok(child);
        }
        if let Some(status) = child.try_exit() {
            return Err(Error::Exited {
                what: "php-fpm".into(),
                status: status.to_string(),
                log: log(),
            });
        }
        if Instant::now() >= deadline {
            return Err(Error::NotReady {
                what: "php-fpm".into(),
                seconds: READY_TIMEOUT.as_secs(),
                log: log(),
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn start_nginx(
    dir: &Path,
    port: u16,
    tls_port: Option<u16>,
    options: &StackOptions,
) -> Result<ChildGuard, Error> {
    let d = dir.display();
    let tls_listen = match (&options.tls, tls_port) {
        (Some((cert, key)), Some(tls_port)) => {
            fs::write(dir.join("tls.crt"), cert).map_err(io_error("write tls.crt"))?;
            fs::write(dir.join("tls.key"), key).map_err(io_error("write tls.key"))?;
            format!(
                "listen 127.0.0.1:{tls_port} ssl;\n    ssl_certificate {d}/tls.crt;\n    \
                 ssl_certificate_key {d}/tls.key;\n"
            )
        }
        _ => String::new(),
    };
    let user = if is_root() { "user root root;\n" } else { "" };
    let config = format!(
        "{user}worker_processes {workers};\nerror_log {d}/nginx-error.log info;\npid {d}/nginx.pid;\n\
events {{ worker_connections 4096; }}\n\
http {{\n  access_log off;\n  client_body_temp_path {d}/client_body;\n  proxy_temp_path {d}/proxy;\n\
  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
  keepalive_requests 100000;\n  {http}\n\
  server {{\n    listen 127.0.0.1:{port} backlog=4096;\n    {tls_listen}    root {d}/www;\n    index index.php index.html;\n\
    location = /ok {{ return 200 \"ok\\n\"; }}\n\
    location ~ \\.php$ {{\n      fastcgi_pass unix:{d}/php-fpm.sock;\n\
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n\
      fastcgi_param QUERY_STRING $query_string;\n      fastcgi_param REQUEST_METHOD $request_method;\n\
      fastcgi_param CONTENT_TYPE $content_type;\n      fastcgi_param CONTENT_LENGTH $content_length;\n\
      fastcgi_param SCRIPT_NAME $fastcgi_script_name;\n      fastcgi_param REQUEST_URI $request_uri;\n\
      fastcgi_param SERVER_PROTOCOL $server_protocol;\n      fastcgi_param REMOTE_ADDR $remote_addr;\n\
      fastcgi_param SERVER_NAME $server_name;\n      fastcgi_param SERVER_PORT $server_port;\n\
      fastcgi_param HTTP_HOST $host;\n    }}\n    {server}\n  }}\n}}\n",
        workers = options.nginx_workers,
        http = options.nginx_http,
        server = options.nginx_server,
    );
    let conf_path = dir.join(format!("nginx-{port}.conf"));
    fs::write(&conf_path, config).map_err(io_error("write nginx.conf"))?;
    let mut command = Command::new(NGINX);
    command
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("nginx-error.log"))
        .arg("-c")
        .arg(&conf_path)
        .arg("-g")
        .arg("daemon off; master_process on;");
    command.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
    command.stderr(std::process::Stdio::null());
    let mut child = ChildGuard::spawn("nginx", command)?;
    let log = || fs::read_to_string(dir.join("nginx-error.log")).unwrap_or_default();
    let mut exited = None;
    let ready = wait_for_port(port, READY_TIMEOUT, || {
        exited = child.try_exit();
        exited.is_none()
    });
    if ready {
        return Ok(child);
    }
    match exited {
        Some(status) => {
            Err(Error::Exited { what: "nginx".into(), status: status.to_string(), log: log() })
        }
        None => Err(Error::NotReady {
            what: "nginx".into(),
            seconds: READY_TIMEOUT.as_secs(),
            log: log(),
        }),
    }
}
