//! Which server a container runs. The command line decides when it names one; otherwise the
//! evidence is weighed: what the image is built from (a linked Dockerfile's `FROM` chain, or the
//! image table), the server configs it mounts, its ports, its name, and last the image's name,
//! which often says more about the team's naming than the program (`acme/nginx-php` is php-fpm).
use crate::image::{self, ImageRef, Server};
use crate::shell::basename;

/// The servers the checker knows how to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Nginx,
    PhpFpm,
    /// Apache httpd: with mod_php it serves PHP itself; with proxy_fcgi it fronts php-fpm.
    Apache,
    /// Caddy: in front of php-fpm (`php_fastcgi`), or serving files.
    Caddy,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Nginx => "nginx",
            Role::PhpFpm => "php-fpm",
            Role::Apache => "Apache",
            Role::Caddy => "Caddy",
        }
    }

    /// nginx or php-fpm: the servers whose graceful stop is SIGQUIT (LD001's).
    pub fn stops_on_quit(self) -> bool {
        matches!(self, Role::Nginx | Role::PhpFpm)
    }

    /// Whether `signal` (`WINCH`, `SIGQUIT`, `15`) is this server's graceful stop: SIGQUIT for
    /// nginx and php-fpm, SIGWINCH for Apache
    /// (<https://httpd.apache.org/docs/2.4/stopping.html#gracefulstop>), SIGTERM or SIGINT for
    /// Caddy (caddyserver/caddy sigtrap.go, sigtrap_posix.go; its SIGQUIT quits at once).
    pub fn stops_gracefully_on(self, signal: &str) -> bool {
        let upper = signal.trim_start_matches('-').to_ascii_uppercase();
        let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
        match self {
            Role::Nginx | Role::PhpFpm => matches!(bare, "QUIT" | "3"),
            Role::Apache => matches!(bare, "WINCH" | "28"),
            Role::Caddy => matches!(bare, "TERM" | "15" | "INT" | "2"),
        }
    }

    /// The graceful stop signal to suggest.
    pub fn graceful_signal(self) -> &'static str {
        match self {
            Role::Nginx | Role::PhpFpm => "SIGQUIT",
            Role::Apache => "SIGWINCH",
            Role::Caddy => "SIGTERM",
        }
    }

    /// A web server that can pass requests to php-fpm (nginx, Apache with proxy_fcgi, Caddy).
    pub fn is_front(self) -> bool {
        !matches!(self, Role::PhpFpm)
    }

    fn of_program(name: &str) -> Option<Role> {
        match Server::of_executable(name) {
            Some(server) => Some(Role::of_server(server)),
            // Not Apache itself, but a container that runs it through apachectl serves with it.
            None => matches!(name, "apachectl" | "apache2ctl").then_some(Role::Apache),
        }
    }

    fn of_server(server: Server) -> Role {
        match server {
            Server::Nginx => Role::Nginx,
            Server::PhpFpm => Role::PhpFpm,
            Server::Apache => Role::Apache,
            Server::Caddy => Role::Caddy,
        }
    }

    /// From the words of a command line.
    pub fn of_words(words: &[String]) -> Option<Role> {
        for word in words {
            for part in word.split_whitespace() {
                if let Some(role) = Role::of_program(basename(part)) {
                    return Some(role);
                }
            }
        }
        None
    }

    /// From a container or program name.
    pub fn of_name(name: &str) -> Option<Role> {
        let lower = name.to_ascii_lowercase();
        if lower.contains("fpm") || lower == "php" {
            Some(Role::PhpFpm)
        } else if lower.contains("nginx") {
            Some(Role::Nginx)
        } else if lower.contains("apache") || lower.contains("httpd") {
            Some(Role::Apache)
        } else if lower.contains("caddy") {
            Some(Role::Caddy)
        } else {
            None
        }
    }

    /// From what the image table knows about an image: `Some(None)` for a known image that runs
    /// no server the checker knows (distroless), `None` when the table does not know it.
    pub fn of_known_image(image: &ImageRef) -> Option<Option<Role>> {
        image::known(image).map(|k| k.server.map(Role::of_server))
    }

    /// From the image table, else the image's name alone.
    pub fn of_image(image: &ImageRef) -> Option<Role> {
        if let Some(known) = Role::of_known_image(image) {
            return known;
        }
        let short = image.short_name();
        let tag = image.tag.as_deref().unwrap_or("");
        if short.contains("fpm") || tag.contains("fpm") {
            Some(Role::PhpFpm)
        } else if short.contains("nginx") || short.contains("openresty") {
            Some(Role::Nginx)
        } else if short == "httpd" || short.contains("apache") || tag.contains("apache") {
            Some(Role::Apache)
        } else if short.contains("caddy") {
            Some(Role::Caddy)
        } else {
            None
        }
    }

    /// From a port: 9000 is php-fpm's; 80, 443, 8080 and 8443 are `web`'s, the web server the
    /// other evidence names.
    fn of_port(port: u16, web: Role) -> Option<Role> {
        match port {
            9000 => Some(Role::PhpFpm),
            80 | 443 | 8080 | 8443 => Some(web),
            _ => None,
        }
    }
}

