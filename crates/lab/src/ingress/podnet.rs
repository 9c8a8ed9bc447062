//! Pod addresses: a veth pair per pod, one end in the lab's network namespace, the other as
//! `eth0` in the pod's, on a /30 of its own. A data plane connects to the pod's address itself,
//! so the kernel's refusals and resets reach it unchanged.
//!
//! When the kubelet has torn the pod's sandbox down ([`sandbox_gone`]), the pair is deleted and
//! the pod's address is routed into a sink that drops every packet: as in a cluster, where a
//! deleted pod's IP stops answering, a connect to it times out instead of being refused. The
//! sink is a veth pair with both ends in the lab's namespace and ARP off, so frames leave
//! addressed to the sending end's own MAC and the other end discards them as not its own (a
//! `dummy` interface would do, but its kernel module is often missing). Every change stays
//! inside the lab's own network namespace.
//!
//! The links are made with `ip` (iproute2) and `nsenter`, run by the lab and waited for through
//! its reaper (the lab is PID 1 of its own PID namespace and reaps every child).
use std::collections::HashMap;
use std::io::{self, Read};
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use crate::sys::netns::NetNs;

/// Links made so far in this lab: each gets the next /30 of 10.200.0.0/16.
static NEXT_LINK: AtomicU32 = AtomicU32::new(0);

/// The sink that swallows packets to gone pods (and its other end), and its own address
/// (outside the links' 10.200.0.0/16) so the kernel has a source address for them.
const DEAD_IF: &str = "ldgone";
const DEAD_PEER: &str = "ldgonepeer";
const DEAD_IF_ADDR: &str = "10.201.0.1/32";

/// A pod's link, keyed by its namespace's inode (the same namespace, whoever links it).
#[derive(Clone)]
struct Link {
    host_if: String,
    addr: Ipv4Addr,
}

static LINKS: Mutex<Option<HashMap<u64, Link>>> = Mutex::new(None);
/// Serialises linking and unlinking, so two data planes never link one pod twice.
static CHANGES: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);

fn ns_inode(netns: &NetNs) -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(format!("/proc/self/fd/{}", netns.raw()))?.ino())
}

fn links() -> std::sync::MutexGuard<'static, Option<HashMap<u64, Link>>> {
    LINKS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The pod's address if it was linked and its link still exists (an inode can be reused by a
/// later namespace once a scenario's pods are gone).
fn existing(ino: u64) -> Option<Link> {
    let link = links().as_ref()?.get(&ino).cloned()?;
    interface_exists(&link.host_if).then_some(link)
}

/// Whether the lab's namespace has interface `name` (asked of the kernel: the lab's `/sys`
/// shows the host's namespace).
fn interface_exists(name: &str) -> bool {
    let Ok(name) = std::ffi::CString::new(name) else { return false };
    // SAFETY: a valid NUL-terminated name; the call only reads it.
    unsafe { libc::if_nametoindex(name.as_ptr()) != 0 }
}

/// Gives the pod in `netns` an address reachable from the lab's namespace and returns it; a pod
/// linked before keeps its address.
pub async fn link(netns: &NetNs) -> io::Result<Ipv4Addr> {
    let _changing = CHANGES.lock().await;
    let ino = ns_inode(netns)?;
    if let Some(link) = existing(ino) {
        return Ok(link.addr);
    }
    let (host_if, addr) = make_link(netns).await?;
    links().get_or_insert_with(HashMap::new).insert(ino, Link { host_if, addr });
    Ok(addr)
}

/// The kubelet has torn the pod's sandbox down: its link goes, and its address now leads into
/// [`DEAD_IF`], so connects to it time out. Returns the address, `None` if it was never linked.
pub async fn sandbox_gone(netns: &NetNs) -> io::Result<Option<Ipv4Addr>> {
    let mut dead_if_up = CHANGES.lock().await;
    let ino = ns_inode(netns)?;
    let Some(link) = existing(ino) else { return Ok(None) };
    if !*dead_if_up {
        // A leftover from an earlier scenario of this lab is fine: the lab's namespace is its own.
        if !interface_exists(DEAD_IF) {
            run(&["ip", "link", "add", DEAD_IF, "type", "veth", "peer", "name", DEAD_PEER]).await?;
            run(&["ip", "addr", "add", DEAD_IF_ADDR, "dev", DEAD_IF]).await?;
        }
        run(&["ip", "link", "set", DEAD_IF, "arp", "off", "up"]).await?;
        run(&["ip", "link", "set", DEAD_PEER, "up"]).await?;
        *dead_if_up = true;
    }
    run(&["ip", "link", "del", &link.host_if]).await?;
    run(&["ip", "route", "replace", &format!("{}/32", link.addr), "dev", DEAD_IF]).await?;
    if let Some(map) = links().as_mut() {
        map.remove(&ino);
    }
    Ok(Some(link.addr))
}

async fn make_link(netns: &NetNs) -> io::Result<(String, Ipv4Addr)> {
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
    Ok((host_if, pod))
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
