//! Shared helpers for the sandbox's own tests: start a simulator, get a token.

#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

use sandbox::fourme::{FourMe, FourMeConfig};
use sandbox::identitynow::{IdentityNow, IdentityNowConfig};
use sandbox::seed::Organisation;
use serde_json::Value;

/// A started 4me with default settings.
pub async fn fourme(org: &Organisation) -> FourMe {
    fourme_with(org, FourMeConfig::default()).await
}

/// A started 4me with `config`.
pub async fn fourme_with(org: &Organisation, config: FourMeConfig) -> FourMe {
    FourMe::start(org, config)
        .await
        .expect("4me sandbox starts")
}

/// A started IdentityNow with `config`.
pub async fn identitynow_with(org: &Organisation, config: IdentityNowConfig) -> IdentityNow {
    IdentityNow::start(org, config)
        .await
        .expect("IdentityNow sandbox starts")
}

/// A 4me request builder with the right auth headers.
pub fn fourme_call(
    client: &reqwest::Client,
    four: &FourMe,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    client
        .request(method, format!("{}{path}", four.api_url()))
        .bearer_auth(&four.config().api_token)
        .header("X-4me-Account", &four.config().account_id)
}

/// A fresh IdentityNow access token.
pub async fn token(client: &reqwest::Client, idn: &IdentityNow) -> String {
    let answer: Value = client
        .post(format!("{}/oauth/token", idn.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", idn.config().client_id.as_str()),
            ("client_secret", idn.config().client_secret.as_str()),
        ])
        .send()
        .await
        .expect("token call")
        .json()
        .await
        .expect("token JSON");
    answer["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// Submit a grant of `item_id` to `identity` with item-level `clientMetadata`; the new
/// access request id.
pub async fn submit_grant(
    client: &reqwest::Client,
    idn: &IdentityNow,
    token: &str,
    identity: &str,
    item: &sandbox::seed::AccessItem,
    ticket: &str,
) -> String {
    let body = serde_json::json!({
        "requestedFor": [identity],
        "requestType": "GRANT_ACCESS",
        "requestedItems": [{"type": item.kind.as_str(), "id": item.id, "comment": "please",
                            "clientMetadata": {"fourmeRequestId": ticket}}],
    });
    let answer: Value = client
        .post(format!("{}/v3/access-requests", idn.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("submit call")
        .json()
        .await
        .expect("submit JSON");
    answer["newRequests"][0]["accessRequestIds"][0]
        .as_str()
        .expect("a new access request id")
        .to_string()
}

/// `GET /v3/access-request-status?<query>`: status and body.
pub async fn status(
    client: &reqwest::Client,
    idn: &IdentityNow,
    token: &str,
    query: &str,
) -> (reqwest::StatusCode, Value) {
    let answer = client
        .get(format!(
            "{}/v3/access-request-status?{query}",
            idn.base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("status call");
    (answer.status(), answer.json().await.expect("status JSON"))
}

/// The one status item of `access_request_id` (single-item requests only).
pub async fn status_of(
    client: &reqwest::Client,
    idn: &IdentityNow,
    token: &str,
    access_request_id: &str,
) -> Value {
    let query = format!("filters=accessRequestId eq \"{access_request_id}\"");
    let (_, items) = status(client, idn, token, &query).await;
    items[0].clone()
}

/// One trigger invocation as the subscriber saw it.
#[derive(Debug)]
pub struct Received {
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The JSON body.
    pub body: Value,
}

/// A subscriber on 127.0.0.1 that collects every POST it gets.
pub struct TriggerReceiver {
    /// Where to point the subscription.
    pub url: String,
    received: tokio::sync::mpsc::UnboundedReceiver<Received>,
}

impl TriggerReceiver {
    /// Start listening on a free port.
    pub async fn start() -> TriggerReceiver {
        use axum::http::HeaderMap;
        use axum::routing::post;

        let (sender, received) = tokio::sync::mpsc::unbounded_channel();
        let router = axum::Router::new().route(
            "/triggers",
            post(
                move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                    let sender = sender.clone();
                    async move {
                        let authorization = headers
                            .get("authorization")
                            .and_then(|value| value.to_str().ok())
                            .map(str::to_string);
                        let _ = sender.send(Received {
                            authorization,
                            body,
                        });
                        axum::Json(serde_json::json!({}))
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver binds");
        let url = format!("http://{}/triggers", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        TriggerReceiver { url, received }
    }

    /// The next invocation, waiting up to 5 s.
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(std::time::Duration::from_secs(5), self.received.recv())
            .await
            .expect("a trigger within 5 s")
            .expect("receiver open")
    }

    /// Whether nothing arrives within `wait`.
    pub async fn stays_quiet(&mut self, wait: std::time::Duration) -> bool {
        tokio::time::timeout(wait, self.received.recv())
            .await
            .is_err()
    }
}
