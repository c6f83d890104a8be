//! The simulated 4me (Xurrent): REST API under `/v1`, webhook deliveries built on demand, and
//! the public verify callback.
//!
//! Tests drive it through [`FourMe`]: create requests, build the webhook deliveries 4me would
//! send for them, read back the notes and status changes the connector made, and inject
//! faults. See `api` for the endpoints, `gate` for authentication and rate limits, `store` for
//! the state and `webhook` for deliveries.

mod api;
mod error;
mod gate;
mod request;
mod store;
mod webhook;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::contract::{self, Exchange, Recorder, System};
use crate::faults::Faults;
use crate::seed::Organisation;
use crate::server::Running;
use crate::window::{FixedWindow, RateLimit};

pub use request::{CustomField, RequestSpec};
pub use store::{Note, StatusChange};
pub use webhook::{Delivery, PUBLIC_KEY_PEM};

use store::Store;

/// How to run the simulated 4me.
#[derive(Debug, Clone)]
pub struct FourMeConfig {
    /// Address to listen on: 127.0.0.1 unless a container must be reachable from outside.
    pub bind_address: IpAddr,
    /// Port on `bind_address`; 0 picks a free one.
    pub port: u16,
    /// Account id expected in `X-4me-Account` / `X-Xurrent-Account`.
    pub account_id: String,
    /// Personal access token expected as `Authorization: Bearer …`.
    pub api_token: String,
    /// Per-user limit per hour (4me's example is 3600); `None` switches it off.
    pub hourly_limit: Option<u32>,
    /// Short-burst limit (20 per 2 s); `None` switches it off.
    pub burst_limit: Option<RateLimit>,
    /// Id of the webhook the deliveries come from.
    pub webhook_id: u64,
    /// `aud` claim of signed deliveries.
    pub jwt_audience: String,
    /// `exp` - `iat` of signed deliveries.
    pub jwt_expires_in: Duration,
}

impl Default for FourMeConfig {
    fn default() -> Self {
        Self {
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            account_id: "example-corp".to_string(),
            api_token: "sandbox-4me-token".to_string(),
            hourly_limit: Some(3600),
            burst_limit: Some(RateLimit {
                limit: 20,
                period: Duration::from_secs(2),
            }),
            webhook_id: 41,
            jwt_audience: "sailpoint-connector".to_string(),
            jwt_expires_in: Duration::from_secs(300),
        }
    }
}

impl FourMeConfig {
    /// The account URL, `https://<account>.4me.com`; also the `iss` of signed deliveries.
    pub fn account_url(&self) -> String {
        format!("https://{}.4me.com", self.account_id)
    }
}

/// State shared by the handlers and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    config: FourMeConfig,
    store: Mutex<Store>,
    faults: Faults,
    hourly: Option<FixedWindow>,
    burst: Option<FixedWindow>,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// A running simulated 4me. Dropping it stops the server.
#[derive(Debug)]
pub struct FourMe {
    shared: Arc<Shared>,
    recorder: Recorder,
    running: Running,
}

