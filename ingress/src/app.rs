//! The ingress's shared state and HTTP routes.

use crate::config::IngressConfig;
use crate::metrics::{IngressMetrics, Outcome};
use crate::reply::Reply;
use crate::signature::{is_object, SignatureError, VerifiedEvent};
use crate::verify::Verifier;
use crate::{triggers, webhook};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use lapin::BasicProperties;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use shared::broker::Broker;
use shared::envelope::Envelope;
use shared::telemetry::health_routes;
use shared::topology::Route;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tower_http::timeout::TimeoutLayer;

/// What every handler needs.
#[derive(Clone)]
pub struct AppState {
    /// The settings.
    pub config: Arc<IngressConfig>,
    /// Where accepted events go.
    pub broker: Broker,
    /// Counters.
    pub metrics: IngressMetrics,
    /// Calls `webhook.verify` callbacks.
    pub verifier: Verifier,
}

impl AppState {
    /// The request body, or the answer when it was too large or unreadable (counted).
    pub fn body(&self, body: Result<Bytes, BytesRejection>, source: &str) -> Result<Bytes, Reply> {
        match body {
            Ok(body) => Ok(body),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                self.metrics.count(source, Outcome::TooLarge);
                Err(Reply::refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the body is over the size limit",
                ))
            }
            Err(rejection) => {
                self.metrics.count(source, Outcome::Malformed);
                Err(Reply::refuse(
                    StatusCode::BAD_REQUEST,
                    rejection.body_text(),
                ))
            }
        }
    }

    /// Reads a 4me body: `{"jwt": ...}` when signed, the envelope itself when plain.
    pub fn read_event(&self, body: &[u8]) -> Result<VerifiedEvent, (Outcome, Reply)> {
        let malformed = |reason: &str| {
            (
                Outcome::Malformed,
                Reply::refuse(StatusCode::BAD_REQUEST, reason),
            )
        };
        let signed: Signed =
            serde_json::from_slice(body).map_err(|error| match error.classify() {
                serde_json::error::Category::Data => malformed("the body is not a JSON object"),
                _ => malformed("the body is not JSON"),
            })?;
        let token = match signed.jwt {
            None => None,
            Some(raw) => Some(
                serde_json::from_str::<String>(raw.get())
                    .map_err(|_| malformed("jwt must be a string"))?,
            ),
        };
        let Some(token) = token else {
            if self.config.policy.is_some() && !self.config.allow_unsigned {
                return Err((
                    Outcome::Rejected,
                    Reply::refuse(
                        StatusCode::UNAUTHORIZED,
                        "unsigned deliveries are not accepted",
                    ),
                ));
            }
            let data: Box<RawValue> = serde_json::from_slice(body)
                .map_err(|_| malformed("the body is not a JSON object"))?;
            return match is_object(&data) {
                true => Ok(VerifiedEvent { data, jti: None }),
                false => Err(malformed("the body is not a JSON object")),
            };
        };
        let Some(policy) = &self.config.policy else {
            return Err(rejected(SignatureError::WrongAlgorithm));
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        policy.verify(&token, now).map_err(rejected)
    }

    /// Publishes an envelope and answers 200 once RabbitMQ confirmed it, 503 otherwise.
    pub async fn store<D: Serialize>(&self, envelope: &Envelope<D>, source: &str) -> Reply {
        let body = match serde_json::to_vec(envelope) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(error = %error, "cannot encode envelope");
                self.metrics.count(source, Outcome::Unavailable);
                return Reply::refuse(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode event");
            }
        };
        let properties = BasicProperties::default()
            .with_message_id(envelope.delivery_id.as_str().into())
            .with_content_type("application/json".into())
            .with_timestamp(u64::try_from(envelope.received_at_ms / 1000).unwrap_or_default());
        // Let the other deliveries that are ready on this worker reach their publish first:
        // lapin then writes them to the socket in a few writes instead of one each, and
        // RabbitMQ takes them in fewer reads and confirms them with fewer `basic.ack`s. Under
        // load that cut the broker's CPU per message by about a sixth (BENCHMARKS.md, change
        // 5); an idle worker resumes at once.
        tokio::task::yield_now().await;
        match self.broker.publish(&Route::Work, &body, properties).await {
            Ok(()) => {
                // Debug, not info: a line per delivery costs a real share of the ingress's CPU
                // at high rates; accepted deliveries are counted, and the dispatcher logs each
                // outcome.
                tracing::debug!(
                    source,
                    event = %envelope.event,
                    delivery_id = %envelope.delivery_id,
                    "event stored"
                );
                self.metrics.count(source, Outcome::Accepted);
                Reply::ok("accepted").with_delivery(&envelope.delivery_id)
            }
            Err(error) => {
                tracing::warn!(error = %error, delivery_id = %envelope.delivery_id, "event not stored; sender will retry");
                self.metrics.count(source, Outcome::Unavailable);
                Reply::refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the event could not be stored; retry later",
                )
            }
        }
    }
}

fn rejected(error: SignatureError) -> (Outcome, Reply) {
    tracing::warn!(error = %error, "4me delivery refused");
    (
        Outcome::Rejected,
        Reply::refuse(StatusCode::UNAUTHORIZED, error.to_string()),
    )
}

/// The one field of a signed 4me body; a plain body has no `jwt` and is the envelope itself.
/// Only an object reads as this struct, so anything else is refused as not a JSON object.
#[derive(Deserialize)]
struct Signed {
    jwt: Option<Box<RawValue>>,
}

/// All routes: the webhooks, health and metrics.
pub fn router(state: AppState) -> Router {
    let broker = state.broker.clone();
    let max_body = state.config.max_body_bytes;
    let deadline = state.config.request_deadline;
    let webhooks = Router::new()
        .route("/webhooks/4me", post(webhook::receive))
        .route("/webhooks/identitynow", post(triggers::receive))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            deadline,
        ))
        .with_state(state.clone());
    webhooks.merge(health_routes(
        state.metrics.registry.clone(),
        Arc::new(move || broker.is_ready()),
    ))
}
