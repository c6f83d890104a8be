//! What every IdentityNow call passes first: fault injection, the bearer token check and the
//! per-client rate limit (100 calls per 10 s by default).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::IdnError;
use super::Shared;
use crate::faults::Injected;

/// Who is calling: the OAuth client the bearer token was issued to. Handlers read it as an
/// `Extension` (`requested-by=me` means "submitted with this client's tokens").
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) client_id: String,
}

/// Middleware in front of every IdentityNow route.
pub(crate) async fn gate(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    let route = format!("{} {}", request.method(), request.uri().path());
    match shared.faults.on_call(route) {
        Some(Injected::Down) => {
            return IdnError::Injected(StatusCode::SERVICE_UNAVAILABLE, None).into_response()
        }
        Some(Injected::Fail {
            status,
            retry_after,
        }) => return IdnError::Injected(status, retry_after).into_response(),
        None => {}
    }
    if request.uri().path() == "/oauth/token" {
        return next.run(request).await;
    }

    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        });
    let Some(token) = bearer else {
        return IdnError::Unauthorized("JWT is required").into_response();
    };
    let Some(client) = shared.tokens.client_of(token) else {
        return IdnError::Unauthorized("JWT validation failed: JWT is expired").into_response();
    };

    if let Some(window) = &shared.rate {
        let admission = window.admit(&client);
        if !admission.allowed {
            let retry_after = admission.retry_after_seconds();
            return IdnError::TooManyRequests { retry_after }.into_response();
        }
    }
    request
        .extensions_mut()
        .insert(Caller { client_id: client });
    next.run(request).await
}
