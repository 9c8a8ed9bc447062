//! Before a run starts: do its scenarios fit the lab's limits and this machine?
//!
//! Each scenario is bounded on its own when it is loaded (`scenario::limits`); here the run as
//! a whole is: all its scenarios' pods together, and the pods of the scenarios that run at the
//! same time (`--jobs`) against the processes and memory this machine has left. The estimates
//! per container are rough on purpose (an nginx or php-fpm container here is a master and a
//! few workers, some MiB each): the check catches a run that would bring the machine down,
//! not one that is merely busy.
use std::os::unix::fs::MetadataExt;

use crate::scenario::limits::pod_counts;
use crate::scenario::Scenario;

/// Pods of all the scenarios of one run together (their peaks): enough for `--profile all`, which
/// runs each of the 24 built-in scenarios (4 pods) once as written and once per profile.
pub const MAX_RUN_PODS: u64 = 512;
/// Processes one container is counted for (a master, workers, hooks).
pub const PROCESSES_PER_CONTAINER: u64 = 16;
/// Memory one container is counted for.
pub const MIB_PER_CONTAINER: u64 = 16;

/// What this machine has left, read from /proc and the resource limits.
#[derive(Debug, Clone, Copy)]
pub struct Machine {
    /// Processes that can still be created (pid_max and threads-max, less those running).
    pub processes_left: u64,
    /// RLIMIT_NPROC less this user's processes; `None` when it does not apply (root).
    pub user_processes_left: Option<u64>,
    pub mem_available_mib: u64,
}

impl Machine {
    pub fn read() -> Machine {
        let number =
            |path: &str| -> Option<u64> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
        let owners: Vec<u32> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            })
            .filter_map(|e| e.metadata().ok().map(|m| m.uid()))
            .collect();
        let running = owners.len() as u64;
        let limit = [number("/proc/sys/kernel/pid_max"), number("/proc/sys/kernel/threads-max")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(32768);
        // SAFETY: geteuid has no preconditions; getrlimit writes into a local struct.
        let (euid, nproc) = unsafe {
            let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::getrlimit(libc::RLIMIT_NPROC, &mut rl);
            (libc::geteuid(), rl.rlim_cur)
        };
        let user_processes_left = (euid != 0 && nproc != libc::RLIM_INFINITY).then(|| {
            let mine = owners.iter().filter(|&&uid| uid == euid).count() as u64;
            nproc.saturating_sub(mine)
        });
        let mem_available_mib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| {
                let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .map_or(u64::MAX, |kib| kib / 1024);
        Machine {
            processes_left: limit.saturating_sub(running),
            user_processes_left,
            mem_available_mib,
        }
    }
}

/// Checks the run's scenarios, `jobs` at a time, against the lab's limit and `machine`.
pub fn check(scenarios: &[Scenario], jobs: usize, machine: &Machine) -> Result<(), String> {
    let counts: Vec<_> = scenarios.iter().map(pod_counts).collect();
    let pods: u64 = counts.iter().map(|c| c.peak).sum();
    if pods > MAX_RUN_PODS {
        return Err(format!(
            "these {} scenarios run up to {pods} pods in all; the lab's limit for one run is {MAX_RUN_PODS}: run them in several runs",
            scenarios.len()
        ));
    }
    // The `jobs` hungriest scenarios at once: the most this run can have at any moment.
    let mut containers: Vec<u64> = counts.iter().map(|c| c.peak_containers()).collect();
    containers.sort_unstable_by(|a, b| b.cmp(a));
    let at_once: u64 = containers.iter().take(jobs.max(1)).sum();
    let processes = at_once * PROCESSES_PER_CONTAINER;
    let mib = at_once * MIB_PER_CONTAINER;
    let fix = "run fewer scenarios at once (--jobs), or lower their replicas";
    let left = machine
        .user_processes_left
        .map_or(machine.processes_left, |u| u.min(machine.processes_left));
    if processes > left {
        return Err(format!(
            "this run needs up to {at_once} containers at once (about {processes} processes), and this machine can start only {left} more processes (pid_max, threads-max, ulimit -u): {fix}"
        ));
    }
    if mib > machine.mem_available_mib {
        return Err(format!(
            "this run needs up to {at_once} containers at once (about {mib} MiB), and this machine has {} MiB available: {fix}",
            machine.mem_available_mib
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(replicas: u32) -> Scenario {
        let text = format!(
            "name: t\nreplicas: {replicas}\nload: {{schedule: \"const(1, 1s)\"}}\npod:\n  containers:\n    - {{name: web, image: nginx, ports: [{{containerPort: 80}}]}}\n    - {{name: fpm, image: \"php:8.2-fpm\"}}\n"
        );
        crate::scenario::parse_str("t.yaml", &text).unwrap()
    }

    const ROOMY: Machine =
        Machine { processes_left: 100_000, user_processes_left: None, mem_available_mib: 64_000 };

    #[test]
    fn the_run_as_a_whole_is_bounded() {
        let nine: Vec<_> = (0..9).map(|_| scenario(60)).collect();
        let err = check(&nine, 5, &ROOMY).unwrap_err();
        assert!(err.contains("540 pods") && err.contains("512"), "{err}");
        assert!(check(&nine[..8], 5, &ROOMY).is_ok());
    }

    #[test]
    fn processes_and_memory_are_checked_for_the_scenarios_that_run_at_once() {
        let two = [scenario(10), scenario(10)];
        // 2 × 10 pods × 2 containers = 40 containers, about 640 processes and 640 MiB.
        let small = Machine { processes_left: 500, ..ROOMY };
        let err = check(&two, 2, &small).unwrap_err();
        assert!(err.contains("40 containers") && err.contains("--jobs"), "{err}");
        assert!(check(&two, 1, &small).is_ok(), "one at a time fits");
        let nproc = Machine { user_processes_left: Some(100), ..ROOMY };
        assert!(check(&two, 1, &nproc).unwrap_err().contains("ulimit -u"));
        let little_memory = Machine { mem_available_mib: 300, ..ROOMY };
        assert!(check(&two, 1, &little_memory).unwrap_err().contains("300 MiB available"));
    }
}
