//! LD002: php-fpm's `process_control_timeout` is 0 or missing.
use std::collections::HashSet;

use super::{Ctx, Sink};
use crate::pods::{ContainerView, Pid1, PodView, Role};
use crate::project::ConfigRef;
use crate::source::Span;

declare_rule! {
    /// php-fpm's `process_control_timeout` is 0 or missing, so its master kills busy workers at once.
    ///
    /// `process_control_timeout` is how long php-fpm's children may take to react to a signal
    /// from the master. Its default is 0: on SIGQUIT the master tells the workers to stop and,
    /// without waiting for the requests they are serving, kills them. Even a correct SIGQUIT and
    /// a preStop delay then end in 502s for every slow request. Set it to the longest request you
    /// want to finish during a rollout (and keep it inside the grace period, see LD006).
    ///
    /// It is a global setting: it belongs in `[global]` of `php-fpm.conf` (or any included file:
    /// `include = pool.d/*.conf` and absolute patterns are followed within the scanned files and
    /// the ConfigMap's keys; an include that matches nothing scanned is named in the finding).
    /// The rule fires on a `[global]` section whose config group (the directory, with `pool.d`
    /// and `php-fpm.d` counting as their parent, or the ConfigMap) never sets it, on a value of
    /// 0, and on a php-fpm container none of whose linked configs (mounted ConfigMap keys, or
    /// config files beside the Dockerfile that builds its image) set it.
    ///
    /// Not reported where lameduck makes a timeout of 0 safe (docs/guide.md, step 6): a php-fpm
    /// container whose PID 1 is `lameduck run`, or whose preStop is `lameduck prestop
    /// --after-port N` waiting for another container (nginx): php-fpm is told to stop only once
    /// no FastCGI request is left, so there is no busy worker to kill. A config linked only to
    /// such containers is not reported either.
    ///
    /// On a Dockerfile alone (no scanned workload runs its image), the image's own php-fpm.conf
    /// leaves the timeout at 0 when the image is built `FROM php:*-fpm` (the official
    /// php-fpm.conf), installs the distribution's php-fpm (`apt-get install php8.2-fpm`, `apk add
    /// php83-fpm`), or writes a `[global]` section with a `RUN` (`echo '[global]' | tee
    /// php-fpm.d/zz-docker.conf`), and its php-fpm configs beside the Dockerfile are none or
    /// pools only (`[www]`, no `[global]`). Not reported when the Dockerfile mentions
    /// `process_control_timeout` (a `RUN` writing it, an `ENV PHP_FPM_PROCESS_CONTROL_TIMEOUT`
    /// a templated config reads), or when the image copies files into an `fpm` path and none of
    /// them is scanned (they may set it).
    ///
    /// ### Before
    ///
    /// ```ini
    /// [global]
    /// error_log = /proc/self/fd/2
    /// ```
    ///
    /// ### After
    ///
    /// ```ini
    /// [global]
    /// error_log = /proc/self/fd/2
    /// process_control_timeout = 20s
    /// ```
    pub static RULE = { id: "LD002", name: "fpm-process-control-timeout", severity: Error, check: check };
}

/// Whether lameduck makes `process_control_timeout = 0` safe for this php-fpm container: as PID 1
/// (`lameduck run` signals php-fpm only once no FastCGI connection is left) or through a
/// `lameduck prestop --after-port` hook that waits for another container (nginx) to stop first.
fn lameduck_drains(pod: &PodView<'_>, c: &ContainerView<'_>) -> bool {
    matches!(c.pid1, Pid1::Lameduck(_)) || pod.waits_for(c).is_some()
}

/// php-fpm configs (by index) whose every linked container is made safe by lameduck.
fn covered_by_lameduck(ctx: &Ctx<'_>) -> HashSet<usize> {
    let (mut safe, mut unsafe_) = (HashSet::new(), HashSet::new());
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        for c in pod.role(Role::PhpFpm) {
            let set = if lameduck_drains(pod, c) { &mut safe } else { &mut unsafe_ };
            for config in &c.fpm {
                if let Some(i) = ctx.project.fpm.iter().position(|f| std::ptr::eq(f, *config)) {
                    set.insert(i);
                }
            }
        }
    }
    safe.retain(|i| !unsafe_.contains(i));
    safe
}

fn check(ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
    let project = ctx.project;
    let covered = covered_by_lameduck(ctx);
    let groups = project.configs_by_group();
    let mut refs: Vec<_> = project.groups.iter().collect();
    refs.sort_by_key(|(r, _)| match r {
        ConfigRef::PhpFpm(i) => *i,
        _ => usize::MAX,
    });
    for (config, group) in refs {
        let ConfigRef::PhpFpm(i) = config else { continue };
        if covered.contains(i) {
            continue;
        }
        let fpm = &project.fpm[*i];
        if let Some((seconds, span)) = fpm.process_control_timeout {
            if seconds == 0.0 {
                sink.report(span, format!("process_control_timeout is 0 in {}: php-fpm kills busy workers as soon as it is asked to stop; set it to the longest request you want to finish, e.g. 20s", fpm.origin.label));
            }
            continue;
        }
        let Some(global) = fpm.global else { continue };
        let joined = project.includes.joined(*i);
        let set_elsewhere =
            groups.get(group.as_str()).into_iter().flatten().any(|r| match r {
                ConfigRef::PhpFpm(j) => project.fpm[*j].process_control_timeout.is_some(),
                _ => false,
            }) || joined.iter().any(|j| project.fpm[*j].process_control_timeout.is_some());
        if !set_elsewhere {
            let mut message = format!("[global] in {} does not set process_control_timeout, so it is 0: php-fpm kills busy workers as soon as it is asked to stop; add `process_control_timeout = 20s`", fpm.origin.label);
            let outside: Vec<&(String, Span)> = joined
                .iter()
                .flat_map(|j| project.includes.unresolved.get(j).into_iter().flatten())
                .collect();
            if !outside.is_empty() {
                let names: Vec<String> =
                    outside.iter().map(|(p, _)| format!("`include = {p}`")).collect();
                message.push_str(&format!(
                    " (note: {} matches no scanned file{}, so it may be set there: add those files to the check, or put the setting in this file)",
                    names.join(", "),
                    if fpm.origin.label.starts_with("ConfigMap") { " or key of this ConfigMap" } else { "" }
                ));
            }
            let finding = sink.report(global, message);
            for (_, span) in outside {
                finding.with(Some(*span), "include outside the scanned files");
            }
        }
    }
    for pod in ctx.pods.iter().filter(|p| !p.workload.is_batch()) {
        for c in pod.role(Role::PhpFpm) {
            if lameduck_drains(pod, c) {
                continue;
            }
            if c.fpm.iter().any(|f| f.process_control_timeout.is_some() || f.global.is_some()) {
                continue; // set, or reported on the config itself above
            }
            let message = if c.fpm.is_empty() {
                format!("no php-fpm config linked to container `{}` sets process_control_timeout (none is mounted from a ConfigMap or found beside its Dockerfile), and its default is 0: php-fpm kills busy workers as soon as it is asked to stop", c.container.name)
            } else {
                format!("the php-fpm configs linked to container `{}` never set process_control_timeout, so it is 0: php-fpm kills busy workers as soon as it is asked to stop", c.container.name)
            };
            sink.report_in(pod, c.container.span, message);
        }
    }
    super::ld002_images::check(ctx, sink);
}
