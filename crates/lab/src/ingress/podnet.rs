//! Pod addresses for a data plane that runs as its own process (real nginx): a veth pair per
//! pod, one end in the lab's network namespace, the other as `eth0` in the pod's, on a /30 of
//! its own. The process then connects to the pod's address itself, so the kernel's refusals and
//! resets reach it unchanged. The pair vanishes with the pod's namespace.
//!
//! The links are made with `ip` (iproute2) and `nsenter`, run by the lab and waited for through
//! its reaper (the lab is PID 1 of its own PID namespace and reaps every child).
use std::io::{self, Read};
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::sys::netns::NetNs;

/// Links made so far in this lab: each gets the next /30 of 10.200.0.0/16.
static NEXT_LINK: AtomicU32 = AtomicU32::new(0);

/// Gives the pod in `netns` an address reachable from the lab's namespace and returns it.
pub async fn link(netns: &NetNs) -> io::Result<Ipv4Addr> {
    let n = NEXT_LINK.fetch_add(1, Ordering::Relaxed);
    if n >= 1 << 14 {
        return Err(io::Error::other("more than 16384 pod links in one lab"));
    }
    let base = u32::from(Ipv4Addr::new(10, 200, 0, 0)) + 4 * n;
    let (host, pod) = (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2));
    let host_if = format!("ldi{n}");
    // The namespace by path, as `ip` and `nsenter` take it: our own descriptor, seen through
    // /proc (they do not inherit it, it is close-on-exec).
    let ns_path = format!("/proc/{}/fd/{}", std::process::id(), netns.raw());
    run(&[
        "ip", "link", "add", &host_if, "type", "veth", "peer", "name", "eth0", "netns", &ns_path,
    ])
    .await?;
    run(&["ip", "addr", "add", &format!("{host}/30"), "dev", &host_if]).await?;
    run(&["ip", "link", "set", &host_if, "up"]).await?;
    let net = format!("--net={ns_path}");
    run(&["nsenter", &net, "ip", "addr", "add", &format!("{pod}/30"), "dev", "eth0"]).await?;
    run(&["nsenter", &net, "ip", "link", "set", "eth0", "up"]).await?;
    Ok(pod)
}

/// Runs a command to completion; its stderr becomes the error when it fails.
pub async fn run(argv: &[&str]) -> io::Result<()> {
    let mut child = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", argv[0])))?;
    let exit = crate::sys::reaper::watch(child.id() as i32)
        .await
        .map_err(|_| io::Error::other("the reaper stopped"))?;
    if exit.code == Some(0) {
        return Ok(());
    }
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    Err(io::Error::other(format!(
        "`{}` failed ({}): {}",
        argv.join(" "),
        exit.describe(),
        stderr.trim()
    )))
}
