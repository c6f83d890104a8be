//! The customer's 4me account and the hosts that belong to it.
//!
//! The account is configured by its URL, e.g. `https://example-corp.4me.com`. 4me was renamed
//! Xurrent and both names are live, so the same account is also `example-corp.xurrent.com`, and
//! it may sit in a region (`au`, `uk`, `ch`, `us`) or on a QA, staging or demo domain. A JWT's
//! `iss` must be one of the account's URLs, and a `webhook.verify` callback may only go to one
//! of the account's hosts: the ingress must never be made to call arbitrary hosts.

use url::Url;

const DOMAINS: [&str; 8] = [
    "4me.com",
    "xurrent.com",
    "4me.qa",
    "xurrent.qa",
    "4me-demo.com",
    "xurrent-demo.com",
    "4me-staging.com",
    "xurrent-staging.com",
];
const REGIONS: [&str; 4] = ["au", "uk", "ch", "us"];

/// The 4me account the ingress serves.
#[derive(Clone, Debug)]
pub struct Account {
    /// The account's own hosts, e.g. `example-corp.4me.com` and `example-corp.xurrent.com`.
    hosts: Vec<String>,
    /// Extra `host:port` callback targets allowed over plain HTTP (the simulator, in tests).
    extra_callback_hosts: Vec<String>,
}

/// The account URL could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Not a URL, or not `https://<account>.<4me or xurrent domain>`.
    #[error(
        "must look like https://<account>.4me.com or https://<account>.xurrent.com, got {0:?}"
    )]
    NotAnAccountUrl(String),
}

impl Account {
    /// Reads the account from its URL; `extra_callback_hosts` are `host:port` pairs.
    pub fn from_url(url: &str, extra_callback_hosts: Vec<String>) -> Result<Self, AccountError> {
        let parsed = Url::parse(url).map_err(|_| AccountError::NotAnAccountUrl(url.into()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| AccountError::NotAnAccountUrl(url.into()))?
            .to_ascii_lowercase();
        let (name, rest) = host
            .split_once('.')
            .ok_or_else(|| AccountError::NotAnAccountUrl(url.into()))?;
        let domain_known = DOMAINS.iter().any(|domain| {
            rest == *domain
                || REGIONS
                    .iter()
                    .any(|region| rest == format!("{region}.{domain}"))
        });
        if !domain_known || parsed.scheme() != "https" {
            return Err(AccountError::NotAnAccountUrl(url.into()));
        }
        let mut hosts = Vec::new();
        for domain in DOMAINS {
            hosts.push(format!("{name}.{domain}"));
            for region in REGIONS {
                hosts.push(format!("{name}.{region}.{domain}"));
            }
        }
        Ok(Account {
            hosts,
            extra_callback_hosts,
        })
    }

    /// True when `issuer` is one of the account's URLs (either brand, any region).
    pub fn is_issuer(&self, issuer: &str) -> bool {
        issuer
            .strip_prefix("https://")
            .map(|host| host.trim_end_matches('/').to_ascii_lowercase())
            .is_some_and(|host| self.hosts.contains(&host))
    }

    /// Every issuer the account may sign with, for the JWT validator.
    pub fn issuers(&self) -> Vec<String> {
        self.hosts
            .iter()
            .map(|host| format!("https://{host}"))
            .collect()
    }

    /// True when a verify callback may be called: https to an account host, or an extra host.
    pub fn allows_callback(&self, callback: &Url) -> bool {
        let Some(host) = callback.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        if callback.username() != "" || callback.password().is_some() {
            return false;
        }
        if callback.scheme() == "https" && callback.port().is_none() && self.hosts.contains(&host) {
            return true;
        }
        let with_port = match callback.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        self.extra_callback_hosts.contains(&with_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account::from_url("https://example-corp.4me.com", vec!["127.0.0.1:9".into()]).unwrap()
    }

    #[test]
    fn both_brands_and_regions_are_the_same_account() {
        let account = account();
        assert!(account.is_issuer("https://example-corp.4me.com"));
        assert!(account.is_issuer("https://example-corp.xurrent.com/"));
        assert!(account.is_issuer("https://example-corp.uk.xurrent.com"));
        assert!(account.is_issuer("https://example-corp.4me.qa"));
        assert!(!account.is_issuer("https://other-corp.4me.com"));
        assert!(!account.is_issuer("http://example-corp.4me.com"));
        assert!(!account.is_issuer("https://example-corp.4me.com.evil.test"));
    }

    #[test]
    fn callbacks_only_go_to_account_hosts() {
        let account = account();
        let ok = |url: &str| account.allows_callback(&Url::parse(url).unwrap());
        assert!(ok(
            "https://example-corp.xurrent.com/webhooks/219/verify?code=x"
        ));
        assert!(ok(
            "https://example-corp.au.4me.com/webhooks/1/verify?code=x"
        ));
        assert!(ok("http://127.0.0.1:9/webhooks/1/verify"));
        assert!(!ok("https://evil.test/webhooks/1/verify"));
        assert!(!ok("https://example-corp.4me.com.evil.test/x"));
        assert!(!ok("https://example-corp.4me.com:8443/x"));
        assert!(!ok("https://user:pw@example-corp.4me.com/x"));
        assert!(!ok("http://example-corp.4me.com/x"));
        assert!(!ok("http://127.0.0.1:10/x"));
    }

    #[test]
    fn foreign_account_urls_are_refused() {
        assert!(Account::from_url("https://example.com", vec![]).is_err());
        assert!(Account::from_url("http://example-corp.4me.com", vec![]).is_err());
        assert!(Account::from_url("not a url", vec![]).is_err());
    }
}
