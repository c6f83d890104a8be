//! `POST /webhooks/identitynow`: IdentityNow event triggers.
//!
//! IdentityNow's trigger subscriptions authenticate with a static bearer token or basic
//! credentials (it offers no signature). The ingress checks them in constant time, recognises
//! the trigger by its shape, and queues it like any event. Triggers are fire-and-forget and
//! never resent, so the dispatcher treats them as a prompt to look sooner, not as the truth.

use crate::app::AppState;
use crate::config::TriggerCredentials;
use crate::metrics::Outcome;
use crate::reply::Reply;
use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::ExposeSecret;
use shared::envelope::{now_ms, Envelope, Source};

const SOURCE: &str = "identitynow";

/// The handler.
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Reply {
    let metrics = &state.metrics;
    let Some(credentials) = &state.config.trigger_credentials else {
        metrics.count(SOURCE, Outcome::Unauthorized);
        return Reply::refuse(StatusCode::NOT_FOUND, "event triggers are not configured");
    };
    if !authorized(credentials, &headers) {
        tracing::warn!("IdentityNow trigger with missing or wrong credentials");
        metrics.count(SOURCE, Outcome::Unauthorized);
        return Reply::refuse(StatusCode::UNAUTHORIZED, "missing or wrong credentials");
    }
    let body = match state.body(body, SOURCE) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let data: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(data @ serde_json::Value::Object(_)) => data,
        _ => {
            metrics.count(SOURCE, Outcome::Malformed);
            return Reply::refuse(StatusCode::BAD_REQUEST, "the body is not a JSON object");
        }
    };
    let Some(event) = trigger_kind(&data) else {
        metrics.count(SOURCE, Outcome::Malformed);
        return Reply::refuse(StatusCode::BAD_REQUEST, "not a known IdentityNow trigger");
    };
    let envelope = Envelope {
        source: Source::Identitynow,
        event: event.into(),
        delivery_id: uuid::Uuid::new_v4().to_string(),
        received_at_ms: now_ms(),
        data,
    };
    state.store(&envelope, SOURCE).await
}

/// Recognises the two fire-and-forget triggers the connector subscribes to.
fn trigger_kind(data: &serde_json::Value) -> Option<&'static str> {
    if data.get("requestedItemsStatus").is_some() && data.get("accessRequestId").is_some() {
        Some("identitynow.access-request-decision")
    } else if data.get("trackingNumber").is_some() && data.get("accountRequests").is_some() {
        Some("identitynow.provisioning-completed")
    } else {
        None
    }
}

fn authorized(credentials: &TriggerCredentials, headers: &HeaderMap) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    // The scheme is case-insensitive (RFC 9110); the credentials are compared in constant time.
    let Some((scheme, given)) = given.trim().split_once(' ') else {
        return false;
    };
    let (wanted_scheme, expected) = match credentials {
        TriggerCredentials::Bearer(token) => ("Bearer", token.expose_secret().to_owned()),
        TriggerCredentials::Basic { user, password } => {
            let pair = format!("{user}:{}", password.expose_secret());
            ("Basic", STANDARD.encode(pair))
        }
    };
    scheme.eq_ignore_ascii_case(wanted_scheme)
        && verify_slices_are_equal(given.trim().as_bytes(), expected.as_bytes()).is_ok()
}
