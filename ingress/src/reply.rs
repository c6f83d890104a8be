//! The ingress's answers: a status code and a short JSON body saying why.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An answer to a delivery.
pub struct Reply {
    status: StatusCode,
    body: Body,
}

/// `{"status": …, "reason": …, "delivery_id": …}`, the last two only when known.
#[derive(Serialize)]
struct Body {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_id: Option<String>,
}

impl Reply {
    /// 200 with a status word, e.g. `accepted` or `ignored`.
    pub fn ok(status: &'static str) -> Self {
        Reply {
            status: StatusCode::OK,
            body: Body {
                status,
                reason: None,
                delivery_id: None,
            },
        }
    }

    /// An error status with a short, specific reason.
    pub fn refuse(status: StatusCode, reason: impl Into<String>) -> Self {
        Reply {
            status,
            body: Body {
                status: "refused",
                reason: Some(reason.into()),
                delivery_id: None,
            },
        }
    }

    /// Adds the delivery id to the body, so a sender can match the answer.
    pub fn with_delivery(mut self, delivery_id: &str) -> Self {
        self.body.delivery_id = Some(delivery_id.to_owned());
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        // Serialising three strings cannot fail; the fallback only keeps the type honest.
        let body = serde_json::to_vec(&self.body).unwrap_or_else(|_| b"{}".to_vec());
        let content_type = HeaderValue::from_static("application/json");
        (self.status, [(header::CONTENT_TYPE, content_type)], body).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn rendered(reply: Reply) -> (StatusCode, serde_json::Value) {
        let response = reply.into_response();
        let status = response.status();
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = to_bytes(response.into_body(), 1024).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn bodies_carry_only_what_is_known() {
        assert_eq!(
            rendered(Reply::ok("accepted").with_delivery("d-1")).await,
            (
                StatusCode::OK,
                serde_json::json!({"status": "accepted", "delivery_id": "d-1"})
            )
        );
        assert_eq!(
            rendered(Reply::refuse(StatusCode::UNAUTHORIZED, "wrong issuer")).await,
            (
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"status": "refused", "reason": "wrong issuer"})
            )
        );
    }
}
