//! Small reads from `/proc`: the process tree under lameduck, the sockets those processes hold,
//! and whether a process is still running (a zombie is not).
use std::collections::HashSet;

use crate::netstat::{TcpSocket, TCP_LISTEN};

/// Parent of `pid`, from `/proc/PID/stat` (the field after the parenthesised command name).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// True if `pid` exists and is not a zombie.
pub fn is_running(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    let state = stat.rfind(')').and_then(|end| stat[end + 1..].split_whitespace().next());
    !matches!(state, Some("Z") | Some("X") | None)
}

/// Every process below `root` in the process tree.
pub fn descendants(root: i32) -> Vec<i32> {
    let pids: Vec<(i32, i32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect();
    let mut found = vec![root];
    let mut index = 0;
    while index < found.len() {
        let parent = found[index];
        found.extend(pids.iter().filter(|(_, ppid)| *ppid == parent).map(|(pid, _)| *pid));
        index += 1;
    }
    found.remove(0);
    found
}

/// Socket inodes open in any of `pids`.
fn socket_inodes(pids: &[i32]) -> HashSet<u64> {
    let mut inodes = HashSet::new();
    for pid in pids {
        let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { continue };
        for entry in entries.flatten() {
            if let Ok(target) = std::fs::read_link(entry.path()) {
                let target = target.to_string_lossy();
                if let Some(inode) =
                    target.strip_prefix("socket:[").and_then(|rest| rest.strip_suffix(']'))
                {
                    if let Ok(inode) = inode.parse() {
                        inodes.insert(inode);
                    }
                }
            }
        }
    }
    inodes
}

/// TCP ports that the processes below `root` listen on.
pub fn listening_ports_of_tree(root: i32, sockets: &[TcpSocket]) -> Vec<u16> {
    listening_ports_of(&descendants(root), sockets)
}

/// TCP ports that `pid` or any process below it listens on.
pub fn listening_ports_of_process_and_tree(pid: i32, sockets: &[TcpSocket]) -> Vec<u16> {
    let mut pids = descendants(pid);
    pids.push(pid);
    listening_ports_of(&pids, sockets)
}

fn listening_ports_of(pids: &[i32], sockets: &[TcpSocket]) -> Vec<u16> {
    let inodes = socket_inodes(pids);
    let mut ports: Vec<u16> = sockets
        .iter()
        .filter(|s| s.state == TCP_LISTEN && inodes.contains(&s.inode))
        .map(|s| s.local_port)
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_children_and_zombies() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id() as i32;
        assert!(descendants(std::process::id() as i32).contains(&pid));
        assert!(is_running(pid));
        child.kill().unwrap();
        // Killed but not yet reaped: a zombie, which no longer counts as running.
        while is_running(pid) {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.wait().unwrap();
        assert!(!is_running(pid));
    }
}
