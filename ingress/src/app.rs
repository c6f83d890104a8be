//! The ingress's shared state and HTTP routes.

use crate::config::IngressConfig;
use crate::metrics::{IngressMetrics, Outcome};
use crate::reply::Reply;
use crate::signature::{SignatureError, VerifiedEvent};
use crate::verify::Verifier;
use crate::{triggers, webhook};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use lapin::BasicProperties;
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
    /// Reads a 4me body: `{"jwt": ...}` when signed, the envelope itself when plain.
    pub fn read_event(&self, body: &[u8]) -> Result<VerifiedEvent, (Outcome, Reply)> {
        let malformed = |reason: &str| {
            (
                Outcome::Malformed,
                Reply::refuse(StatusCode::BAD_REQUEST, reason),
            )
        };
        let json: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| malformed("the body is not JSON"))?;
        let serde_json::Value::Object(mut object) = json else {
            return Err(malformed("the body is not a JSON object"));
        };
        match (object.remove("jwt"), &self.config.policy) {
            (Some(serde_json::Value::String(token)), Some(policy)) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or_default();
                policy.verify(&token, now).map_err(rejected)
            }
            (Some(serde_json::Value::String(_)), None) => {
                Err(rejected(SignatureError::WrongAlgorithm))
            }
            (Some(_), _) => Err(malformed("jwt must be a string")),
            (None, None) => Ok(VerifiedEvent {
                data: serde_json::Value::Object(object),
                jti: None,
            }),
            (None, Some(_)) if self.config.allow_unsigned => Ok(VerifiedEvent {
                data: serde_json::Value::Object(object),
                jti: None,
            }),
            (None, Some(_)) => Err((
                Outcome::Rejected,
                Reply::refuse(
                    StatusCode::UNAUTHORIZED,
                    "unsigned deliveries are not accepted",
                ),
            )),
        }
    }

    /// Publishes an envelope and answers 200 once RabbitMQ confirmed it, 503 otherwise.
    pub async fn store(&self, envelope: &Envelope, source: &str) -> Reply {
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
        match self.broker.publish(&Route::Work, &body, properties).await {
            Ok(()) => {
                tracing::info!(
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
