//! `lameduck prestop --after-port`: which container of the pod a hook waits for. A container
//! whose hook waits until another container's port stops listening is stopped after that
//! container has begun its graceful stop, whatever order the kubelet runs the hooks in.
use super::{ContainerView, PodView, Role};

/// Who listens on a port named by `--after-port`, as far as the manifests tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// Another container of the pod declares the port, or its nginx config listens on it (its
    /// index in the pod).
    Other(usize),
    /// Only the waiting container itself declares it: the hook waits for itself.
    Own,
    /// Every other container declares ports (or has an nginx config with `listen`), and none is
    /// this one.
    Nobody,
    /// No container declares it, but another one (its index; nginx if there is one) declares no
    /// ports at all and may listen on it undeclared: the hook's author is given the benefit of
    /// the doubt, and the wait counts as a wait for that container.
    Undeclared(usize),
    /// Not a port number.
    Invalid,
}

impl<'a> PodView<'a> {
    /// The containers that can be running alongside `c` when it stops.
    fn others<'s>(
        &'s self,
        c: &'s ContainerView<'a>,
    ) -> impl Iterator<Item = (usize, &'s ContainerView<'a>)> + 's {
        self.containers
            .iter()
            .enumerate()
            .filter(move |(_, o)| !std::ptr::eq(*o, c) && !o.container.plain_init)
    }

    /// Each port `c`'s `lameduck prestop --after-port` names, with who listens on it.
    pub fn after_ports(&self, c: &ContainerView<'a>) -> Vec<(String, Listener)> {
        let Some(call) = c.hook.as_ref().and_then(|h| h.lameduck()) else { return Vec::new() };
        call.after_ports
            .iter()
            .map(|text| {
                let listener = match text.parse::<u16>() {
                    Err(_) => Listener::Invalid,
                    Ok(port) => {
                        let declares = |o: &ContainerView<'_>| {
                            o.container.ports.iter().any(|(p, _)| *p == port)
                                || o.nginx.iter().any(|n| n.listens.contains(&port))
                                || o.fpm.iter().any(|f| f.listens.contains(&port))
                        };
                        if let Some((i, _)) = self.others(c).find(|(_, o)| declares(o)) {
                            Listener::Other(i)
                        } else if declares(c) {
                            Listener::Own
                        } else if let Some(i) = self.undeclared(c) {
                            Listener::Undeclared(i)
                        } else {
                            Listener::Nobody
                        }
                    }
                };
                (text.clone(), listener)
            })
            .collect()
    }

    /// The other container `c`'s hook waits for with `--after-port`, if the manifests show one.
    /// A hook whose flags lameduck rejects waits for nothing: it exits at once.
    pub fn waits_for(&self, c: &ContainerView<'a>) -> Option<&ContainerView<'a>> {
        if c.hook.as_ref().and_then(|h| h.lameduck()).is_some_and(|call| call.fails()) {
            return None;
        }
        self.after_ports(c).into_iter().find_map(|(_, listener)| match listener {
            Listener::Other(i) | Listener::Undeclared(i) => Some(&self.containers[i]),
            _ => None,
        })
    }

    /// Whether `c`'s hook keeps it serving past the others' stop: it waits for another
    /// container's port, or for its own (until the grace period is almost over, which LD014
    /// reports; it does not stop early).
    pub fn after_port_holds(&self, c: &ContainerView<'a>) -> bool {
        self.waits_for(c).is_some()
            || (!c.hook.as_ref().and_then(|h| h.lameduck()).is_some_and(|call| call.fails())
                && self.after_ports(c).iter().any(|(_, l)| *l == Listener::Own))
    }

    /// Another container that declares no ports, the web server (nginx, Apache, Caddy) first.
    fn undeclared(&self, c: &ContainerView<'a>) -> Option<usize> {
        let silent: Vec<_> = self
            .others(c)
            .filter(|(_, o)| {
                o.container.ports.is_empty()
                    && o.nginx.iter().all(|n| n.listens.is_empty())
                    && o.fpm.iter().all(|f| f.listens.is_empty())
            })
            .collect();
        let nginx = silent.iter().find(|(_, o)| o.role.is_some_and(Role::is_front));
        nginx.or(silent.first()).map(|(i, _)| *i)
    }

    /// Whether the pod has a main (non-init) container besides `c`.
    pub fn has_main_container_besides(&self, c: &ContainerView<'a>) -> bool {
        self.others(c).any(|(_, o)| !o.container.native_sidecar)
    }
}