/// What is known about a container when its command line names no server.
#[derive(Debug, Default)]
pub struct Evidence<'a> {
    /// The role of what the image is built from: the linked Dockerfile's CMD and `FROM` chain, or
    /// the image table (`Some(None)`: a known image that is neither server).
    pub built_from: Option<Option<Role>>,
    /// The servers of the configs the container reads (mounted, or beside its Dockerfile).
    pub configs: Vec<Role>,
    pub ports: Vec<u16>,
    pub name: &'a str,
    /// The image's name when nothing better is known about the image.
    pub image_name: Option<&'a ImageRef>,
}

impl Evidence<'_> {
    /// The role with the most weight; none on a tie or without evidence. Web ports alone are no
    /// evidence: 80 and 8080 are Apache's, Node's and every other web server's too; 9000, the
    /// FastCGI port php-fpm listens on, is.
    pub fn weigh(&self) -> Option<Role> {
        if let Some(None) = self.built_from {
            return None; // a known image that runs none of the servers the rules cover
        }
        let mut config_roles = self.configs.clone();
        config_roles.sort_by_key(|r| r.label());
        config_roles.dedup();
        // Configs of one server only say which it is; nginx's and php-fpm's together say nothing.
        let config_role = match config_roles.as_slice() {
            [only] => Some(*only),
            _ => None,
        };
        let named = self.built_from.flatten().is_some()
            || config_role.is_some()
            || Role::of_name(self.name).is_some()
            || self.image_name.and_then(Role::of_image).is_some()
            || self.ports.contains(&9000);
        if !named {
            return None;
        }
        let mut votes = [(Role::Nginx, 0), (Role::PhpFpm, 0), (Role::Apache, 0), (Role::Caddy, 0)];
        let mut vote = |role: Option<Role>, weight: u32| {
            if let Some(role) = role {
                votes.iter_mut().filter(|(r, _)| *r == role).for_each(|(_, w)| *w += weight);
            }
        };
        let image_role = self.image_name.and_then(Role::of_image);
        let web = [self.built_from.flatten(), config_role, Role::of_name(self.name), image_role]
            .into_iter()
            .flatten()
            .find(|r| r.is_front())
            .unwrap_or(Role::Nginx);
        vote(self.built_from.flatten(), 8);
        vote(config_role, 4);
        vote(Role::of_name(self.name), 2);
        vote(image_role, 1);
        for port in &self.ports {
            vote(Role::of_port(*port, web), 2);
        }
        votes.sort_by_key(|v| std::cmp::Reverse(v.1));
        // The most weight wins; a tie at the top (or no weight at all) is no answer.
        (votes[0].1 > votes[1].1).then_some(votes[0].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn roles() {
        assert_eq!(
            Role::of_words(&argv(&["/usr/local/sbin/php-fpm8.2", "-F"])),
            Some(Role::PhpFpm)
        );
        assert_eq!(
            Role::of_words(&argv(&["sh", "-c", "exec nginx -g 'daemon off;'"])),
            Some(Role::Nginx)
        );
        assert_eq!(Role::of_words(&argv(&["/usr/bin/openresty", "-g", "x"])), Some(Role::Nginx));
        assert_eq!(Role::of_words(&argv(&["node", "server.js"])), None);
        assert_eq!(Role::of_words(&argv(&["apache2-foreground"])), Some(Role::Apache));
        assert_eq!(
            Role::of_words(&argv(&["/usr/sbin/apachectl", "-D", "FOREGROUND"])),
            Some(Role::Apache)
        );
        assert_eq!(Role::of_words(&argv(&["httpd-foreground"])), Some(Role::Apache));
        assert_eq!(
            Role::of_words(&argv(&["caddy", "run", "--config", "/etc/caddy/Caddyfile"])),
            Some(Role::Caddy)
        );
        assert_eq!(Role::of_image(&ImageRef::parse("php:8.2-apache")), Some(Role::Apache));
        assert_eq!(Role::of_image(&ImageRef::parse("caddy:2")), Some(Role::Caddy));
        assert_eq!(Role::of_name("php"), Some(Role::PhpFpm));
        assert!(Role::Apache.stops_gracefully_on("SIGWINCH"));
        assert!(Role::Apache.stops_gracefully_on("28"));
        assert!(!Role::Apache.stops_gracefully_on("QUIT"));
        assert!(Role::Caddy.stops_gracefully_on("TERM"));
        assert!(!Role::Caddy.stops_gracefully_on("SIGQUIT"));
        assert!(Role::Nginx.stops_gracefully_on("-QUIT"));
        assert_eq!(Role::of_image(&ImageRef::parse("php:8.3-fpm")), Some(Role::PhpFpm));
        assert_eq!(Role::of_image(&ImageRef::parse("php:8.3-cli")), None);
        assert_eq!(Role::of_image(&ImageRef::parse("bitnami/nginx")), Some(Role::Nginx));
        assert_eq!(Role::of_image(&ImageRef::parse("wordpress:6-fpm")), Some(Role::PhpFpm));
        assert_eq!(Role::of_image(&ImageRef::parse("wordpress:6")), Some(Role::Apache));
        assert_eq!(
            Role::of_image(&ImageRef::parse("roundcube/roundcubemail:1.6-fpm-alpine")),
            Some(Role::PhpFpm)
        );
    }

    #[test]
    fn the_image_name_is_the_weakest_evidence() {
        let image = ImageRef::parse("acme/nginx-php:1.4");
        let php = Evidence {
            configs: vec![Role::PhpFpm],
            ports: vec![9000],
            name: "php",
            image_name: Some(&image),
            ..Evidence::default()
        };
        assert_eq!(php.weigh(), Some(Role::PhpFpm));
        let only_the_name = Evidence { image_name: Some(&image), ..Evidence::default() };
        assert_eq!(only_the_name.weigh(), Some(Role::Nginx));
        let distroless =
            Evidence { built_from: Some(None), ports: vec![80], ..Evidence::default() };
        assert_eq!(distroless.weigh(), None);
        let apache = Evidence {
            built_from: Some(Some(Role::Apache)),
            ports: vec![80],
            name: "php",
            ..Evidence::default()
        };
        assert_eq!(apache.weigh(), Some(Role::Apache), "php:*-apache serves PHP with mod_php");
        let only_a_port = Evidence { ports: vec![80], name: "drupal", ..Evidence::default() };
        assert_eq!(only_a_port.weigh(), None, "port 80 is any web server's");
        let named = Evidence { ports: vec![9000], name: "app-fpm", ..Evidence::default() };
        assert_eq!(named.weigh(), Some(Role::PhpFpm));
        let caddy = Evidence { configs: vec![Role::Caddy], ports: vec![80], ..Evidence::default() };
        assert_eq!(caddy.weigh(), Some(Role::Caddy), "a Caddyfile says which web server");
    }
}
