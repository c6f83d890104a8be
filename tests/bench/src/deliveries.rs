//! Pre-signed 4me webhook deliveries, built before the timed part of a run.
//!
//! The simulated 4me signs them with the webhook policy's throwaway key
//! (`tests/sandbox/fixtures/webhook-policy-private-key.pem`, RS256), each for a request it
//! really holds, so the dispatcher can read that request back.

use crate::simulators::Simulators;
use crate::BenchError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use shared::envelope::{Envelope, Source};

/// One `request.create` delivery, ready to POST.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The 4me request it is about.
    pub request_id: u64,
    /// `{"jwt":"…"}`.
    pub body: Bytes,
    /// The `X-4me-Delivery` header.
    pub delivery_id: String,
}

/// Creates `count` grant requests in the simulated 4me and signs one delivery for each.
pub fn sign(simulators: &Simulators, count: usize) -> Vec<Prepared> {
    (0..count)
        .map(|index| {
            let request_id = simulators.fourme.create_request(simulators.grant(index));
            let delivery = simulators
                .fourme
                .webhook("request.create", request_id, true);
            Prepared {
                request_id,
                body: Bytes::from(delivery.body),
                delivery_id: delivery.delivery_id,
            }
        })
        .collect()
}

impl Prepared {
    /// The whole HTTP request that delivers it to the ingress at `address`.
    pub fn http_post(&self, address: &str) -> Bytes {
        crate::load::http_post(address, "/webhooks/4me", &self.body, &self.delivery_id)
    }
}

/// The body the ingress publishes for `delivery`: its envelope around the token's `data`
/// claim. The ceiling publisher sends this, so both sides store messages of the same size.
pub fn stored_body(delivery: &Prepared) -> Result<Bytes, BenchError> {
    let bad = |what: &str| BenchError::Inconsistent(format!("pre-signed delivery: {what}"));
    let outer: serde_json::Value =
        serde_json::from_slice(&delivery.body).map_err(|_| bad("body is not JSON"))?;
    let token = outer["jwt"].as_str().ok_or_else(|| bad("no jwt"))?;
    let claims = token.split('.').nth(1).ok_or_else(|| bad("not a JWT"))?;
    let claims = URL_SAFE_NO_PAD
        .decode(claims)
        .map_err(|_| bad("claims are not base64url"))?;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&claims).map_err(|_| bad("claims are not JSON"))?;
    let envelope = Envelope {
        source: Source::Fourme,
        event: "request.create".to_owned(),
        delivery_id: delivery.delivery_id.clone(),
        received_at_ms: shared::envelope::now_ms(),
        data: claims["data"].take(),
    };
    serde_json::to_vec(&envelope)
        .map(Bytes::from)
        .map_err(|_| bad("cannot encode the envelope"))
}