impl FourMe {
    /// Start serving `org` on `config.bind_address` with `config`.
    pub async fn start(org: &Organisation, config: FourMeConfig) -> std::io::Result<FourMe> {
        let hour = Duration::from_secs(3600);
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new(org.clone(), config.account_id.clone())),
            faults: Faults::default(),
            hourly: config.hourly_limit.map(|limit| {
                FixedWindow::new(RateLimit {
                    limit,
                    period: hour,
                })
            }),
            burst: config.burst_limit.map(FixedWindow::new),
            config,
        });
        let recorder = Recorder::new(System::FourMe);
        let router = Router::new()
            .route(
                "/v1/requests/{id}",
                get(api::get_request)
                    .patch(api::patch_request)
                    .put(api::patch_request),
            )
            .route(
                "/v1/requests/{id}/notes",
                get(api::get_notes).post(api::post_note),
            )
            .route("/v1/people/{id}", get(api::get_person))
            .route("/webhooks/{id}/verify", get(api::verify).post(api::verify))
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                gate::gate,
            ))
            .layer(axum::middleware::from_fn_with_state(
                recorder.clone(),
                contract::record,
            ))
            .with_state(shared.clone());
        let running =
            Running::start(shared.config.bind_address, shared.config.port, router).await?;
        Ok(FourMe {
            shared,
            recorder,
            running,
        })
    }

    /// The REST base URL, `http://127.0.0.1:PORT/v1`.
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.base_url())
    }

    /// The server root, `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.running.addr())
    }

    /// The configuration it runs with (account id, token, webhook id…).
    pub fn config(&self) -> &FourMeConfig {
        &self.shared.config
    }

    /// Create a request as a 4me user would and return its id.
    ///
    /// # Panics
    /// If the spec names a person or service instance that is not in the seed.
    pub fn create_request(&self, spec: RequestSpec) -> u64 {
        let mut store = self.shared.store();
        store.insert_request(|id, store| request::record(id, store, &spec))
    }

    /// The delivery 4me sends for `event` (e.g. `request.create`) on request `request_id`.
    ///
    /// # Panics
    /// If the embedded signing key is unusable (a bug in the sandbox).
    pub fn webhook(&self, event: &str, request_id: u64, signed: bool) -> Delivery {
        let payload = request::webhook_payload(&self.shared.store(), event, request_id);
        let envelope = webhook::envelope(&self.shared.config, event, request_id, "Req", payload);
        self.sign(envelope, signed)
    }

    /// A `webhook.verify` delivery whose callback points at this simulator. A new one
    /// invalidates the previous code, as in 4me.
    pub fn verify_webhook(&self, signed: bool) -> Delivery {
        let code = crate::ids::random_hex32();
        let webhook_id = self.shared.config.webhook_id;
        let expires_at = crate::clock::epoch_seconds() + 24 * 3600;
        let callback = format!(
            "{}/webhooks/{webhook_id}/verify?code={code}&expires_at={expires_at}",
            self.base_url()
        );
        self.shared.store().verify_code = Some(code);
        let payload = json!({"callback": callback});
        let envelope = webhook::envelope(
            &self.shared.config,
            "webhook.verify",
            webhook_id,
            "Webhook",
            payload,
        );
        self.sign(envelope, signed)
    }

    fn sign(&self, envelope: Value, signed: bool) -> Delivery {
        webhook::deliver(&self.shared.config, envelope, signed)
            .unwrap_or_else(|error| panic!("sandbox webhook key is broken: {error}"))
    }

    /// Whether the verify callback was called with the current code.
    pub fn verified(&self) -> bool {
        self.shared.store().verified
    }

    /// Notes on a request, oldest first.
    pub fn notes(&self, request_id: u64) -> Vec<Note> {
        self.shared
            .store()
            .notes
            .get(&request_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The request record as `GET /v1/requests/{id}` would return it.
    pub fn request(&self, request_id: u64) -> Option<Value> {
        self.shared.store().requests.get(&request_id).cloned()
    }

    /// Every status change of a request, oldest first.
    pub fn status_history(&self, request_id: u64) -> Vec<StatusChange> {
        self.shared
            .store()
            .history
            .get(&request_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The next `n` API calls answer `status` (429 comes with `Retry-After: 1`).
    pub fn fail_next(&self, n: usize, status: u16) {
        self.shared.faults.fail_next(n, status, None);
    }

    /// While down, every call answers 503.
    pub fn set_down(&self, down: bool) {
        self.shared.faults.set_down(down);
    }

    /// Calls received so far (faulted, rejected and verify callbacks included).
    pub fn calls(&self) -> u64 {
        self.shared.faults.calls()
    }

    /// Every request served and its answer, oldest first.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.recorder.exchanges()
    }

    /// Stop the server and wait for in-flight calls.
    pub async fn shutdown(self) {
        self.running.stop().await;
    }
}
