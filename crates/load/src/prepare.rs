//! Everything computed once before the first send: resolved addresses, TLS settings and the
//! serialised bytes of each target's request.
use std::collections::HashMap;

use tokio_rustls::rustls::pki_types::ServerName;

use crate::client::{tls_connector, Endpoint};
use crate::target::{serialize_request, Scheme, TargetError};
use crate::Plan;

/// One target's request bytes and the endpoint they go to.
pub(crate) struct PreparedRequest {
    pub endpoint: usize,
    pub bytes: Vec<u8>,
}

pub(crate) struct Prepared {
    pub endpoints: Vec<Endpoint>,
    pub requests: Vec<PreparedRequest>,
    /// HEAD responses carry no body whatever their headers say.
    pub head: bool,
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
        requests.push(PreparedRequest { endpoint, bytes });
    }
    Ok(Prepared { endpoints, requests, head: plan.method == "HEAD" })
}
