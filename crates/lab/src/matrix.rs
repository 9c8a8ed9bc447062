//! `--profile`: scenarios run behind a cluster profile, and with `--profile all` the matrix of
//! every scenario as written and under every profile, side by side.
//!
//! A run under a profile is named `SCENARIO@PROFILE`. It keeps the scenario's expectation, so
//! its verdict says whether the article's outcome still holds behind that cluster; the matrix
//! shows its failed requests, marked where the outcome is no longer the article's.
use crate::result::{ScenarioResult, Verdict};
use crate::scenario::profiles::{Profile, PROFILES};
use crate::scenario::Scenario;

/// `--profile all`.
pub const ALL: &str = "all";
/// Between a scenario's name and its profile's in a run's name.
const AT: char = '@';

/// The scenarios to run for `--profile NAME` (each under that profile) or `--profile all`
/// (each as written, then under every profile). Runs under the longest lag go first, so
/// that they are not the ones left running at the end.
pub fn expand(scenarios: Vec<Scenario>, profile: &str) -> Result<Vec<Scenario>, String> {
    let profiles: Vec<Profile> = if profile == ALL {
        PROFILES.to_vec()
    } else {
        vec![Profile::find(profile).map_err(|e| {
            if crate::suggest::closest(profile, [ALL]).is_some() {
                format!("{e}; or {ALL}")
            } else {
                e
            }
        })?]
    };
    let mut runs = Vec::new();
    for p in &profiles {
        for s in &scenarios {
            let mut run = s.clone();
            run.name = format!("{}{AT}{}", s.name, p.name);
            p.apply(&mut run.ingress, &[]);
            p.stretch_load(&mut run);
            runs.push(run);
        }
    }
    runs.sort_by_key(|r| std::cmp::Reverse(r.ingress.lag.as_ref().map(|l| l.max())));
    if profile == ALL {
        runs.extend(scenarios);
    }
    Ok(runs)
}

/// Whether a run is a scenario under a profile (`NAME@PROFILE`).
pub fn is_profile_run(name: &str) -> bool {
    name.rsplit_once(AT).is_some_and(|(_, p)| PROFILES.iter().any(|known| known.name == p))
}

/// The per-kind lines of the runs whose load is a request mix.
pub fn kinds_text(results: &[ScenarioResult]) -> String {
    let mut out = String::new();
    for r in results.iter().filter(|r| !r.kinds.is_empty()) {
        let kinds: Vec<String> = r
            .kinds
            .iter()
            .map(|k| {
                let keepalive = if k.keepalive { "keep-alive" } else { "close" };
                format!("{} {keepalive}: {} of {} failed", k.method, k.failed, k.requests)
            })
            .collect();
        out.push_str(&format!("{}: {}\n", r.name, kinds.join("; ")));
    }
    out
}

/// The matrix: one row per scenario, its failed requests as written and under each profile;
/// `*` marks an outcome that is not the article's (failures where it has none, or none
/// where it has some).
pub fn table(results: &[ScenarioResult]) -> String {
    let own: Vec<&ScenarioResult> = results.iter().filter(|r| !is_profile_run(&r.name)).collect();
    let width = own.iter().map(|r| r.name.len()).max().unwrap_or(8).max(8);
    let mut out = format!("\n{:<width$}  {:<26}", "scenario", "article");
    out.push_str(&format!(" {:>9}", "as set"));
    for p in PROFILES {
        out.push_str(&format!(" {:>13}", p.name));
    }
    out.push('\n');
    for r in own {
        out.push_str(&format!("{:<width$}  {:<26}", r.name, cut(&r.article, 26)));
        out.push_str(&format!(" {:>9}", cell(Some(r))));
        for p in PROFILES {
            let name = format!("{}{AT}{}", r.name, p.name);
            out.push_str(&format!(" {:>13}", cell(results.iter().find(|x| x.name == name))));
        }
        out.push('\n');
    }
    out.push_str("failed requests per run; * = not the article's outcome; - = did not run\n");
    for p in PROFILES {
        out.push_str(&format!("  {}: {}\n", p.name, p.about));
    }
    out
}

fn cell(result: Option<&ScenarioResult>) -> String {
    match result {
        None => "-".into(),
        Some(r) if r.verdict == Verdict::NotReproduced => format!("{}*", r.failed),
        Some(r) => r.failed.to_string(),
    }
}

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut short: String = text.chars().take(width - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::tests::scenario;

    #[test]
    fn all_runs_each_scenario_as_written_and_under_every_profile_longest_lag_first() {
        let runs = expand(vec![scenario("expect: {failed: none}\n")], ALL).unwrap();
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["t@eks-alb", "t@ingress-nginx", "t@haproxy", "t@service", "t"]);
        assert!(runs[0].load.schedule.contains(") const("), "stretched: {}", runs[0].load.schedule);
        assert!(runs[..3].iter().all(|r| is_profile_run(&r.name)));
        assert!(!is_profile_run("t") && !is_profile_run("x@unknown"));
    }

    #[test]
    fn an_unknown_profile_is_refused_with_the_closest_name() {
        let e = expand(vec![], "ingres-nginx").unwrap_err();
        assert!(e.contains("did you mean ingress-nginx?"), "{e}");
        assert!(expand(vec![], "al").unwrap_err().contains("or all"));
    }
}
