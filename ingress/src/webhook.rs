//! `POST /webhooks/4me`: verify, filter and store one 4me delivery.
//!
//! The order matters: the body is bounded and parsed, the signature checked, the event
//! filtered, and only then published. The answer is 2xx only after RabbitMQ confirmed the
//! message, so 4me retries anything that was not stored.

use crate::app::AppState;
use crate::metrics::Outcome;
use crate::reply::Reply;
use crate::verify::VerifyError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use shared::envelope::{now_ms, Envelope, Source};
use std::time::Instant;

const SOURCE: &str = "fourme";

/// Delivery-id headers, 4me's name first, then Xurrent's.
const DELIVERY_HEADERS: [&str; 2] = ["x-4me-delivery", "x-xurrent-delivery"];

/// The handler.
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Reply {
    let started = Instant::now();
    let metrics = &state.metrics;
    let body = match state.body(body, SOURCE) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    if !is_json(&headers) {
        metrics.count(SOURCE, Outcome::Malformed);
        return Reply::refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be application/json",
        );
    }

    let event = match state.read_event(&body) {
        Ok(event) => event,
        Err((outcome, reply)) => {
            metrics.count(SOURCE, outcome);
            return reply;
        }
    };
    let head = serde_json::from_str::<Head>(event.data.get()).unwrap_or_default();
    let Some(name) = head.event.clone() else {
        metrics.count(SOURCE, Outcome::Malformed);
        return Reply::refuse(StatusCode::BAD_REQUEST, "not a 4me webhook: no event name");
    };

    if name == "webhook.verify" {
        return verify(&state, &event.data).await;
    }
    if name.starts_with("request.") && !head.names_a_request() {
        metrics.count(SOURCE, Outcome::Malformed);
        return Reply::refuse(
            StatusCode::BAD_REQUEST,
            "a request event needs a positive numeric object_id",
        );
    }
    if !state.config.events.contains(&name) {
        tracing::debug!(event = %name, "4me event not handled; ignored");
        metrics.count(SOURCE, Outcome::Ignored);
        return Reply::ok("ignored");
    }

    let jti = event.jti.filter(|jti| is_usable_id(jti));
    let delivery_id = delivery_id(&headers).or(jti).unwrap_or_else(|| {
        tracing::warn!(event = %name, "no delivery id header and no jti; generated one");
        uuid::Uuid::new_v4().to_string()
    });
    let envelope = Envelope {
        source: Source::Fourme,
        event: name,
        delivery_id,
        received_at_ms: now_ms(),
        data: event.data,
    };
    let reply = state.store(&envelope, SOURCE).await;
    metrics
        .publish_duration
        .observe(started.elapsed().as_secs_f64());
    reply
}

/// The part of a 4me envelope the ingress looks at; the rest is passed on untouched.
#[derive(Default, serde::Deserialize)]
struct Head {
    event: Option<String>,
    object_id: Option<serde_json::Value>,
}

impl Head {
    /// Request events name their request by a positive numeric id.
    fn names_a_request(&self) -> bool {
        self.object_id
            .as_ref()
            .and_then(serde_json::Value::as_u64)
            .is_some_and(|id| id > 0)
    }
}

async fn verify(state: &AppState, data: &serde_json::value::RawValue) -> Reply {
    match state.verifier.verify(data).await {
        Ok(()) => {
            tracing::info!("4me webhook verified");
            state.metrics.count(SOURCE, Outcome::Verified);
            Reply::ok("verified")
        }
        Err(error @ (VerifyError::ForeignHost(_) | VerifyError::NoCallback)) => {
            tracing::warn!(error = %error, "webhook.verify refused");
            state.metrics.count(SOURCE, Outcome::Rejected);
            Reply::refuse(StatusCode::BAD_REQUEST, error.to_string())
        }
        Err(error @ VerifyError::CallbackFailed(_)) => {
            tracing::warn!(error = %error, "webhook.verify callback failed");
            state.metrics.count(SOURCE, Outcome::Unavailable);
            Reply::refuse(StatusCode::BAD_GATEWAY, error.to_string())
        }
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => value
            .to_str()
            .map(|text| {
                text.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            })
            .unwrap_or(false),
    }
}

/// The delivery id 4me sent, if it is usable as an AMQP message id.
fn delivery_id(headers: &HeaderMap) -> Option<String> {
    let value = DELIVERY_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))?;
    match value.to_str() {
        Ok(text) if is_usable_id(text) => Some(text.to_owned()),
        _ => {
            tracing::warn!("unusable delivery id header; using the token id instead");
            None
        }
    }
}

/// True when `id` fits an AMQP message id (a short string, at most 255 bytes) and a log line.
fn is_usable_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 200 && id.bytes().all(|b| b.is_ascii_graphic())
}
