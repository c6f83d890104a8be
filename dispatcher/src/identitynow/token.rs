//! OAuth client-credentials tokens for IdentityNow.
//!
//! A token is fetched from `/oauth/token`, kept until 80 % of its `expires_in` has passed, and
//! fetched again then, or at once after a 401 (see [`TokenSource::invalidate`]). Concurrent
//! callers share one fetch.

use crate::failure::{Peer, PeerError};
use crate::peer::{call, PeerLink};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

/// Hands out a valid access token.
pub struct TokenSource {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    cached: Mutex<Option<Cached>>,
    link: Arc<PeerLink>,
}

impl TokenSource {
    /// A source for the tenant at `base_url`.
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        client_id: String,
        client_secret: SecretString,
        link: Arc<PeerLink>,
    ) -> Self {
        TokenSource {
            http,
            token_url: format!("{}/oauth/token", base_url.trim_end_matches('/')),
            client_id,
            client_secret,
            cached: Mutex::new(None),
            link,
        }
    }

    /// A token that is not near its expiry.
    pub async fn token(&self) -> Result<SecretString, PeerError> {
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref() {
            if Instant::now() < current.refresh_at {
                return Ok(current.token.clone());
            }
        }
        let fresh = self.fetch().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Forgets `token` after IdentityNow refused it, unless a newer one is already cached.
    pub async fn invalidate(&self, token: &SecretString) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|current| current.token.expose_secret() == token.expose_secret())
        {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<Cached, PeerError> {
        let request = self.http.post(&self.token_url).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
        ]);
        let (_, body) = call(&self.link, request).await?;
        let unreadable = |detail: &str| PeerError::Unreadable {
            peer: Peer::IdentityNow,
            detail: detail.into(),
        };
        let token = body
            .get("access_token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| unreadable("the token answer has no access_token"))?;
        let lifetime = body
            .get("expires_in")
            .and_then(|e| e.as_u64())
            .unwrap_or(300);
        let refresh_after = Duration::from_millis(lifetime * 800);
        tracing::debug!(lifetime_s = lifetime, "fetched IdentityNow token");
        Ok(Cached {
            token: SecretString::from(token.to_owned()),
            refresh_at: Instant::now() + refresh_after,
        })
    }
}
