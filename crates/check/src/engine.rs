//! Runs the rules over a project, applies `.lameduck-check.toml` and the suppressions, and orders the
//! findings for stable output.
use crate::finding::Finding;
use crate::pods;
use crate::project::Project;
use crate::rules::{self, Ctx};
use crate::settings::RuleSetting;
use crate::source::SourceFile;

/// Runs every enabled rule and returns the findings that are not suppressed, sorted by file and
/// position.
pub fn check(project: &Project) -> Vec<Finding> {
    let pods = pods::pods(project);
    let ctx = Ctx { project, pods: &pods };
    let mut findings = Vec::new();
    for rule in rules::ALL {
        let setting = project.config.rules.get(rule.id).copied();
        if setting == Some(RuleSetting::Off) {
            continue;
        }
        let first = findings.len();
        rule.run(&ctx, &mut findings);
        if let Some(RuleSetting::Severity(severity)) = setting {
            findings[first..].iter_mut().for_each(|f| f.severity = severity);
        }
    }
    findings.retain(|f| !suppressed(project, f));
    findings.sort_by(|a, b| {
        (a.span.file, a.span.start, a.rule).cmp(&(b.span.file, b.span.start, b.rule))
    });
    findings.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
    findings
}

fn suppressed(project: &Project, finding: &Finding) -> bool {
    if let Some(w) = finding.workload {
        if project.objects.workloads[w].ignored.iter().any(|id| id == finding.rule) {
            return true;
        }
    }
    let source = project.sources.get(finding.span.file);
    comment_ignores(source, source.line_col(finding.span.start).line, finding.rule)
}

/// `# lameduck:ignore LD002 reason` (or `; lameduck:ignore …`) on the finding's line, or in the
/// block of comment lines right above it.
fn comment_ignores(source: &SourceFile, line: usize, rule: &str) -> bool {
    let names = |text: &str| {
        text.find("lameduck:ignore").is_some_and(|at| {
            text[at + "lameduck:ignore".len()..]
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|w| !w.is_empty())
                .take_while(|w| w.len() == 5 && w.to_ascii_uppercase().starts_with("LD"))
                .any(|w| w.eq_ignore_ascii_case(rule))
        })
    };
    if names(source.line_text(line)) {
        return true;
    }
    let mut above = line;
    while above > 1 {
        above -= 1;
        let text = source.line_text(above).trim_start();
        if !(text.starts_with('#') || text.starts_with(';')) {
            break;
        }
        if names(text) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_comments() {
        let s = SourceFile::new(
            "x".into(),
            "# lameduck:ignore LD002,LD003 legacy\n# more\nkey\nother # lameduck:ignore LD009\n"
                .into(),
        );
        assert!(comment_ignores(&s, 3, "LD002"));
        assert!(comment_ignores(&s, 3, "LD003"));
        assert!(!comment_ignores(&s, 3, "LD004"));
        assert!(comment_ignores(&s, 4, "LD009"));
        assert!(!comment_ignores(&s, 4, "LD002"));
    }
}
