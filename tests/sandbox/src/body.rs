//! Strict JSON request bodies: the right content type, well-formed JSON, and a schema match.

use axum::body::Bytes;
use axum::http::{header, HeaderMap};
use serde_json::Value;

use crate::contract::{check, Schema, Violation};

/// Why a body was refused; each simulator renders this in its own error shape.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// `Content-Type` missing or not `application/json`.
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// The bytes are not JSON.
    #[error("malformed JSON: {0}")]
    Malformed(String),
    /// JSON, but not what the schema allows.
    #[error("{} schema violation(s)", .0.len())]
    Invalid(Vec<Violation>),
}

/// Parse and validate a JSON body against `schema`.
pub(crate) fn json_body(
    headers: &HeaderMap,
    bytes: &Bytes,
    schema: Schema,
) -> Result<Value, BodyError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(BodyError::UnsupportedMediaType);
    }

    let value: Value =
        serde_json::from_slice(bytes).map_err(|error| BodyError::Malformed(error.to_string()))?;
    check(schema, &value).map_err(BodyError::Invalid)?;
    Ok(value)
}
