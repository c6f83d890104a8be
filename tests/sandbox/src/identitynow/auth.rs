//! `POST /oauth/token` (client credentials) and the bearer tokens it hands out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::json;

use super::Shared;
use crate::clock::epoch_seconds;
use crate::ids::random_hex32;

/// Tokens issued and when each stops working; keyed by the token text.
#[derive(Debug)]
pub(crate) struct Tokens {
    secret: String,
    issued: Mutex<HashMap<String, (String, Instant)>>,
}

impl Tokens {
    /// An empty token table with a fresh signing secret.
    pub(crate) fn new() -> Self {
        Self {
            secret: random_hex32(),
            issued: Mutex::default(),
        }
    }

    fn issue(
        &self,
        client_id: &str,
        lifetime: Duration,
        claims: serde_json::Value,
    ) -> Option<String> {
        let key = EncodingKey::from_secret(self.secret.as_bytes()).ok()?;
        let token = encode(&Header::default(), &claims, &key).ok()?;
        let mut issued = self
            .issued
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        issued.insert(
            token.clone(),
            (client_id.to_string(), Instant::now() + lifetime),
        );
        Some(token)
    }

    /// The client a live token belongs to; `None` when unknown or expired.
    pub(crate) fn client_of(&self, token: &str) -> Option<String> {
        let issued = self
            .issued
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        issued
            .get(token)
            .filter(|(_, expires)| Instant::now() < *expires)
            .map(|(client, _)| client.clone())
    }

    /// Forget every token, so the next call with any of them is a 401.
    pub(crate) fn expire_all(&self) {
        self.issued
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clear();
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// `POST /oauth/token`: parameters from a form body, or from the query string as SailPoint
/// also accepts.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let raw = if is_form {
        body.to_vec()
    } else {
        query.unwrap_or_default().into_bytes()
    };
    let Ok(params) = serde_urlencoded::from_bytes::<HashMap<String, String>>(&raw) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Malformed parameters",
        );
    };

    match params.get("grant_type").map(String::as_str) {
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing grant type",
            )
        }
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Unsupported grant type",
            )
        }
    }
    let config = &shared.config;
    let client_id = params.get("client_id").map(String::as_str);
    let secret = params.get("client_secret").map(String::as_str);
    if client_id != Some(config.client_id.as_str()) || secret != Some(config.client_secret.as_str())
    {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Bad client credentials",
        );
    }

    let now = epoch_seconds();
    let jti = random_hex32();
    let claims = json!({
        "tenant_id": config.tenant_id, "pod": "stg01-useast1", "org": config.org,
        "internal": false, "client_id": config.client_id, "strong_auth_supported": false,
        "scope": ["sp:scopes:all"], "iat": now, "exp": now + config.token_lifetime.as_secs(),
        "jti": jti,
    });
    let Some(access_token) = shared
        .tokens
        .issue(&config.client_id, config.token_lifetime, claims)
    else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Token signing failed",
        );
    };
    Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": config.token_lifetime.as_secs(),
        "scope": "sp:scopes:all",
        "tenant_id": config.tenant_id,
        "pod": "stg01-useast1",
        "strong_auth_supported": false,
        "org": config.org,
        "claims_supported": false,
        "internal": false,
        "jti": jti,
    }))
    .into_response()
}
