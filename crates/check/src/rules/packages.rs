//! What a Dockerfile's `RUN` instructions install with the distribution's package manager
//! (`apt-get install`, `apt install`, `apk add`, `yum`/`dnf`/`microdnf install`, `zypper install`).

/// Whether `run` installs a package that `wanted` accepts (by name, version suffix removed).
pub fn installs(run: &str, wanted: impl Fn(&str) -> bool) -> bool {
    let segments = run.split(['&', ';', '|', '\n']);
    segments.into_iter().any(|segment| {
        let words: Vec<&str> = segment.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| {
            matches!(
                w.rsplit('/').next().unwrap_or(w),
                "apt-get" | "apt" | "apk" | "yum" | "dnf" | "microdnf" | "zypper"
            )
        }) else {
            return false;
        };
        let rest = &words[at + 1..];
        let verb = rest.iter().position(|w| matches!(*w, "install" | "add" | "in"));
        verb.is_some_and(|v| {
            rest[v + 1..].iter().filter(|w| !w.starts_with('-')).any(|w| {
                let name = w.split(['=', '>', '<', '~']).next().unwrap_or(w);
                wanted(name.trim_matches(|c| c == '"' || c == '\''))
            })
        })
    })
}

/// Debian's and Alpine's nginx packages (`nginx`, `nginx-full`, `nginx-light`, `nginx-core`).
pub fn is_nginx_package(name: &str) -> bool {
    matches!(name, "nginx" | "nginx-full" | "nginx-light" | "nginx-core" | "nginx-extras")
}

/// Apache or mod_php packages: `apache2`, `httpd`, `libapache2-mod-php8.2`, `php84-apache2`.
pub fn is_apache_package(name: &str) -> bool {
    matches!(name, "apache2" | "httpd")
        || name.starts_with("libapache2-mod-php")
        || (name.starts_with("php") && name.ends_with("-apache2"))
}

/// php-fpm packages: `php-fpm`, `php8.2-fpm`, `php83-fpm`.
pub fn is_fpm_package(name: &str) -> bool {
    name.starts_with("php") && name.ends_with("-fpm")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_installs() {
        let run = "apt-get update && apt-get install -y --no-install-recommends nginx curl";
        assert!(installs(run, is_nginx_package));
        assert!(installs("apk add --no-cache nginx=1.24.0-r1 php83-fpm", is_fpm_package));
        assert!(installs("apk add --no-cache nginx=1.24.0-r1", is_nginx_package));
        assert!(!installs("apt-get install -y nginx-module-njs", is_nginx_package));
        assert!(!installs("echo apt-get install nginx > notes && cp nginx.conf /etc", |_| false));
        assert!(!installs("apk del nginx", is_nginx_package));
    }
}
