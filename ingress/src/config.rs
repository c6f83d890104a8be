//! The ingress's settings, read from the environment and checked at start-up.

use crate::account::Account;
use crate::signature::{PolicyError, PolicyKey, WebhookPolicy};
use secrecy::SecretString;
use shared::broker::BrokerConfig;
use shared::config::{self as env, ConfigError};
use shared::envelope::FOURME_EVENTS;
use std::time::Duration;

/// Events handled when `FOURME_EVENTS` is not set.
const DEFAULT_EVENTS: &str = "request.create,request.update,request.status-changed,automation_rule";

/// Everything the ingress needs to run.
#[derive(Debug)]
pub struct IngressConfig {
    /// Where to publish.
    pub broker: BrokerConfig,
    /// How 4me deliveries are signed; `None` only when unsigned bodies are allowed.
    pub policy: Option<WebhookPolicy>,
    /// Whether plain (unsigned) 4me bodies are accepted: sandboxes only.
    pub allow_unsigned: bool,
    /// The 4me account (issuers and verify-callback hosts).
    pub account: Account,
    /// 4me events to queue; others are answered 200 and counted as ignored.
    pub events: Vec<String>,
    /// Largest body accepted.
    pub max_body_bytes: usize,
    /// The whole request must be answered within this (4me gives up after 10 s).
    pub request_deadline: Duration,
    /// Credentials IdentityNow sends on event triggers; `None` disables that endpoint.
    pub trigger_credentials: Option<TriggerCredentials>,
}

/// What IdentityNow's trigger subscription is set up to send.
pub enum TriggerCredentials {
    /// `Authorization: Bearer <token>`.
    Bearer(SecretString),
    /// `Authorization: Basic` with this user name and password.
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: SecretString,
    },
}

impl std::fmt::Debug for TriggerCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TriggerCredentials::Bearer(_) => f.write_str("Bearer(..)"),
            TriggerCredentials::Basic { user, .. } => write!(f, "Basic({user}, ..)"),
        }
    }
}

/// Tokio worker threads of the ingress, from `INGRESS_WORKER_THREADS` (default 1, at most 64).
///
/// One worker is the default because it is the fastest on small hosts: it runs on Tokio's
/// single-threaded scheduler, all handlers that are ready at once run back to back, so their
/// publishes reach lapin's I/O thread together and go to RabbitMQ in few writes, and there is
/// no hand-over between workers. Tokio's own `TOKIO_WORKER_THREADS` does not apply to the
/// ingress. One worker verifies and stores well over 10 000 deliveries a second
/// (BENCHMARKS.md), far beyond what a 4me account sends; raise it only when a profile shows
/// the worker saturated.
pub fn worker_threads() -> Result<usize, ConfigError> {
    env::parsed("INGRESS_WORKER_THREADS", 1, parse_worker_threads)
}

fn parse_worker_threads(value: &str) -> Result<usize, String> {
    value
        .parse()
        .ok()
        .filter(|threads| (1..=64).contains(threads))
        .ok_or_else(|| format!("expected a number of threads from 1 to 64, not {value:?}"))
}

impl IngressConfig {
    /// Reads the environment; defaults fit the demo on this machine.
    pub fn from_env() -> Result<Self, ConfigError> {
        let account_url = env::string("FOURME_ACCOUNT_URL", "https://example-corp.4me.com");
        let extra_hosts = env::optional("FOURME_VERIFY_EXTRA_HOSTS")
            .map(|hosts| env::list(&hosts))
            .unwrap_or_default();
        let account = Account::from_url(&account_url, extra_hosts)
            .map_err(|error| ConfigError::invalid("FOURME_ACCOUNT_URL", error.to_string()))?;
        let allow_unsigned = env::boolean("FOURME_ALLOW_UNSIGNED", false)?;
        let policy = policy_from_env(&account)?;
        match (&policy, allow_unsigned) {
            (None, false) => {
                return Err(ConfigError::invalid(
                    "FOURME_JWT_ALG",
                    "no webhook policy configured; set FOURME_JWT_ALG and its key, or \
                     FOURME_ALLOW_UNSIGNED=true for a sandbox",
                ))
            }
            // Either every delivery is signed or none is; both set is a mistake that would
            // quietly accept unsigned deliveries next to signed ones.
            (Some(_), true) => {
                return Err(ConfigError::invalid(
                    "FOURME_ALLOW_UNSIGNED",
                    "a webhook policy (FOURME_JWT_ALG) is configured; unsigned deliveries \
                     cannot be allowed as well",
                ))
            }
            (None, true) | (Some(_), false) => {}
        }
        Ok(IngressConfig {
            broker: env::broker("connector-ingress")?,
            policy,
            allow_unsigned,
            account,
            events: events_from_env()?,
            max_body_bytes: env::parsed("INGRESS_MAX_BODY_BYTES", 256 * 1024, |value| {
                value
                    .parse()
                    .ok()
                    .filter(|bytes| *bytes >= 1024)
                    .ok_or_else(|| "expected a number of bytes, at least 1024".to_string())
            })?,
            request_deadline: env::duration("INGRESS_REQUEST_DEADLINE", Duration::from_secs(9))?,
            trigger_credentials: trigger_credentials_from_env()?,
        })
    }
}

