//! The ingress's answers: a status code and a short JSON body saying why.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An answer to a delivery.
pub struct Reply {
    status: StatusCode,
    body: serde_json::Value,
}

impl Reply {
    /// 200 with a status word, e.g. `accepted` or `ignored`.
    pub fn ok(status: &str) -> Self {
        Reply {
            status: StatusCode::OK,
            body: json!({ "status": status }),
        }
    }

    /// An error status with a short, specific reason.
    pub fn refuse(status: StatusCode, reason: impl Into<String>) -> Self {
        Reply {
            status,
            body: json!({ "status": "refused", "reason": reason.into() }),
        }
    }

    /// Adds the delivery id to the body, so a sender can match the answer.
    pub fn with_delivery(mut self, delivery_id: &str) -> Self {
        self.body["delivery_id"] = json!(delivery_id);
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
