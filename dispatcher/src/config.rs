//! The dispatcher's settings, read from the environment and checked at start-up.

use crate::consumer::ConsumerSettings;
use crate::identitynow::client::ApiPaths;
use crate::mapping::Mapping;
use crate::schedule::Schedule;
use crate::throttle::RateLimit;
use secrecy::{ExposeSecret, SecretString};
use shared::broker::BrokerConfig;
use shared::config::{self as env, ConfigError};
use std::time::Duration;
use url::Url;

/// Everything the dispatcher needs to run.
#[derive(Debug)]
pub struct DispatcherConfig {
    /// The broker and topology.
    pub broker: BrokerConfig,
    /// The customer's mapping.
    pub mapping: Mapping,
    /// 4me REST base URL, e.g. `https://api.4me.com/v1`.
    pub fourme_api_url: String,
    /// 4me account id.
    pub fourme_account: String,
    /// 4me API token.
    pub fourme_token: SecretString,
    /// IdentityNow URLs.
    pub identitynow: ApiPaths,
    /// IdentityNow OAuth client id.
    pub identitynow_client_id: String,
    /// IdentityNow OAuth client secret (a PAT's secret).
    pub identitynow_client_secret: SecretString,
    /// Admin API token; `None` turns the admin API off.
    pub admin_token: Option<SecretString>,
    /// Retry schedule.
    pub schedule: Schedule,
    /// Notification webhook URL.
    pub notify_url: Option<String>,
    /// Consumer settings.
    pub consumer: ConsumerSettings,
    /// How long an expired message waits before its "not delivered" note is tried again
    /// when 4me cannot take it.
    pub expiry_retry_delay: Duration,
    /// How long IdentityNow look-ups are cached.
    pub lookup_ttl: Duration,
    /// Client-side limit on calls to IdentityNow.
    pub identitynow_rate_limit: Option<RateLimit>,
    /// Client-side limit on calls to 4me.
    pub fourme_rate_limit: Option<RateLimit>,
    /// Time between polls of IdentityNow's progress.
    pub poll_interval: Duration,
    /// How far back the first poll of a new installation looks.
    pub poll_lookback: Duration,
}

impl DispatcherConfig {
    /// Reads the environment; defaults fit the demo on this machine.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mapping_file = env::string("MAPPING_FILE", "config/mapping.toml");
        let mapping = Mapping::load(&mapping_file)
            .map_err(|error| ConfigError::invalid("MAPPING_FILE", error.to_string()))?;
        let broker = env::broker("connector-dispatcher")?;
        let schedule = Schedule {
            tiers: broker.topology.retry_tiers.clone(),
            window: at_least(
                "RETRY_WINDOW",
                Duration::from_secs(3 * 3600),
                Duration::from_millis(100),
            )?,
            notify_after: env::parsed("NOTIFY_AFTER_ATTEMPTS", 3, |value| {
                value
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| "expected a number of attempts, at least 1".to_string())
            })?,
        };
        let fourme_api_url = url("FOURME_API_URL", "http://127.0.0.1:18081/v1")?;
        let identitynow_url = url("IDN_BASE_URL", "http://127.0.0.1:18082")?;
        let admin_token = env::secret("ADMIN_TOKEN")?;
        if admin_token
            .as_ref()
            .is_some_and(|token| token.expose_secret().len() < 16)
        {
            return Err(ConfigError::invalid(
                "ADMIN_TOKEN",
                "use at least 16 characters",
            ));
        }
        Ok(DispatcherConfig {
            broker,
            mapping,
            fourme_token: credential(&fourme_api_url, "FOURME_API_TOKEN", "sandbox-4me-token")?,
            fourme_api_url,
            fourme_account: env::string("FOURME_ACCOUNT", "example-corp"),
            identitynow_client_secret: credential(
                &identitynow_url,
                "IDN_CLIENT_SECRET",
                "sandbox-secret",
            )?,
            identitynow_client_id: match env::optional("IDN_CLIENT_ID") {
                Some(id) => id,
                None if is_local(&identitynow_url) => "sandbox-client".to_owned(),
                None => {
                    return Err(ConfigError::Missing {
                        name: "IDN_CLIENT_ID".into(),
                    })
                }
            },
            identitynow: ApiPaths {
                base_url: identitynow_url,
                api: env::string("IDN_API_PATH", "/v3"),
                entitlements: env::string("IDN_ENTITLEMENTS_PATH", "/v2025"),
            },
            admin_token,
            schedule,
            notify_url: env::optional("NOTIFY_WEBHOOK_URL")
                .map(|_| url("NOTIFY_WEBHOOK_URL", ""))
                .transpose()?,
            consumer: ConsumerSettings {
                prefetch: env::parsed("PREFETCH", 16, |value| {
                    value
                        .parse()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| "expected a number from 1 to 65535".to_string())
                })?,
                drain_timeout: env::duration("DRAIN_TIMEOUT", Duration::from_secs(20))?,
            },
            expiry_retry_delay: env::duration("EXPIRY_RETRY_DELAY", Duration::from_secs(30))?,
            lookup_ttl: env::duration("LOOKUP_CACHE_TTL", Duration::from_secs(60))?,
            identitynow_rate_limit: rate_limit("IDN_RATE_LIMIT", "95/10s")?,
            fourme_rate_limit: rate_limit("FOURME_RATE_LIMIT", "18/2s")?,
            poll_interval: at_least(
                "POLL_INTERVAL",
                Duration::from_secs(60),
                Duration::from_millis(100),
            )?,
            poll_lookback: env::duration("POLL_LOOKBACK", Duration::from_secs(7 * 86_400))?,
        })
    }
}

/// A duration setting with a lower bound.
fn at_least(name: &str, default: Duration, minimum: Duration) -> Result<Duration, ConfigError> {
    let value = env::duration(name, default)?;
    if value < minimum {
        return Err(ConfigError::invalid(
            name,
            format!(
                "must be at least {}",
                shared::config::format_duration(minimum)
            ),
        ));
    }
    Ok(value)
}

/// True for the loopback addresses the simulators run on.
fn is_local(url: &str) -> bool {
    Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .is_some_and(|host| matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]" | "::1"))
}

/// A secret that must be configured unless `url` points at a simulator on this machine, where
/// the simulator's fixed value is the default.
fn credential(url: &str, name: &str, simulator_value: &str) -> Result<SecretString, ConfigError> {
    match env::secret(name)? {
        Some(secret) => Ok(secret),
        None if is_local(url) => Ok(SecretString::from(simulator_value.to_owned())),
        None => Err(ConfigError::Missing { name: name.into() }),
    }
}

fn rate_limit(name: &str, default: &str) -> Result<Option<RateLimit>, ConfigError> {
    RateLimit::parse(&env::string(name, default))
        .map_err(|reason| ConfigError::invalid(name, reason))
}

fn url(name: &str, default: &str) -> Result<String, ConfigError> {
    let value = env::string(name, default);
    match Url::parse(&value) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(value),
        _ => Err(ConfigError::invalid(
            name,
            format!("{value:?} is not an http(s) URL"),
        )),
    }
}
