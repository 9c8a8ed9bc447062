//! The `alb` model's target-group settings in `ingress:` (health checks, readiness gate,
//! deregistration delay) and their checks. Defaults are the AWS Load Balancer Controller's
//! annotation defaults (docs/guide/ingress/annotations.md) and the ALB target-group defaults
//! (docs/lab.md quotes both).
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Dur, IngressModel, IngressSpec, Invalid};

/// `deregistration_delay.timeout_seconds`: "By default, Elastic Load Balancing waits 300
/// seconds before completing the deregistration process".
pub const DEFAULT_DEREGISTRATION_DELAY: Dur = Dur::from_millis(300_000);

/// The target group's health check (`alb.ingress.kubernetes.io/healthcheck-*`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "health check settings such as {path: /, interval: 15s, healthyThreshold: 2}",
    deny_unknown_fields,
    rename_all = "camelCase",
    default
)]
pub struct HealthCheck {
    /// `healthcheck-path`, default `/`.
    pub path: String,
    /// `healthcheck-interval-seconds`, default 15.
    pub interval: Dur,
    /// `healthcheck-timeout-seconds`, default 5.
    pub timeout: Dur,
    /// `healthy-threshold-count`, default 2.
    pub healthy_threshold: u32,
    /// `unhealthy-threshold-count`, default 2.
    pub unhealthy_threshold: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        Self {
            path: "/".into(),
            interval: Dur::from_millis(15_000),
            timeout: Dur::from_millis(5_000),
            healthy_threshold: 2,
            unhealthy_threshold: 2,
        }
    }
}

/// Checks the `alb` settings of `ingress:`; the error names the field.
pub(crate) fn check(ingress: &IngressSpec) -> Result<(), Invalid> {
    let alb_only = |field: &str| -> Invalid {
        (
            format!("ingress.{field} is a setting of the `alb` model"),
            Some(format!("{field}:")),
            "remove it, or use `model: alb`".into(),
        )
    };
    if ingress.model != IngressModel::Alb {
        if ingress.health_check.is_some() {
            return Err(alb_only("healthCheck"));
        }
        if ingress.readiness_gate {
            return Err(alb_only("readinessGate"));
        }
    }
    if ingress.readiness_gate && ingress.health_check.is_none() {
        return Err((
            "ingress.readinessGate needs ingress.healthCheck: the gate waits for the target to pass its health checks".into(),
            Some("readinessGate:".into()),
            "add `healthCheck: {}` (the AWS Load Balancer Controller's defaults) or remove readinessGate".into(),
        ));
    }
    let Some(hc) = &ingress.health_check else { return Ok(()) };
    let positive = |field: &str, value: Duration| -> Result<(), Invalid> {
        if value.is_zero() {
            return Err((
                format!("ingress.healthCheck.{field} must be longer than 0"),
                Some(format!("{field}:")),
                format!("e.g. {field}: 1s"),
            ));
        }
        Ok(())
    };
    positive("interval", hc.interval.0)?;
    positive("timeout", hc.timeout.0)?;
    for (field, value) in
        [("healthyThreshold", hc.healthy_threshold), ("unhealthyThreshold", hc.unhealthy_threshold)]
    {
        if !(1..=10).contains(&value) {
            return Err((
                format!("ingress.healthCheck.{field} is {value}; it must be 1 to 10"),
                Some(format!("{field}:")),
                "an ALB accepts 2 to 10 (the lab also takes 1)".into(),
            ));
        }
    }
    if hc.timeout.0 >= hc.interval.0 {
        return Err((
            format!(
                "ingress.healthCheck.timeout ({}) must be shorter than its interval ({})",
                hc.timeout, hc.interval
            ),
            // Either may be a default, so the line is the block's.
            Some("healthCheck".into()),
            "a check must end before the next one starts, as an ALB requires (default timeout 5s)"
                .into(),
        ));
    }
    if !hc.path.starts_with('/') {
        return Err((
            format!("ingress.healthCheck.path `{}` does not start with /", hc.path),
            Some("path:".into()),
            "e.g. path: /healthz".into(),
        ));
    }
    Ok(())
}
