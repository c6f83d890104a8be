//! The 4me (Xurrent) REST API client: read requests and people, write notes.
//!
//! Every call sends `Authorization: Bearer` and the account header. The base URL decides the
//! brand and region (`https://api.4me.com/v1`, `https://api.xurrent.com/v1`,
//! `https://api.uk.xurrent.com/v1`, QA and demo hosts); the account header is sent under both
//! names, `X-4me-Account` and `X-Xurrent-Account`, so either host family accepts it.

use crate::failure::PeerError;
use crate::peer::{call, PeerLink};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::sync::Arc;

/// Talks to one 4me account.
#[derive(Clone)]
pub struct FourmeClient {
    http: reqwest::Client,
    api_url: String,
    account: String,
    token: SecretString,
    link: Arc<PeerLink>,
}

/// A note on a 4me request as read back.
#[derive(Clone, Debug)]
pub struct Note {
    /// The note's text.
    pub text: String,
}

impl FourmeClient {
    /// A client for `api_url` (e.g. `https://api.4me.com/v1`) and account id.
    pub fn new(
        http: reqwest::Client,
        api_url: &str,
        account: &str,
        token: SecretString,
        link: Arc<PeerLink>,
    ) -> Self {
        FourmeClient {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            account: account.to_owned(),
            token,
            link,
        }
    }

    /// The account id, as put into IdentityNow's `clientMetadata`.
    pub fn account(&self) -> &str {
        &self.account
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.api_url))
            .bearer_auth(self.token.expose_secret())
            .header("X-4me-Account", &self.account)
            .header("X-Xurrent-Account", &self.account)
    }

    /// `GET /requests/{id}`.
    pub async fn request_record(&self, id: u64) -> Result<Value, PeerError> {
        let builder = self.request(reqwest::Method::GET, &format!("/requests/{id}"));
        Ok(call(&self.link, builder).await?.1)
    }

    /// `GET /people/{id}`.
    pub async fn person(&self, id: u64) -> Result<Value, PeerError> {
        let builder = self.request(reqwest::Method::GET, &format!("/people/{id}"));
        Ok(call(&self.link, builder).await?.1)
    }

    /// `GET /requests/{id}/notes`, newest page of 100.
    pub async fn notes(&self, id: u64) -> Result<Vec<Note>, PeerError> {
        let builder = self
            .request(reqwest::Method::GET, &format!("/requests/{id}/notes"))
            .query(&[("per_page", "100")]);
        let (_, body) = call(&self.link, builder).await?;
        Ok(body
            .as_array()
            .map(|notes| {
                notes
                    .iter()
                    .filter_map(|note| note.get("text").and_then(Value::as_str))
                    .map(|text| Note { text: text.into() })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `POST /requests/{id}/notes`: an internal note (visible to the service desk only) or a
    /// public one.
    pub async fn add_note(&self, id: u64, text: &str, internal: bool) -> Result<(), PeerError> {
        let builder = self
            .request(reqwest::Method::POST, &format!("/requests/{id}/notes"))
            .json(&json!({ "text": text, "internal": internal }));
        call(&self.link, builder).await.map(|_| ())
    }

    /// `PATCH /requests/{id}` with the given fields (status, completion reason, team).
    pub async fn update_request(&self, id: u64, fields: &Value) -> Result<(), PeerError> {
        let builder = self
            .request(reqwest::Method::PATCH, &format!("/requests/{id}"))
            .json(fields);
        call(&self.link, builder).await.map(|_| ())
    }
}
