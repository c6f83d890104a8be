//! IdentityNow's error answers: `ErrorResponseDto` for most, `{"error":…}` for 401 and
//! `{"message":" Rate Limit Exceeded "}` with `Retry-After` for 429.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::body::BodyError;
use crate::ids::random_hex32;

/// Everything the simulated IdentityNow can answer instead of a result.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IdnError {
    /// 400 with detail code `400.1 Bad Request Content`.
    #[error("{0}")]
    BadRequest(String),
    /// 400 listing every schema violation.
    #[error("{0:?}")]
    Invalid(Vec<String>),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 415.
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// 401 with this `error` text.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 429.
    #[error(" Rate Limit Exceeded ")]
    TooManyRequests {
        /// `Retry-After` seconds.
        retry_after: u64,
    },
    /// An injected failure: status and optional `Retry-After`.
    #[error("injected {0}")]
    Injected(StatusCode, Option<u64>),
}

impl From<BodyError> for IdnError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::UnsupportedMediaType => Self::UnsupportedMediaType,
            BodyError::Malformed(detail) => {
                Self::BadRequest(format!("Unable to parse the request body: {detail}"))
            }
            BodyError::Invalid(violations) => {
                Self::Invalid(violations.iter().map(ToString::to_string).collect())
            }
        }
    }
}

fn error_response_dto(status: StatusCode, detail_code: &str, texts: &[String]) -> Response {
    let messages: Vec<_> = texts
        .iter()
        .map(|text| json!({"locale": "en-US", "localeOrigin": "DEFAULT", "text": text}))
        .collect();
    let body = json!({
        "detailCode": detail_code,
        "trackingId": random_hex32(),
        "messages": messages,
        "causes": [],
    });
    (status, Json(body)).into_response()
}

fn with_retry_after(mut response: Response, seconds: Option<u64>) -> Response {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

impl IntoResponse for IdnError {
    fn into_response(self) -> Response {
        let text = self.to_string();
        match self {
            Self::BadRequest(_) => error_response_dto(
                StatusCode::BAD_REQUEST,
                "400.1 Bad Request Content",
                &[text],
            ),
            Self::Invalid(texts) => {
                error_response_dto(StatusCode::BAD_REQUEST, "400.1 Bad Request Content", &texts)
            }
            Self::NotFound(_) => {
                error_response_dto(StatusCode::NOT_FOUND, "404 Not found", &[text])
            }
            Self::UnsupportedMediaType => error_response_dto(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "415 Unsupported Media Type",
                &[text],
            ),
            Self::Unauthorized(_) => {
                (StatusCode::UNAUTHORIZED, Json(json!({"error": text}))).into_response()
            }
            Self::TooManyRequests { retry_after } => {
                let response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({"message": text})),
                )
                    .into_response();
                with_retry_after(response, Some(retry_after))
            }
            Self::Injected(status, retry_after) => {
                let response = match status {
                    StatusCode::UNAUTHORIZED => (
                        status,
                        Json(json!({"error": "JWT validation failed: JWT is expired"})),
                    )
                        .into_response(),
                    StatusCode::TOO_MANY_REQUESTS => {
                        (status, Json(json!({"message": " Rate Limit Exceeded "}))).into_response()
                    }
                    _ => {
                        let reason = status.canonical_reason().unwrap_or("Error");
                        let code = format!("{} {reason}", status.as_u16());
                        error_response_dto(status, &code, &[reason.to_string()])
                    }
                };
                let retry_after =
                    retry_after.or((status == StatusCode::TOO_MANY_REQUESTS).then_some(1));
                with_retry_after(response, retry_after)
            }
        }
    }
}
