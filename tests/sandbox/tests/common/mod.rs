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
