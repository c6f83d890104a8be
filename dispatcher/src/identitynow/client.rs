//! Authorised calls to IdentityNow.
//!
//! SailPoint is moving from `/v3` to per-service `/v1` paths; the API path and the
//! entitlements path (entitlements are not in v3) are configuration, so a tenant can be moved
//! without a new connector. A 401 gets one fresh token and one retry.

use super::token::TokenSource;
use crate::failure::{PeerError, StatusClass};
use crate::peer::{call, PeerLink};
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::Value;
use std::sync::Arc;

/// Where IdentityNow's APIs live.
#[derive(Clone, Debug)]
pub struct ApiPaths {
    /// `https://<tenant>.api.identitynow.com`.
    pub base_url: String,
    /// Path of the main API, `/v3` by default.
    pub api: String,
    /// Path of the entitlements API, `/v2025` by default.
    pub entitlements: String,
}

/// Calls IdentityNow with a valid token.
#[derive(Clone)]
pub struct IdentityNowClient {
    http: reqwest::Client,
    paths: Arc<ApiPaths>,
    tokens: Arc<TokenSource>,
    link: Arc<PeerLink>,
}

impl IdentityNowClient {
    /// A client for `paths` using `tokens`.
    pub fn new(
        http: reqwest::Client,
        paths: ApiPaths,
        tokens: Arc<TokenSource>,
        link: Arc<PeerLink>,
    ) -> Self {
        IdentityNowClient {
            http,
            paths: Arc::new(paths),
            tokens,
            link,
        }
    }

    /// The configured paths.
    pub fn paths(&self) -> &ApiPaths {
        &self.paths
    }

    /// Calls `method` on `url_path` (joined to the base URL) with query and optional JSON body.
    pub async fn send(
        &self,
        method: Method,
        url_path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, PeerError> {
        let url = format!("{}{url_path}", self.paths.base_url.trim_end_matches('/'));
        let mut refreshed = false;
        loop {
            let token = self.tokens.token().await?;
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(token.expose_secret())
                .query(query);
            if let Some(body) = body {
                request = request.json(body);
            }
            match call(&self.link, request).await {
                Err(error)
                    if !refreshed && error.status_class() == Some(StatusClass::Unauthorized) =>
                {
                    tracing::info!("IdentityNow refused the token; fetching a new one");
                    self.tokens.invalidate(&token).await;
                    refreshed = true;
                }
                result => return result.map(|(_, body)| body),
            }
        }
    }

    /// `GET` on the main API.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, PeerError> {
        let url_path = format!("{}{path}", self.paths.api);
        self.send(Method::GET, &url_path, query, None).await
    }

    /// `POST` on the main API.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, PeerError> {
        let url_path = format!("{}{path}", self.paths.api);
        self.send(Method::POST, &url_path, &[], Some(body)).await
    }
}
