//! Everything computed once before the first send: resolved addresses, TLS settings and the
//! serialised bytes of each target's request.
use std::collections::HashMap;

use tokio_rustls::rustls::pki_types::ServerName;

use crate::ammo::Missile;
use crate::client::{tls_connector, Endpoint};
use crate::target::{serialize_request, Scheme, Target, TargetError};
use crate::Plan;

/// One request's bytes and the endpoint they go to.
pub(crate) struct PreparedRequest {
    pub endpoint: usize,
    pub bytes: Vec<u8>,
    /// A HEAD request: its response carries no body whatever its headers say.
    pub head: bool,
    /// The request says `Connection: close`: it goes out on a connection of its own, as a
    /// client without keep-alive sends it, never on one from the idle pool.
    pub fresh_connection: bool,
}

impl PreparedRequest {
    fn new(endpoint: usize, bytes: Vec<u8>, head: bool) -> PreparedRequest {
        let fresh_connection = crate::ammo::declares_close(&bytes);
        PreparedRequest { endpoint, bytes, head, fresh_connection }
    }
}

pub(crate) struct Prepared {
    pub endpoints: Vec<Endpoint>,
    /// Sent round-robin: one per target, or one per ammo request.
    pub requests: Vec<PreparedRequest>,
}

pub(crate) fn prepare(plan: &Plan) -> Result<Prepared, TargetError> {
    let mut endpoints = Vec::new();
    let mut by_authority: HashMap<(Scheme, String, u16), usize> = HashMap::new();
    let mut connector = None;
    let mut requests = Vec::new();
    for target in &plan.targets {
        let key = (target.scheme, target.host.clone(), target.port);
        let endpoint = match by_authority.get(&key) {
            Some(index) => *index,
            None => {
                let addr = target.resolve()?;
                let tls = match target.scheme {
                    Scheme::Http => None,
                    Scheme::Https => {
                        let name = ServerName::try_from(target.host.clone()).map_err(|e| {
                            TargetError::Url {
                                url: target.host.clone(),
                                reason: format!("not a valid TLS server name: {e}"),
                            }
                        })?;
                        let connector =
                            connector.get_or_insert_with(|| tls_connector(plan.insecure)).clone();
                        Some((connector, name))
                    }
                };
                endpoints.push(Endpoint { addr, tls });
                by_authority.insert(key, endpoints.len() - 1);
                endpoints.len() - 1
            }
        };
        let bytes = serialize_request(
            target,
            &plan.method,
            plan.host.as_deref(),
            &plan.headers,
            &plan.body,
            plan.keepalive,
        );
        requests.push(PreparedRequest::new(endpoint, bytes, plan.method == "HEAD"));
    }
    if let Some(first) = plan.targets.first().filter(|_| !plan.ammo.is_empty()) {
        // Ammo requests all go to the first target's server (as Tank's go to its address).
        requests = plan.ammo.iter().map(|missile| ammo_request(plan, first, missile)).collect();
    }
    Ok(Prepared { endpoints, requests })
}

/// An ammo request's bytes: a raw one as it is; otherwise written like a target's request, the
/// ammo's headers replacing the run's of the same name (and its `Host` the host).
fn ammo_request(plan: &Plan, first: &Target, missile: &Missile) -> PreparedRequest {
    match missile {
        Missile::Raw(bytes) => PreparedRequest::new(0, bytes.clone(), crate::ammo::is_head(bytes)),
        Missile::Request { method, uri, headers, body } => {
            let target = Target { path: uri.clone(), ..first.clone() };
            let mut host = plan.host.clone();
            let mut merged: Vec<(String, String)> = plan
                .headers
                .iter()
                .filter(|(name, _)| !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
                .cloned()
                .collect();
            for (name, value) in headers.iter() {
                if name.eq_ignore_ascii_case("host") {
                    host = Some(value.clone());
                } else {
                    merged.push((name.clone(), value.clone()));
                }
            }
            let bytes =
                serialize_request(&target, method, host.as_deref(), &merged, body, plan.keepalive);
            PreparedRequest::new(0, bytes, false)
        }
    }
}
