//! The node: the lab's network namespace, where the Service CIDR is routed and `nft` runs,
//! after a check that it is the lab's own.
use std::io;
use std::path::Path;

use crate::sys::netns::NetNs;

/// The node's own address, on `ldnode0`, which stands in for the node's uplink: the Service
/// CIDR is routed there, so a client's connect finds a route before the DNAT rewrites it.
const NODE_IP: &str = "10.199.0.1";
const SERVICE_CIDR: &str = "10.96.0.0/16";
const NODE_LINK: &str = "ldnode0";

/// The lab's network namespace, checked to be one the lab created.
pub struct Node {
    /// `/proc/1/fd/N`: the namespace by path, for `nsenter`.
    ns_path: String,
    _home: NetNs,
}

impl Node {
    /// Refuses any namespace but a lab's own: the lab is PID 1 of its PID namespace and its
    /// network namespace differs from the one `lameduck lab` started in.
    pub fn enter(home: NetNs) -> io::Result<Self> {
        use std::os::unix::fs::MetadataExt;
        let refuse = |why: &str| {
            io::Error::other(format!(
                "the service data plane writes nftables rules only inside the lab's own network namespace: {why}"
            ))
        };
        let host: u64 = std::env::var(crate::sandbox::HOST_NETNS_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| refuse("not inside `lameduck lab`'s sandbox"))?;
        let pid = std::process::id();
        let ns_path = format!("/proc/{pid}/fd/{}", home.raw());
        if pid != 1 || std::fs::metadata(&ns_path)?.ino() == host {
            return Err(refuse("this is the namespace `lameduck lab` was started in"));
        }
        Ok(Self { ns_path, _home: home })
    }

    pub async fn run(&self, argv: &[&str]) -> io::Result<()> {
        let net = format!("--net={}", self.ns_path);
        let mut full = vec!["nsenter", net.as_str()];
        full.extend_from_slice(argv);
        super::super::podnet::run(&full).await
    }

    /// A bridge with no ports stands in for the node's uplink; the Service CIDR is routed
    /// there, as a node's default route would take it.
    pub async fn route_service_cidr(&self) -> io::Result<()> {
        self.run(&["ip", "link", "add", NODE_LINK, "type", "bridge"]).await?;
        self.run(&["ip", "link", "set", NODE_LINK, "up"]).await?;
        self.run(&["ip", "addr", "add", &format!("{NODE_IP}/32"), "dev", NODE_LINK]).await?;
        self.run(&["ip", "route", "add", SERVICE_CIDR, "dev", NODE_LINK, "src", NODE_IP]).await
    }

    /// Applies one transaction file with `nft -f`: all of it or nothing.
    pub async fn nft(&self, file: &Path) -> io::Result<()> {
        let path = file.to_string_lossy();
        self.run(&["nft", "-f", &path]).await.map_err(|e| {
            if e.to_string().contains("No such file") {
                io::Error::other(format!("{e} (scripts/install-deps lab installs nftables)"))
            } else {
                e
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_namespace_outside_the_lab() {
        // The test runs where it was started: no sandbox, so no rule may be written here.
        let err = Node::enter(NetNs::current().unwrap()).err().expect("refused");
        assert!(err.to_string().contains("only inside the lab's own network namespace"), "{err}");
    }
}
