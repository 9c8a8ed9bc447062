//! The servers lameduck knows how to stop, recognised from an executable's name, and their
//! graceful stop signal. `lameduck run` and `prestop` choose the signal they send from this;
//! `lameduck check` infers a container's role from it.
use crate::shell::basename;
use crate::signal;

/// A server lameduck knows how to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Server {
    /// nginx (and OpenResty): SIGQUIT is the graceful stop, SIGTERM the fast one that cuts
    /// requests.
    Nginx,
    /// php-fpm: SIGQUIT is graceful (bounded by `process_control_timeout`), SIGTERM terminates.
    PhpFpm,
    /// Apache httpd (`apache2`, `httpd`, and the official images' `*-foreground` scripts, which
    /// `exec` it): SIGWINCH is the graceful stop, SIGTERM cuts requests in progress.
    Apache,
    /// Caddy: SIGTERM and SIGINT stop it gracefully (bounded by `grace_period`), SIGQUIT at once.
    Caddy,
}

impl Server {
    /// Recognises a server from its executable (a path or a name). `apachectl` is not: Debian's
    /// is a shell script that runs `apache2` as its child and does not pass signals on.
    pub fn of_executable(program: &str) -> Option<Server> {
        let name = basename(program);
        match name {
            "nginx" | "openresty" => Some(Server::Nginx),
            _ if name.starts_with("nginx-") => Some(Server::Nginx),
            _ if name.starts_with("php-fpm") || name.starts_with("php5-fpm") => {
                Some(Server::PhpFpm)
            }
            "apache2" | "httpd" | "apache2-foreground" | "httpd-foreground" => Some(Server::Apache),
            "caddy" => Some(Server::Caddy),
            _ => None,
        }
    }

    /// The signal that stops it gracefully (Linux's number).
    pub fn graceful_stop_signal(self) -> i32 {
        match self {
            Server::Nginx | Server::PhpFpm => signal::SIGQUIT,
            Server::Apache => signal::SIGWINCH,
            Server::Caddy => signal::SIGTERM,
        }
    }

    /// The name logs and messages use.
    pub fn name(self) -> &'static str {
        match self {
            Server::Nginx => "nginx",
            Server::PhpFpm => "php-fpm",
            Server::Apache => "apache",
            Server::Caddy => "caddy",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_server_by_its_executable() {
        for (program, server) in [
            ("/usr/sbin/nginx", Some(Server::Nginx)),
            ("nginx-debug", Some(Server::Nginx)),
            ("openresty", Some(Server::Nginx)),
            ("/usr/sbin/php-fpm8.2", Some(Server::PhpFpm)),
            ("php5-fpm", Some(Server::PhpFpm)),
            ("httpd-foreground", Some(Server::Apache)),
            ("/usr/sbin/apache2", Some(Server::Apache)),
            ("apachectl", None),
            ("caddy", Some(Server::Caddy)),
            ("sleep", None),
        ] {
            assert_eq!(Server::of_executable(program), server, "{program}");
        }
        assert_eq!(Server::Apache.graceful_stop_signal(), signal::SIGWINCH);
    }
}
