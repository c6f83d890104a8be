//! 4me's error answers: `{"message":…}`, plus `errors: [[field, message]]` on 422.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::body::BodyError;
use crate::contract::{Violation, ViolationKind};

/// Everything the simulated 4me can answer instead of a record.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FourMeError {
    /// Unknown record (or a non-numeric id).
    #[error("Not Found")]
    NotFound,
    /// Missing or wrong token or account header.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Body without `Content-Type: application/json`.
    #[error("Unsupported Media Type")]
    UnsupportedMediaType,
    /// Body that is not JSON.
    #[error("{0}")]
    BadRequest(String),
    /// Body that breaks a field rule: `(field, message)` pairs.
    #[error("Validation Failed")]
    Validation(Vec<(String, String)>),
    /// Rate limit hit.
    #[error("Too Many Requests")]
    TooManyRequests {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// An injected failure with this status.
    #[error("{0}")]
    Injected(StatusCode),
}

impl FourMeError {
    /// A 422 for one field, worded like 4me ("Status is not included in the list").
    pub(crate) fn invalid(field: &str, message: &str) -> Self {
        Self::Validation(vec![(
            field.to_string(),
            format!("{} {message}", humanize(field)),
        )])
    }
}

impl From<BodyError> for FourMeError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::UnsupportedMediaType => Self::UnsupportedMediaType,
            BodyError::Malformed(detail) => Self::BadRequest(format!("Invalid JSON: {detail}")),
            BodyError::Invalid(violations) => {
                Self::Validation(violations.iter().map(pair).collect())
            }
        }
    }
}

fn pair(violation: &Violation) -> (String, String) {
    let rule = match violation.kind {
        ViolationKind::Required => "can't be blank",
        ViolationKind::Enum => "is not included in the list",
        ViolationKind::Unknown => "is not a known field",
        ViolationKind::Type => "is invalid",
        ViolationKind::Other if violation.message.contains("longer than") => {
            "is too long (maximum is 64 KB)"
        }
        ViolationKind::Other if violation.message.contains("shorter than") => "can't be blank",
        ViolationKind::Other => "is invalid",
    };
    let field = if violation.field.is_empty() {
        "base"
    } else {
        &violation.field
    };
    (field.to_string(), format!("{} {rule}", humanize(field)))
}

/// `completion_reason` → `Completion reason`.
fn humanize(field: &str) -> String {
    let spaced = field.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

impl IntoResponse for FourMeError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        match self {
            Self::NotFound => {
                (StatusCode::NOT_FOUND, Json(json!({"message": message}))).into_response()
            }
            Self::Unauthorized(_) => {
                (StatusCode::UNAUTHORIZED, Json(json!({"message": message}))).into_response()
            }
            Self::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Json(json!({"message": message})),
            )
                .into_response(),
            Self::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, Json(json!({"message": message}))).into_response()
            }
            Self::Validation(errors) => {
                let errors: Vec<[String; 2]> = errors.into_iter().map(|(f, m)| [f, m]).collect();
                let body = json!({"message": message, "errors": errors});
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
            Self::TooManyRequests { retry_after } => {
                let body = json!({
                    "message": message,
                    "documentation_url": "https://developer.4me.com/v1/#rate-limiting"
                });
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                response
            }
            Self::Injected(status) => {
                let reason = status.canonical_reason().unwrap_or("Error");
                (status, Json(json!({"message": reason}))).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::humanize;

    #[test]
    fn humanizes_field_names() {
        assert_eq!(humanize("completion_reason"), "Completion reason");
        assert_eq!(humanize("text"), "Text");
    }
}
