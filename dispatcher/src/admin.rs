//! The admin API and page: list held messages, resend one or all with a fresh window, and
//! show the last delivery failures.
//!
//! Every `/admin/api` call needs `Authorization: Bearer <ADMIN_TOKEN>`; without a configured
//! token the API is off. The page itself holds no data: it asks for the token and calls the API.

use crate::held::{browse, HeldError};
use crate::metrics::DispatcherMetrics;
use crate::recent_failures::RecentFailures;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use shared::broker::Broker;
use std::sync::Arc;

#[derive(Clone)]
struct Admin {
    broker: Broker,
    token: Option<Arc<SecretString>>,
    metrics: DispatcherMetrics,
    recent_failures: Arc<RecentFailures>,
}

/// The admin routes.
pub fn routes(
    broker: Broker,
    token: Option<SecretString>,
    metrics: DispatcherMetrics,
    recent_failures: Arc<RecentFailures>,
) -> Router {
    let admin = Admin {
        broker,
        token: token.map(Arc::new),
        metrics,
        recent_failures,
    };
    Router::new()
        .route("/admin", get(|| async { Html(include_str!("admin.html")) }))
        .route("/admin/api/held", get(list))
        .route("/admin/api/held/resend-all", post(resend_all))
        .route("/admin/api/held/{message_id}/resend", post(resend_one))
        .route("/admin/api/failures", get(failures))
        .with_state(admin)
}

async fn list(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if let Some(refusal) = admin.refusal(&headers) {
        return refusal;
    }
    match browse(&admin.broker, |_| false).await {
        Ok((held, _)) => Json(json!({ "held": held })).into_response(),
        Err(error) => unavailable(error),
    }
}

async fn failures(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if let Some(refusal) = admin.refusal(&headers) {
        return refusal;
    }
    Json(json!({ "failures": admin.recent_failures.newest_first() })).into_response()
}

async fn resend_one(
    State(admin): State<Admin>,
    Path(message_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = admin.refusal(&headers) {
        return refusal;
    }
    match browse(&admin.broker, |id| id == message_id).await {
        Ok((_, 0)) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no held message with that id" })),
        )
            .into_response(),
        Ok((_, resent)) => admin.resent(resent),
        Err(error) => unavailable(error),
    }
}

async fn resend_all(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if let Some(refusal) = admin.refusal(&headers) {
        return refusal;
    }
    match browse(&admin.broker, |_| true).await {
        Ok((_, resent)) => admin.resent(resent),
        Err(error) => unavailable(error),
    }
}

impl Admin {
    /// The answer to a call without the right token; `None` lets the call through.
    fn refusal(&self, headers: &HeaderMap) -> Option<Response> {
        let Some(token) = &self.token else {
            return Some(
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({ "error": "the admin API is off: set ADMIN_TOKEN" })),
                )
                    .into_response(),
            );
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
            .map(|(_, token)| token.trim())
            .unwrap_or_default();
        if constant_time_eq(given.as_bytes(), token.expose_secret().as_bytes()) {
            None
        } else {
            Some(
                (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({ "error": "missing or wrong admin token" })),
                )
                    .into_response(),
            )
        }
    }

    fn resent(&self, count: usize) -> Response {
        tracing::info!(count, "held messages resent from the admin API");
        self.metrics
            .resent
            .with_label_values(&["admin"])
            .inc_by(count as u64);
        Json(json!({ "resent": count })).into_response()
    }
}

fn unavailable(error: HeldError) -> Response {
    tracing::warn!(error = %error, "admin API could not read the hold queue");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "error": error.to_string() })),
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
