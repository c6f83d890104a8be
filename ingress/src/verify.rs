//! The `webhook.verify` handshake.
//!
//! When a webhook is created, 4me sends a `webhook.verify` event whose payload holds a
//! `callback` URL; the webhook stays inactive until that URL is called. The ingress calls it
//! only when its host belongs to the configured account, and without following redirects, so
//! the endpoint cannot be used to make this service call arbitrary hosts.

use crate::account::Account;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Why a verify event was not completed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The payload has no usable `callback` URL.
    #[error("the webhook.verify payload has no callback URL")]
    NoCallback,
    /// The callback's host is not one of the account's hosts.
    #[error("the callback host {0:?} does not belong to the configured 4me account")]
    ForeignHost(String),
    /// The callback did not answer 2xx.
    #[error("the verify callback failed: {0}")]
    CallbackFailed(String),
}

/// Calls verify callbacks.
#[derive(Clone)]
pub struct Verifier {
    client: reqwest::Client,
    // Shared: axum clones the state, and with it this, for every request; the account holds
    // some forty host names.
    account: Arc<Account>,
}

impl Verifier {
    /// A verifier for `account`.
    pub fn new(account: Account) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Verifier {
            client,
            account: Arc::new(account),
        }
    }

    /// Completes the handshake for a verify event's `data`.
    pub async fn verify(&self, data: &serde_json::value::RawValue) -> Result<(), VerifyError> {
        let data: serde_json::Value =
            serde_json::from_str(data.get()).map_err(|_| VerifyError::NoCallback)?;
        let callback = data
            .pointer("/payload/callback")
            .and_then(|value| value.as_str())
            .and_then(|text| Url::parse(text).ok())
            .ok_or(VerifyError::NoCallback)?;
        if !self.account.allows_callback(&callback) {
            let host = callback.host_str().unwrap_or_default().to_owned();
            return Err(VerifyError::ForeignHost(host));
        }
        let response = self
            .client
            .get(callback)
            .send()
            .await
            .map_err(|error| VerifyError::CallbackFailed(error.without_url().to_string()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(VerifyError::CallbackFailed(format!(
                "answered {}",
                response.status()
            )))
        }
    }
}
