//! The simulated 4me and IdentityNow a run talks to, and the environment that points the
//! real services at them.

use crate::services::log_dir;
use crate::BenchError;
use sandbox::fourme::{FourMe, FourMeConfig, RequestSpec};
use sandbox::identitynow::{IdentityNow, IdentityNowConfig};
use sandbox::seed::{AccessItemKind, Application, Organisation};
use std::collections::BTreeMap;
use std::time::Duration;

/// The demo mapping, which matches the seeded organisation.
const MAPPING_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/mapping.toml");

/// Mapped applications and the kind of item each is mapped to (as in `config/mapping.toml`).
const MAPPED: [(&str, AccessItemKind); 5] = [
    ("Salesforce", AccessItemKind::AccessProfile),
    ("Workday", AccessItemKind::Role),
    ("GitHub Enterprise", AccessItemKind::Entitlement),
    ("Jira Software", AccessItemKind::AccessProfile),
    ("Microsoft 365", AccessItemKind::AccessProfile),
];

/// Whether the simulators enforce the real APIs' rate limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limits {
    /// 4me 20 per 2 s and 3600 per hour; IdentityNow 100 per 10 s.
    Real,
    /// Every call answered at once.
    Off,
}

/// Both simulators, serving one seeded organisation.
pub struct Simulators {
    /// The seed.
    pub org: Organisation,
    /// Simulated 4me.
    pub fourme: FourMe,
    /// Simulated IdentityNow.
    pub identitynow: IdentityNow,
}

impl Simulators {
    /// Starts both on 127.0.0.1. Signed deliveries stay valid for an hour so a pre-signed
    /// pool outlives the run.
    pub async fn start(limits: Limits) -> Result<Self, BenchError> {
        let org = Organisation::generate();
        let mut fourme_config = FourMeConfig {
            jwt_expires_in: Duration::from_secs(3600),
            ..FourMeConfig::default()
        };
        let mut identitynow_config = IdentityNowConfig::default();
        if limits == Limits::Off {
            fourme_config.hourly_limit = None;
            fourme_config.burst_limit = None;
            identitynow_config.rate_limit = None;
        }
        let fourme = FourMe::start(&org, fourme_config).await?;
        let identitynow = IdentityNow::start(&org, identitynow_config).await?;
        Ok(Self {
            org,
            fourme,
            identitynow,
        })
    }

    /// A grant that the connector submits to IdentityNow. For `index` below 1500 each one
    /// asks for a different (person, item) pair, so none is a duplicate of a pending grant.
    pub fn grant(&self, index: usize) -> RequestSpec {
        let identities: Vec<_> = self.org.identities().collect();
        let person = identities[index % identities.len()].fourme_id;
        let round = index / identities.len();
        let (source, kind) = MAPPED[round % MAPPED.len()];
        let app = self.application(source);
        let items: Vec<_> = app.items().filter(|item| item.kind == kind).collect();
        let item = &items[(round / MAPPED.len()) % items.len()].name;
        RequestSpec::grant(person, app.service_instance_id, item).subject("Access, benchmark")
    }

    fn application(&self, source: &str) -> &Application {
        self.org
            .applications
            .iter()
            .find(|app| app.source_name == source)
            .unwrap_or_else(|| panic!("the seed has no application {source}"))
    }

    /// The ingress's environment (besides the common one): RS256 policy of this 4me.
    pub fn ingress_env(&self, port: u16) -> Result<Vec<(&'static str, String)>, BenchError> {
        std::fs::create_dir_all(log_dir())?;
        let key_file = log_dir().join("webhook-policy-public-key.pem");
        std::fs::write(&key_file, sandbox::fourme::PUBLIC_KEY_PEM)?;
        let host = self
            .fourme
            .base_url()
            .trim_start_matches("http://")
            .to_owned();
        Ok(vec![
            ("INGRESS_LISTEN", format!("127.0.0.1:{port}")),
            ("FOURME_ACCOUNT_URL", self.fourme.config().account_url()),
            ("FOURME_JWT_ALG", "RS256".to_owned()),
            ("FOURME_JWT_PUBLIC_KEY_FILE", key_file.display().to_string()),
            (
                "FOURME_JWT_AUDIENCE",
                self.fourme.config().jwt_audience.clone(),
            ),
            ("FOURME_VERIFY_EXTRA_HOSTS", host),
        ])
    }

    /// The dispatcher's environment (besides the common one). With `limits` off its own
    /// client-side limits are off too; otherwise it keeps its defaults.
    pub fn dispatcher_env(&self, port: u16, limits: Limits) -> Vec<(&'static str, String)> {
        let identitynow = self.identitynow.config();
        let mut env = vec![
            ("DISPATCHER_LISTEN", format!("127.0.0.1:{port}")),
            ("MAPPING_FILE", MAPPING_FILE.to_owned()),
            ("FOURME_API_URL", self.fourme.api_url()),
            ("FOURME_ACCOUNT", self.fourme.config().account_id.clone()),
            ("FOURME_API_TOKEN", self.fourme.config().api_token.clone()),
            ("IDN_BASE_URL", self.identitynow.base_url()),
            ("IDN_CLIENT_ID", identitynow.client_id.clone()),
            ("IDN_CLIENT_SECRET", identitynow.client_secret.clone()),
        ];
        if limits == Limits::Off {
            env.push(("IDN_RATE_LIMIT", "off".to_owned()));
            env.push(("FOURME_RATE_LIMIT", "off".to_owned()));
        }
        env
    }

    /// Calls the simulated IdentityNow received for `POST /v3/access-requests`.
    pub fn submissions_seen(&self) -> u64 {
        self.identitynow
            .calls_by_path()
            .get("POST /v3/access-requests")
            .copied()
            .unwrap_or(0)
    }

    /// Calls the simulated 4me served per "METHOD /path", ids replaced by `{id}`.
    pub fn fourme_calls_by_route(&self) -> BTreeMap<String, u64> {
        let mut routes = BTreeMap::new();
        for exchange in self.fourme.exchanges() {
            let path: Vec<&str> = exchange
                .path
                .split('/')
                .map(|part| {
                    if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                        "{id}"
                    } else {
                        part
                    }
                })
                .collect();
            let route = format!("{} {}", exchange.method, path.join("/"));
            *routes.entry(route).or_default() += 1;
        }
        routes
    }
}
