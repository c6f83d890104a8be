//! What every 4me API call passes first: fault injection, authentication and rate limits, plus
//! the `x-ratelimit-*` headers on the answer.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::FourMeError;
use super::Shared;
use crate::clock::epoch_seconds;
use crate::faults::Injected;
use crate::window::Admission;

/// Middleware in front of every 4me route.
pub(crate) async fn gate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let route = format!("{} {}", request.method(), request.uri().path());
    match shared.faults.on_call(route) {
        Some(Injected::Down) => {
            return FourMeError::Injected(StatusCode::SERVICE_UNAVAILABLE).into_response()
        }
        Some(Injected::Fail {
            status,
            retry_after,
        }) if status == StatusCode::TOO_MANY_REQUESTS => {
            return FourMeError::TooManyRequests {
                retry_after: retry_after.unwrap_or(1),
            }
            .into_response();
        }
        Some(Injected::Fail { status, .. }) => {
            return FourMeError::Injected(status).into_response()
        }
        None => {}
    }

    // The verify callback is public, like the real one.
    if request.uri().path().starts_with("/webhooks/") {
        return next.run(request).await;
    }
    if let Err(error) = authenticate(&shared, request.headers()) {
        return error.into_response();
    }

    let (allowed, shown) = admit(&shared);
    let mut response = match allowed {
        Ok(()) => next.run(request).await,
        Err(retry_after) => FourMeError::TooManyRequests { retry_after }.into_response(),
    };
    if let Some((limit, admission)) = shown {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
        headers.insert(
            "x-ratelimit-remaining",
            HeaderValue::from(admission.remaining),
        );
        let reset = epoch_seconds() + admission.retry_after_seconds();
        headers.insert("x-ratelimit-reset", HeaderValue::from(reset));
    }
    response
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<(), FourMeError> {
    let bearer = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if bearer != Some(shared.config.api_token.as_str()) {
        return Err(FourMeError::Unauthorized(
            "Not authenticated: missing or invalid token",
        ));
    }
    let account = ["x-4me-account", "x-xurrent-account"]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|value| value.to_str().ok());
    if account != Some(shared.config.account_id.as_str()) {
        return Err(FourMeError::Unauthorized(
            "Not authenticated: unknown account",
        ));
    }
    Ok(())
}

/// Count the call against both limits. Returns whether it may proceed (else the
/// `Retry-After` seconds) and which window the `x-ratelimit-*` headers describe.
fn admit(shared: &Shared) -> (Result<(), u64>, Option<(u32, Admission)>) {
    let token = shared.config.api_token.as_str();
    let burst = shared.burst.as_ref().map(|window| window.admit(token));
    if let Some(admission) = burst.filter(|admission| !admission.allowed) {
        let limit = shared
            .burst
            .as_ref()
            .map(|window| window.rate().limit)
            .unwrap_or_default();
        return (
            Err(admission.retry_after_seconds()),
            Some((limit, admission)),
        );
    }

    let hourly = shared
        .hourly
        .as_ref()
        .map(|window| (window.rate().limit, window.admit(token)));
    match hourly {
        Some((limit, admission)) if !admission.allowed => (
            Err(admission.retry_after_seconds()),
            Some((limit, admission)),
        ),
        Some(shown) => (Ok(()), Some(shown)),
        None => {
            let limit = shared.burst.as_ref().map(|window| window.rate().limit);
            (Ok(()), limit.zip(burst))
        }
    }
}
