//! The dispatcher's admin API as its page calls it: list held requests, resend one or all.

use serde_json::Value;

/// Calls the admin API of one dispatcher.
pub struct AdminApi<'a> {
    /// The dispatcher's base URL.
    pub url: &'a str,
    /// The HTTP client.
    pub http: &'a reqwest::Client,
}

/// A status and the JSON body.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl AdminApi<'_> {
    /// `GET /admin/api/held` with this bearer token, or none.
    pub async fn held(&self, token: Option<&str>) -> Answer {
        let request = self.http.get(format!("{}/admin/api/held", self.url));
        answer(request, token).await
    }

    /// The held messages, with the right token.
    pub async fn listing(&self) -> Vec<Value> {
        let answer = self.held(Some(crate::support::ADMIN_TOKEN)).await;
        assert_eq!(answer.status, 200, "listing: {}", answer.body);
        answer.body["held"].as_array().cloned().unwrap_or_default()
    }

    /// `POST /admin/api/held/{message_id}/resend`.
    pub async fn resend(&self, message_id: &str, token: Option<&str>) -> Answer {
        let request = self
            .http
            .post(format!("{}/admin/api/held/{message_id}/resend", self.url));
        answer(request, token).await
    }

    /// `POST /admin/api/held/resend-all`.
    pub async fn resend_all(&self, token: Option<&str>) -> Answer {
        let request = self
            .http
            .post(format!("{}/admin/api/held/resend-all", self.url));
        answer(request, token).await
    }
}

async fn answer(request: reqwest::RequestBuilder, token: Option<&str>) -> Answer {
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = request.send().await.expect("dispatcher reachable");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}
