//! The rules. One file per rule; each declares itself with [`declare_rule!`], whose doc comment is
//! the rule's documentation: `lameduck check --explain ID` prints it and `docs/rules.md` is
//! generated from it.
use crate::finding::{Finding, Severity};
use crate::pods::PodView;
use crate::project::Project;
use crate::source::Span;

/// What a rule sees: the parsed project and the per-pod analysis.
pub struct Ctx<'a> {
    pub project: &'a Project,
    pub pods: &'a [PodView<'a>],
}

/// Collects one rule's findings.
pub struct Sink<'r> {
    rule: &'static Rule,
    pub(crate) findings: &'r mut Vec<Finding>,
}

impl Sink<'_> {
    /// Reports a finding at `span`.
    pub fn report(&mut self, span: Span, message: impl Into<String>) -> &mut Finding {
        self.findings.push(Finding {
            rule: self.rule.id,
            severity: self.rule.severity,
            message: message.into(),
            span,
            related: Vec::new(),
            workload: None,
        });
        self.findings.last_mut().expect("just pushed")
    }

    /// Reports a finding that belongs to a workload (so its ignore annotation applies).
    pub fn report_in(
        &mut self,
        pod: &PodView<'_>,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Finding {
        let finding = self.report(span, message);
        finding.workload = Some(pod.index);
        finding
    }
}

impl Finding {
    /// Adds a secondary location.
    pub fn with(&mut self, span: Option<Span>, label: impl Into<String>) -> &mut Finding {
        if let Some(span) = span {
            self.related.push((span, label.into()));
        }
        self
    }
}

/// A rule: identity, default severity, documentation and the check itself.
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// The rule's doc comment, as written (one leading space per line removed by [`Rule::doc`]).
    pub raw_doc: &'static str,
    pub check: fn(&Ctx<'_>, &mut Sink<'_>),
}

impl Rule {
    /// The documentation in Markdown.
    pub fn doc(&self) -> String {
        self.raw_doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }

    /// The first sentence of the documentation.
    pub fn summary(&self) -> String {
        self.doc().lines().next().unwrap_or("").trim_end_matches('.').to_string()
    }

    /// Runs the rule.
    pub fn run(&'static self, ctx: &Ctx<'_>, findings: &mut Vec<Finding>) {
        (self.check)(ctx, &mut Sink { rule: self, findings });
    }
}

/// Declares a rule whose doc comment is kept as a `&'static str`.
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* pub static $ident:ident = { id: $id:literal, name: $name:literal, severity: $sev:ident, check: $check:path $(,)? };) => {
        $(#[doc = $doc])*
        pub static $ident: $crate::rules::Rule = $crate::rules::Rule {
            id: $id,
            name: $name,
            severity: $crate::finding::Severity::$sev,
            raw_doc: concat!($($doc, "\n"),*),
            check: $check,
        };
    };
}

mod alb;
mod ld001_images;
mod ld001_sigterm_stop_signal;
mod ld002_fpm_process_control_timeout;
mod ld002_images;
mod ld003_missing_prestop_delay;
mod ld004_quit_without_delay;
mod ld005_fpm_stops_before_nginx;
mod ld006_grace_period_exceeded;
mod ld007_prestop_binary_missing;
mod ld008_shell_pid1;
mod ld009_supervisord_stopsignal;
mod ld010_supervisord_stopwaitsecs;
mod ld011_supervisord_stop_order;
mod ld012_missing_readiness_probe;
mod ld013_request_terminate_timeout;
mod ld014_lameduck_flags;
mod ld015_alb_deregistration_delay;
mod ld016_mistyped_kill;
mod ld017_alb_keepalive;
mod ld018_distro_nginx_stopsignal;
mod ld019_s6_stop_signal;
mod ld020_entrypoint_without_exec;
mod ld021_apache_stop_signal;
mod ld022_unbounded_graceful_stop;
mod ld023_aws_lb_grace_period;
mod packages;

/// Every rule, in ID order.
pub static ALL: &[&Rule] = &[
    &ld001_sigterm_stop_signal::RULE,
    &ld002_fpm_process_control_timeout::RULE,
    &ld003_missing_prestop_delay::RULE,
    &ld004_quit_without_delay::RULE,
    &ld005_fpm_stops_before_nginx::RULE,
    &ld006_grace_period_exceeded::RULE,
    &ld007_prestop_binary_missing::RULE,
    &ld008_shell_pid1::RULE,
    &ld009_supervisord_stopsignal::RULE,
    &ld010_supervisord_stopwaitsecs::RULE,
    &ld011_supervisord_stop_order::RULE,
    &ld012_missing_readiness_probe::RULE,
    &ld013_request_terminate_timeout::RULE,
    &ld014_lameduck_flags::RULE,
    &ld015_alb_deregistration_delay::RULE,
    &ld016_mistyped_kill::RULE,
    &ld017_alb_keepalive::RULE,
    &ld018_distro_nginx_stopsignal::RULE,
    &ld019_s6_stop_signal::RULE,
    &ld020_entrypoint_without_exec::RULE,
    &ld021_apache_stop_signal::RULE,
    &ld022_unbounded_graceful_stop::RULE,
    &ld023_aws_lb_grace_period::RULE,
];

/// Whether `id` (`LD003`) names a rule.
pub fn is_rule(id: &str) -> bool {
    by_id(id).is_some()
}

/// Looks a rule up by ID (case-insensitive).
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id.eq_ignore_ascii_case(id))
}

/// Renders `docs/rules.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "# lameduck check rules\n\n<!-- Generated by scripts/gen-rules-docs from the rules' doc comments. Do not edit. -->\n\n| ID | Name | Severity | Summary |\n|---|---|---|---|\n",
    );
    for rule in ALL {
        out.push_str(&format!(
            "| [{id}](#{lower}) | `{name}` | {sev} | {summary} |\n",
            id = rule.id,
            lower = rule.id.to_ascii_lowercase(),
            name = rule.name,
            sev = rule.severity.as_str(),
            summary = rule.summary().replace('|', "\\|"),
        ));
    }
    for rule in ALL {
        out.push_str(&format!(
            "\n## {}\n\n`{}` · default severity: {}\n\n{}\n",
            rule.id,
            rule.name,
            rule.severity.as_str(),
            rule.doc()
        ));
    }
    out.push_str(&images_markdown());
    out
}

/// The image knowledge table behind LD001, LD002 and LD021, each row with the Dockerfile it was
/// read from, so a reader can check it.
fn images_markdown() -> String {
    let mut out = String::from(
        "\n## The images lameduck knows\n\nThe stop signal of an image no scanned Dockerfile \
         builds comes from this table.\n\n| Images | STOPSIGNAL | Source |\n|---|---|---|\n",
    );
    for image in crate::image::KNOWN {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            image.about.replace('|', "\\|"),
            image.signal,
            image.source
        ));
    }
    out
}
