//! Recording every request a simulator served together with its answer.

use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Largest request body the simulators read (the real 4me caps webhook bodies well below).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Which simulator served an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// The simulated 4me.
    FourMe,
    /// The simulated IdentityNow.
    IdentityNow,
}

/// One request and the answer it got.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The simulator that answered.
    pub system: System,
    /// HTTP method, upper case.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// The request body: JSON as sent, a form as a JSON object with `client_secret` redacted,
    /// `None` when empty or neither.
    pub request_body: Option<Value>,
    /// Status code answered.
    pub status: u16,
    /// The answer's JSON body, `None` when empty or not JSON.
    pub response_body: Option<Value>,
}

/// The shared list of exchanges of one simulator.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    system: System,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    /// An empty recording for `system`.
    pub(crate) fn new(system: System) -> Self {
        Self {
            system,
            exchanges: Arc::default(),
        }
    }

    /// A copy of everything recorded so far, oldest first.
    pub(crate) fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    fn push(&self, exchange: Exchange) {
        self.exchanges
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push(exchange);
    }
}

/// Middleware: buffer the request and response bodies and record the pair.
pub(crate) async fn record(
    State(recorder): State<Recorder>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let request_body = if is_form {
        form_as_json(&bytes)
    } else {
        json(&bytes)
    };
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;

    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    recorder.push(Exchange {
        system: recorder.system,
        method,
        path,
        query,
        request_body,
        status: parts.status.as_u16(),
        response_body: json(&bytes),
    });
    Response::from_parts(parts, Body::from(bytes))
}

fn json(bytes: &Bytes) -> Option<Value> {
    serde_json::from_slice(bytes).ok()
}

fn form_as_json(bytes: &Bytes) -> Option<Value> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).ok()?;
    let object = pairs
        .into_iter()
        .map(|(key, value)| {
            let value = if key == "client_secret" {
                "[redacted]".to_string()
            } else {
                value
            };
            (key, Value::String(value))
        })
        .collect();
    Some(Value::Object(object))
}
