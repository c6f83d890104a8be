//! Building webhook deliveries exactly as 4me sends them, optionally signed by a webhook
//! policy (RS256, the throwaway key pair in `fixtures/`).

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::FourMeConfig;
use crate::clock::epoch_seconds;
use crate::ids::{node_id, random_hex32};

/// The webhook policy's private key (throwaway, for tests only).
const PRIVATE_KEY_PEM: &str = include_str!("../../fixtures/webhook-policy-private-key.pem");

/// The webhook policy's public key, for receivers to verify signed deliveries.
pub const PUBLIC_KEY_PEM: &str = include_str!("../../fixtures/webhook-policy-public-key.pem");

/// One webhook POST as 4me would send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The body: the envelope JSON, or `{"jwt":"…"}` when signed.
    pub body: String,
    /// The `X-4me-Delivery` header value (a UUID).
    pub delivery_id: String,
    /// The `Content-Type` header value.
    pub content_type: String,
}

impl Delivery {
    /// Every header 4me sends with the delivery.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Content-Type", self.content_type.clone()),
            ("X-4me-Delivery", self.delivery_id.clone()),
            (
                "User-Agent",
                "4me/1.0 (https://developer.4me.com/v1/webhooks/)".to_string(),
            ),
        ]
    }
}

/// Why a delivery could not be built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SignError {
    /// The embedded key or the claims could not be encoded.
    #[error("signing the webhook failed: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

/// The envelope of §1 of the 4me brief for `event` on object `object_id`.
pub(crate) fn envelope(
    config: &FourMeConfig,
    event: &str,
    object_id: u64,
    object_kind: &str,
    payload: Value,
) -> Value {
    let (person_id, person_name) = super::store::API_USER;
    json!({
        "webhook_id": config.webhook_id,
        "webhook_nodeID": node_id("Webhook", config.webhook_id),
        "account_id": config.account_id,
        "account": config.account_url(),
        "name": "SailPoint connector",
        "event": event,
        "object_id": object_id,
        "object_nodeID": node_id(object_kind, object_id),
        "person_id": person_id,
        "person_nodeID": node_id("Person", person_id),
        "person_name": person_name,
        "payload": payload,
    })
}

/// Wrap an envelope into a delivery, signed or not.
pub(crate) fn deliver(
    config: &FourMeConfig,
    envelope: Value,
    signed: bool,
) -> Result<Delivery, SignError> {
    let body = if signed {
        let now = epoch_seconds();
        let claims = json!({
            "data": envelope,
            "iss": config.account_url(),
            "sub": config.webhook_id.to_string(),
            "aud": config.jwt_audience,
            "jti": random_hex32(),
            "iat": now,
            "nbf": now,
            "exp": now + config.jwt_expires_in.as_secs(),
        });
        let key = EncodingKey::from_rsa_pem(PRIVATE_KEY_PEM.as_bytes())?;
        let jwt = encode(&Header::new(Algorithm::RS256), &claims, &key)?;
        json!({"jwt": jwt}).to_string()
    } else {
        envelope.to_string()
    };
    Ok(Delivery {
        body,
        delivery_id: uuid::Uuid::new_v4().to_string(),
        content_type: "application/json; charset=utf-8".to_string(),
    })
}