fn events_from_env() -> Result<Vec<String>, ConfigError> {
    let events = env::list(&env::string("FOURME_EVENTS", DEFAULT_EVENTS));
    if events.is_empty() {
        return Err(ConfigError::invalid(
            "FOURME_EVENTS",
            "at least one event is needed",
        ));
    }
    match events
        .iter()
        .find(|event| !FOURME_EVENTS.contains(&event.as_str()))
    {
        Some(unknown) => Err(ConfigError::invalid(
            "FOURME_EVENTS",
            format!("{unknown:?} is not one of {}", FOURME_EVENTS.join(", ")),
        )),
        None => Ok(events),
    }
}

fn policy_from_env(account: &Account) -> Result<Option<WebhookPolicy>, ConfigError> {
    let Some(algorithm) = env::optional("FOURME_JWT_ALG") else {
        return Ok(None);
    };
    let shared_secret = algorithm.to_ascii_uppercase().starts_with("HS");
    let key = if shared_secret {
        PolicyKey::Secret(env::required_secret("FOURME_JWT_SECRET")?)
    } else {
        let pem = match env::optional("FOURME_JWT_PUBLIC_KEY_FILE") {
            Some(path) => std::fs::read_to_string(&path).map_err(|error| {
                ConfigError::invalid("FOURME_JWT_PUBLIC_KEY_FILE", format!("{path}: {error}"))
            })?,
            None => env::optional("FOURME_JWT_PUBLIC_KEY").ok_or(ConfigError::Missing {
                name: "FOURME_JWT_PUBLIC_KEY_FILE".into(),
            })?,
        };
        PolicyKey::PublicKeyPem(pem)
    };
    let audience = env::optional("FOURME_JWT_AUDIENCE");
    WebhookPolicy::new(&algorithm, key, account.clone(), audience)
        .map(Some)
        .map_err(|error| {
            let name = match (&error, shared_secret) {
                (PolicyError::Algorithm(_), _) => "FOURME_JWT_ALG",
                (PolicyError::Key { .. }, true) => "FOURME_JWT_SECRET",
                (PolicyError::Key { .. }, false) => "FOURME_JWT_PUBLIC_KEY_FILE",
            };
            ConfigError::invalid(name, error.to_string())
        })
}

fn trigger_credentials_from_env() -> Result<Option<TriggerCredentials>, ConfigError> {
    if let Some(token) = env::secret("IDN_TRIGGER_TOKEN")? {
        return Ok(Some(TriggerCredentials::Bearer(token)));
    }
    match (
        env::optional("IDN_TRIGGER_USER"),
        env::secret("IDN_TRIGGER_PASSWORD")?,
    ) {
        (Some(user), Some(password)) => Ok(Some(TriggerCredentials::Basic { user, password })),
        (None, None) => Ok(None),
        _ => Err(ConfigError::invalid(
            "IDN_TRIGGER_USER",
            "IDN_TRIGGER_USER and IDN_TRIGGER_PASSWORD go together",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_threads_are_a_small_positive_number() {
        assert_eq!(parse_worker_threads("1"), Ok(1));
        assert_eq!(parse_worker_threads("64"), Ok(64));
        for wrong in ["0", "65", "-1", "two", ""] {
            let error = parse_worker_threads(wrong).unwrap_err();
            assert!(error.contains("from 1 to 64"), "{wrong}: {error}");
        }
    }
}
