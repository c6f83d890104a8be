//! Resolving names to IdentityNow ids at run time.
//!
//! Identities are found by e-mail (`public-identities`) or employee number (`search`);
//! sources by name; roles, access profiles and entitlements by name (or id) within the mapped
//! source. Hits are cached for a short time, misses not at all, so a role added or renamed in
//! IdentityNow is picked up without touching the connector.

use super::client::IdentityNowClient;
use crate::failure::{Failure, PeerError};
use crate::mapping::{ItemKind, MatchBy};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A resolved access item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessItem {
    /// IdentityNow's id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its kind.
    pub kind: ItemKind,
}

/// Resolves and caches.
pub struct Directory {
    client: IdentityNowClient,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Value)>>,
}

/// SailPoint ids are 32 hexadecimal characters.
pub fn looks_like_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Quotes a value for a SailPoint `filters` expression.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Directory {
    /// A directory over `client`, caching hits for `ttl`.
    pub fn new(client: IdentityNowClient, ttl: Duration) -> Self {
        Directory {
            client,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The identity id for a 4me person's e-mail address or employee number.
    pub async fn identity(&self, by: MatchBy, value: &str) -> Result<String, Failure> {
        let key = format!("identity:{by:?}:{}", value.to_ascii_lowercase());
        let found = self
            .cached(&key, || async {
                match by {
                    MatchBy::Email => {
                        let filter = format!("email eq {}", quoted(value));
                        self.client
                            .get(
                                "/public-identities",
                                &[("filters", filter), ("limit", "2".into())],
                            )
                            .await
                    }
                    MatchBy::EmployeeNumber => {
                        let query = json!({
                            "indices": ["identities"],
                            "query": { "query": format!("employeeNumber:{}", quoted(value)) },
                        });
                        self.client
                            .send(
                                Method::POST,
                                &format!("{}/search", self.client.paths().api),
                                &[("limit", "2".into())],
                                Some(&query),
                            )
                            .await
                    }
                }
            })
            .await?;
        first_id(&found).ok_or_else(|| Failure::UnknownIdentity(describe(by, value)))
    }

    /// The id of the source (application) named `name`.
    pub async fn source(&self, name: &str) -> Result<String, Failure> {
        let key = format!("source:{}", name.to_ascii_lowercase());
        let found = self
            .cached(&key, || async {
                let filter = format!("name eq {}", quoted(name));
                self.client.get("/sources", &[("filters", filter)]).await
            })
            .await?;
        first_id(&found).ok_or_else(|| Failure::UnknownSource(name.into()))
    }

    /// A role, access profile or entitlement by name or id, within `source_id`.
    pub async fn item(
        &self,
        kind: ItemKind,
        name_or_id: &str,
        source: (&str, &str),
    ) -> Result<AccessItem, Failure> {
        let (source_name, source_id) = source;
        let field = if looks_like_id(name_or_id) {
            "id"
        } else {
            "name"
        };
        let by_value = format!("{field} eq {}", quoted(name_or_id));
        let key = format!(
            "item:{kind:?}:{source_id}:{}",
            name_or_id.to_ascii_lowercase()
        );
        let found = self
            .cached(&key, || async {
                match kind {
                    ItemKind::Role => {
                        self.client
                            .get(
                                "/roles",
                                &[("filters", by_value.clone()), ("limit", "2".into())],
                            )
                            .await
                    }
                    ItemKind::AccessProfile => {
                        let filter = format!("{by_value} and source.id eq {}", quoted(source_id));
                        self.client
                            .get("/access-profiles", &[("filters", filter)])
                            .await
                    }
                    ItemKind::Entitlement => {
                        let filter = format!("{by_value} and source.id eq {}", quoted(source_id));
                        let path = format!("{}/entitlements", self.client.paths().entitlements);
                        self.client
                            .send(Method::GET, &path, &[("filters", filter)], None)
                            .await
                    }
                }
            })
            .await?;
        let requestable = found.as_array().and_then(|items| {
            items
                .iter()
                .find(|item| item.get("requestable").and_then(Value::as_bool) != Some(false))
        });
        let unknown = || Failure::UnknownItem {
            kind: kind_text(kind),
            name: name_or_id.into(),
            source_note: match kind {
                ItemKind::Role => String::new(),
                _ => format!(" in {source_name}"),
            },
        };
        let item = requestable.ok_or_else(unknown)?;
        Ok(AccessItem {
            id: item
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(unknown)?
                .into(),
            name: item
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(name_or_id)
                .into(),
            kind,
        })
    }

    /// Returns the cached answer for `key`, or fetches it; empty answers are not cached.
    async fn cached<F, Fut>(&self, key: &str, fetch: F) -> Result<Value, PeerError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Value, PeerError>>,
    {
        if let Some(value) = self.lookup(key) {
            return Ok(value);
        }
        let value = fetch().await?;
        let empty = value.as_array().is_none_or(Vec::is_empty);
        if !empty {
            if let Ok(mut cache) = self.cache.lock() {
                if cache.len() > 10_000 {
                    cache.retain(|_, (at, _)| at.elapsed() < self.ttl);
                }
                cache.insert(key.to_owned(), (Instant::now(), value.clone()));
            }
        }
        Ok(value)
    }

    fn lookup(&self, key: &str) -> Option<Value> {
        let cache = self.cache.lock().ok()?;
        let (at, value) = cache.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }
}

fn first_id(found: &Value) -> Option<String> {
    found
        .as_array()?
        .first()?
        .get("id")?
        .as_str()
        .map(str::to_owned)
}

fn describe(by: MatchBy, value: &str) -> String {
    match by {
        MatchBy::Email => "the e-mail address of the requested-for person".into(),
        MatchBy::EmployeeNumber => format!("employee number {value}"),
    }
}

fn kind_text(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Role => "role",
        ItemKind::AccessProfile => "access profile",
        ItemKind::Entitlement => "entitlement",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_are_escaped() {
        assert_eq!(quoted(r#"Sales "EU" \ team"#), r#""Sales \"EU\" \\ team""#);
    }

    #[test]
    fn ids_are_recognised() {
        assert!(looks_like_id("2c9180835d2e5168015d32f890ca1581"));
        assert!(!looks_like_id("Sales Manager"));
    }
}
