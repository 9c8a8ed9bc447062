//! Which server a container runs. The command line decides when it names one; otherwise the
//! evidence is weighed: what the image is built from (a linked Dockerfile's `FROM` chain, or the
//! image table), the server configs it mounts, its ports, its name, and last the image's name,
//! which often says more about the team's naming than the program (`acme/nginx-php` is php-fpm).
use crate::image::{self, ImageRef, Server};
use crate::shell::basename;

/// The two servers the checker knows how to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Nginx,
    PhpFpm,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Nginx => "nginx",
            Role::PhpFpm => "php-fpm",
        }
    }

    /// From the words of a command line.
    pub fn of_words(words: &[String]) -> Option<Role> {
        for word in words {
            for part in word.split_whitespace() {
                let name = basename(part);
                if name.starts_with("php-fpm") {
                    return Some(Role::PhpFpm);
                }
                if name == "nginx" || name == "openresty" {
                    return Some(Role::Nginx);
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
        } else {
            None
        }
    }

    /// From what the image table knows about an image: `Some(None)` for a known image that runs
    /// another server (Apache, Caddy), `None` when the table does not know it.
    pub fn of_known_image(image: &ImageRef) -> Option<Option<Role>> {
        image::known(image).map(|k| {
            k.server.map(|s| match s {
                Server::Nginx => Role::Nginx,
                Server::PhpFpm => Role::PhpFpm,
            })
        })
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
        } else {
            None
        }
    }

    /// From a port: 9000 is php-fpm's, 80, 443, 8080 and 8443 a web server's.
    fn of_port(port: u16) -> Option<Role> {
        match port {
            9000 => Some(Role::PhpFpm),
            80 | 443 | 8080 | 8443 => Some(Role::Nginx),
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
    /// Server configs the container reads (mounted, or beside its Dockerfile).
    pub fpm_configs: bool,
    pub nginx_configs: bool,
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
            return None; // Apache, Caddy…: a server the rules do not cover
        }
        let named = self.built_from.flatten().is_some()
            || self.fpm_configs != self.nginx_configs
            || Role::of_name(self.name).is_some()
            || self.image_name.and_then(Role::of_image).is_some()
            || self.ports.contains(&9000);
        if !named {
            return None;
        }
        let mut votes = [(Role::Nginx, 0), (Role::PhpFpm, 0)];
        let mut vote = |role: Option<Role>, weight: u32| {
            if let Some(role) = role {
                votes.iter_mut().filter(|(r, _)| *r == role).for_each(|(_, w)| *w += weight);
            }
        };
        vote(self.built_from.flatten(), 8);
        if self.fpm_configs != self.nginx_configs {
            vote(Some(if self.fpm_configs { Role::PhpFpm } else { Role::Nginx }), 4);
        }
        vote(Role::of_name(self.name), 2);
        vote(self.image_name.and_then(Role::of_image), 1);
        for port in &self.ports {
            vote(Role::of_port(*port), 2);
        }
        let [(_, nginx), (_, fpm)] = votes;
        match nginx.cmp(&fpm) {
            std::cmp::Ordering::Greater => Some(Role::Nginx),
            std::cmp::Ordering::Less => Some(Role::PhpFpm),
            std::cmp::Ordering::Equal => None,
        }
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
        assert_eq!(Role::of_name("php"), Some(Role::PhpFpm));
        assert_eq!(Role::of_image(&ImageRef::parse("php:8.3-fpm")), Some(Role::PhpFpm));
        assert_eq!(Role::of_image(&ImageRef::parse("php:8.3-cli")), None);
        assert_eq!(Role::of_image(&ImageRef::parse("bitnami/nginx")), Some(Role::Nginx));
        assert_eq!(Role::of_image(&ImageRef::parse("wordpress:6-fpm")), Some(Role::PhpFpm));
        assert_eq!(Role::of_image(&ImageRef::parse("wordpress:6")), None);
        assert_eq!(
            Role::of_image(&ImageRef::parse("roundcube/roundcubemail:1.6-fpm-alpine")),
            Some(Role::PhpFpm)
        );
    }

    #[test]
    fn the_image_name_is_the_weakest_evidence() {
        let image = ImageRef::parse("acme/nginx-php:1.4");
        let php = Evidence {
            fpm_configs: true,
            ports: vec![9000],
            name: "php",
            image_name: Some(&image),
            ..Evidence::default()
        };
        assert_eq!(php.weigh(), Some(Role::PhpFpm));
        let only_the_name = Evidence { image_name: Some(&image), ..Evidence::default() };
        assert_eq!(only_the_name.weigh(), Some(Role::Nginx));
        let apache = Evidence { built_from: Some(None), ports: vec![80], ..Evidence::default() };
        assert_eq!(apache.weigh(), None);
        let only_a_port = Evidence { ports: vec![80], name: "drupal", ..Evidence::default() };
        assert_eq!(only_a_port.weigh(), None, "port 80 is any web server's");
        let named = Evidence { ports: vec![9000], name: "app-fpm", ..Evidence::default() };
        assert_eq!(named.weigh(), Some(Role::PhpFpm));
    }
}
