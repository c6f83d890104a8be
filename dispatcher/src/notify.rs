//! The optional notification webhook: a generic JSON POST at each delivery stage (failing,
//! held, expired), for a chat or mail relay. Best effort: a failure is logged, never retried,
//! because the 4me note and the metrics carry the same news.

use serde::Serialize;
use std::time::Duration;

/// One notification.
#[derive(Debug, Serialize)]
pub struct Notice<'a> {
    /// `failing`, `held` or `expired`.
    pub stage: &'a str,
    /// The 4me account.
    pub fourme_account: &'a str,
    /// The 4me request, when known.
    pub fourme_request_id: Option<u64>,
    /// Why.
    pub reason: &'a str,
    /// Failed attempts so far.
    pub attempts: u32,
    /// A human sentence.
    pub summary: String,
}

/// Sends notices to the configured URL, if any.
#[derive(Clone)]
pub struct Notifier {
    http: reqwest::Client,
    url: Option<String>,
}

impl Notifier {
    /// A notifier; `url` of `None` sends nothing.
    pub fn new(http: reqwest::Client, url: Option<String>) -> Self {
        Notifier { http, url }
    }

    /// Sends one notice.
    pub async fn send(&self, notice: &Notice<'_>) {
        let Some(url) = &self.url else {
            return;
        };
        let sent = self
            .http
            .post(url)
            .timeout(Duration::from_secs(5))
            .json(notice)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => {
                tracing::warn!(
                    status = response.status().as_u16(),
                    stage = notice.stage,
                    "notification webhook refused"
                );
            }
            Err(error) => {
                tracing::warn!(error = %error.without_url(), stage = notice.stage, "notification webhook failed");
            }
        }
    }
}
