//! What a lab scenario's stop signals and preStop hook exits mean, in words a reader does not
//! have to decode: nginx's SIGTERM is a fast stop that drops the requests in flight, while
//! SIGQUIT is graceful; a hook's exit code 137 is the SIGKILL that ended it, not a crash.
use lameduck_core::schema::{ContainerPhases, EventKind, PodEvent};

/// How a stop signal stops the container's main program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// SIGTERM or SIGINT to nginx or php-fpm: they stop at once, dropping requests in flight.
    Fast,
    /// SIGQUIT to nginx or php-fpm: they finish the requests in flight first.
    Graceful,
    /// Any other signal or program: what it does is up to the program.
    Other,
}

/// The container's main program as the lab's `started` event names it
/// (`PID 1 = nginx -g daemon off; (lab pid 7), stop signal SIGTERM` → `nginx`).
pub fn program<'a>(events: &'a [PodEvent], pod: &str, container: &str) -> Option<&'a str> {
    let started = events
        .iter()
        .find(|e| e.kind == EventKind::Started && e.pod == pod && e.container == container)?;
    let command = started.detail.strip_prefix("PID 1 = ")?;
    let first = command.split_whitespace().next()?;
    Some(first.rsplit('/').next().unwrap_or(first))
}

/// What `signal` does to `program` (both as the lab names them).
pub fn stop_kind(signal: &str, program: Option<&str>) -> StopKind {
    let known = program.is_some_and(|p| p.starts_with("nginx") || p.starts_with("php-fpm"));
    match signal {
        "SIGTERM" | "SIGINT" if known => StopKind::Fast,
        "SIGQUIT" if known => StopKind::Graceful,
        _ => StopKind::Other,
    }
}

/// The label on the stop phase: `SIGTERM (fast stop)`, `SIGQUIT (graceful)`, or the signal.
pub fn stop_label(signal: &str, kind: StopKind) -> String {
    match kind {
        StopKind::Fast => format!("{signal} (fast stop)"),
        StopKind::Graceful => format!("{signal} (graceful)"),
        StopKind::Other => signal.to_string(),
    }
}

/// The end of the pod's grace period, from its `deleted` event
/// (`Terminating; grace period 30s; ...`), in event-log ms.
pub fn grace_deadline(events: &[PodEvent], pod: &str) -> Option<u64> {
    let deleted = events.iter().find(|e| e.kind == EventKind::Deleted && e.pod == pod)?;
    let rest = &deleted.detail[deleted.detail.find("grace period ")? + "grace period ".len()..];
    let seconds: f64 = rest.split('s').next()?.trim().parse().ok()?;
    Some(deleted.ms + (seconds * 1000.0).round() as u64)
}

/// How close in time two events must be to count as one cause and its effect.
const SAME_MOMENT_MS: u64 = 50;

/// For a preStop hook that ended by SIGKILL (`exec hook exit code 137` or `killed by
/// SIGKILL`), why it was killed, as the reader should read it; `None` for any other outcome.
pub fn hook_killed(detail: &str, c: &ContainerPhases, deadline_ms: Option<u64>) -> Option<String> {
    let killed = detail.ends_with("exit code 137") || detail.ends_with("killed by SIGKILL");
    if !killed {
        return None;
    }
    let end = c.prestop_end_ms?;
    let near = |ms: u64| end.abs_diff(ms) <= SAME_MOMENT_MS;
    let at_deadline = c.sigkill_ms.is_some_and(|k| end + SAME_MOMENT_MS >= k)
        || deadline_ms.is_some_and(|d| end + SAME_MOMENT_MS >= d);
    Some(if at_deadline {
        "preStop hook killed at grace period end (137 = SIGKILL)".to_string()
    } else if c.exit_ms.is_some_and(near) {
        "preStop hook ended with its container (137 = SIGKILL): as planned, not a crash".to_string()
    } else {
        "preStop hook killed by SIGKILL (137 = 128 + 9), not a crash of the hook".to_string()
    })
}

/// The `prestop-end` event's detail for a container, if it has one.
pub fn hook_end<'a>(events: &'a [PodEvent], pod: &str, container: &str) -> Option<&'a str> {
    events
        .iter()
        .find(|e| e.kind == EventKind::PrestopEnd && e.pod == pod && e.container == container)
        .map(|e| e.detail.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, container: &str, ms: u64, detail: &str) -> PodEvent {
        PodEvent {
            ms,
            pod: "pod-1".into(),
            container: container.into(),
            kind: EventKind::from_name(kind).expect("a known kind"),
            detail: detail.into(),
        }
    }

    #[test]
    fn sigterm_is_fast_only_for_nginx_and_php_fpm() {
        let events = [
            event(
                "started",
                "nginx",
                1,
                "PID 1 = nginx -g daemon off; (lab pid 7), stop signal SIGTERM",
            ),
            event(
                "started",
                "fpm",
                2,
                "PID 1 = /usr/sbin/php-fpm8.2 -F (lab pid 9), stop signal SIGQUIT",
            ),
            event("started", "sup", 3, "PID 1 = supervisord -n (lab pid 11), stop signal SIGTERM"),
        ];
        let kind = |c: &str, sig: &str| stop_kind(sig, program(&events, "pod-1", c));
        assert_eq!(kind("nginx", "SIGTERM"), StopKind::Fast);
        assert_eq!(kind("nginx", "SIGQUIT"), StopKind::Graceful);
        assert_eq!(kind("fpm", "SIGINT"), StopKind::Fast);
        assert_eq!(kind("fpm", "SIGQUIT"), StopKind::Graceful);
        assert_eq!(kind("sup", "SIGTERM"), StopKind::Other);
        assert_eq!(kind("missing", "SIGTERM"), StopKind::Other);
        assert_eq!(stop_label("SIGTERM", StopKind::Fast), "SIGTERM (fast stop)");
        assert_eq!(stop_label("SIGQUIT", StopKind::Graceful), "SIGQUIT (graceful)");
    }

    #[test]
    fn a_hook_killed_with_exit_137_says_why() {
        let events = [event(
            "deleted",
            "",
            2_000,
            "Terminating; grace period 30s; endpoint removal reaches the ingress in 0 ms",
        )];
        let deadline = grace_deadline(&events, "pod-1");
        assert_eq!(deadline, Some(32_000));
        let c = |end, exit| ContainerPhases {
            prestop_start_ms: Some(2_000),
            prestop_end_ms: Some(end),
            exit_ms: Some(exit),
            ..ContainerPhases::default()
        };
        let at_end = hook_killed("exec hook exit code 137", &c(32_001, 34_000), deadline).unwrap();
        assert!(at_end.contains("killed at grace period end (137 = SIGKILL)"), "{at_end}");
        let with_main = hook_killed("exec hook exit code 137", &c(5_231, 5_231), deadline).unwrap();
        assert!(
            with_main.contains("ended with its container") && with_main.contains("not a crash")
        );
        assert_eq!(hook_killed("exec hook exit code 0", &c(5_231, 5_231), deadline), None);
    }
}
