//! The simulated SailPoint IdentityNow (Identity Security Cloud).
//!
//! Serves `/oauth/token`, the lookups the connector resolves people and access with, and the
//! access-request submit / status / cancel endpoints. `gate` checks tokens, rate limits and
//! injected faults; `auth` issues tokens; `filter` parses `filters`; `catalog` renders the
//! seed; `lookup`, `submit` and `tracking` are the handlers; `ledger` keeps the requests and
//! `render` prints them.
//!
//! An access request then lives on: `lifecycle` moves it through approval and provisioning
//! (driven by the handle's hooks, the cancel endpoint or the `autopilot`), and `triggers`
//! POSTs the event triggers that causes, with bodies from `payloads`.

mod auth;
mod autopilot;
mod catalog;
mod error;
mod filter;
mod gate;
mod ledger;
mod lifecycle;
mod lookup;
mod payloads;
mod render;
mod submit;
mod tracking;
mod triggers;

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

use crate::contract::{self, Exchange, Recorder, System};
use crate::faults::Faults;
use crate::seed::Organisation;
use crate::server::Running;
use crate::window::{FixedWindow, RateLimit};

pub use autopilot::{demo_outcome, Autopilot, Outcome};
pub use ledger::{ItemState, SubmittedAccessRequest};
pub use lifecycle::Provisioning;
pub use triggers::{FiredTrigger, TriggerKind, TriggerTarget};

use auth::Tokens;
use autopilot::AutopilotTask;
use ledger::Ledger;
use lifecycle::Step;
use triggers::Triggers;

/// How to run the simulated IdentityNow.
#[derive(Debug, Clone)]
pub struct IdentityNowConfig {
    /// Address to listen on: 127.0.0.1 unless a container must be reachable from outside.
    pub bind_address: IpAddr,
    /// Port on `bind_address`; 0 picks a free one.
    pub port: u16,
    /// OAuth client id (a PAT's id in production).
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Lifetime of issued tokens (SailPoint's example: 749 s).
    pub token_lifetime: Duration,
    /// Per-client limit (100 per 10 s); `None` switches it off.
    pub rate_limit: Option<RateLimit>,
    /// Answer accepted access requests with `{}` like tenants did before December 2024.
    pub respond_legacy_empty_202: bool,
    /// `tenant_id` in token answers.
    pub tenant_id: String,
    /// `org` in token answers.
    pub org: String,
}

impl Default for IdentityNowConfig {
    fn default() -> Self {
        Self {
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            client_id: "sandbox-client".to_string(),
            client_secret: "sandbox-secret".to_string(),
            token_lifetime: Duration::from_secs(749),
            rate_limit: Some(RateLimit {
                limit: 100,
                period: Duration::from_secs(10),
            }),
            respond_legacy_empty_202: false,
            tenant_id: "3b1b5c0e-4f6d-4a39-9c64-5d0f0e6a1b2c".to_string(),
            org: "example-corp".to_string(),
        }
    }
}

/// State shared by the handlers and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    config: IdentityNowConfig,
    org: Organisation,
    tokens: Tokens,
    rate: Option<FixedWindow>,
    faults: Faults,
    ledger: Mutex<Ledger>,
    triggers: Triggers,
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Ids of items with a grant in flight for `identity_id`.
    fn pending_items(&self, identity_id: &str) -> HashSet<String> {
        self.ledger()
            .items
            .iter()
            .filter(|record| record.identity_id == identity_id && record.state.is_pending())
            .map(|record| record.item_id.clone())
            .collect()
    }
}

/// A running simulated IdentityNow. Dropping it stops the server.
#[derive(Debug)]
pub struct IdentityNow {
    shared: Arc<Shared>,
    recorder: Recorder,
    running: Running,
    autopilot: Mutex<Option<AutopilotTask>>,
}

impl IdentityNow {
    /// Start serving `org` on `config.bind_address` with `config`.
    pub async fn start(
        org: &Organisation,
        config: IdentityNowConfig,
    ) -> std::io::Result<IdentityNow> {
        let shared = Arc::new(Shared {
            org: org.clone(),
            tokens: Tokens::new(),
            rate: config.rate_limit.map(FixedWindow::new),
            faults: Faults::default(),
            ledger: Mutex::default(),
            triggers: Triggers::new(tokio::runtime::Handle::current()),
            config,
        });
        let recorder = Recorder::new(System::IdentityNow);
        let router = Router::new()
            .route("/oauth/token", post(auth::token))
            .route("/v3/public-identities", get(lookup::public_identities))
            .route("/v3/search", post(lookup::search))
            .route("/v3/sources", get(lookup::sources))
            .route("/v3/roles", get(lookup::roles))
            .route("/v3/access-profiles", get(lookup::access_profiles))
            .route("/v2025/entitlements", get(lookup::entitlements))
            .route("/v3/requestable-objects", get(lookup::requestable_objects))
            .route("/v3/access-requests", post(submit::submit))
            .route("/v3/access-requests/cancel", post(tracking::cancel))
            .route("/v3/access-request-status", get(tracking::status))
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
        Ok(IdentityNow {
            shared,
            recorder,
            running,
            autopilot: Mutex::default(),
        })
    }

    /// The tenant API root, `http://127.0.0.1:PORT`; paths such as `/v3/roles` go under it.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.running.addr())
    }

    /// The configuration it runs with (client id and secret, token lifetime…).
    pub fn config(&self) -> &IdentityNowConfig {
        &self.shared.config
    }

    /// Every accepted access request, oldest first.
    pub fn access_requests(&self) -> Vec<SubmittedAccessRequest> {
        self.shared.ledger().submitted.clone()
    }

    /// Move every item of `access_request_id` to `state`; false if the id is unknown.
    ///
    /// A raw override: only `state` and `modified` change, approvals and phases stay as they
    /// are and no trigger fires. The hooks below play consistent transitions.
    pub fn set_state(&self, access_request_id: &str, state: ItemState) -> bool {
        let now = crate::clock::now_rfc3339();
        self.shared
            .ledger()
            .set_state(access_request_id, state, &now)
    }

    /// The approver approves `access_request_id` with `comment`: approval `APPROVED`, state
    /// still `EXECUTING` while provisioning runs, no longer cancelable. Fires Access Request
    /// Decision. False if the id is unknown or its approval is not pending.
    pub fn approve(&self, access_request_id: &str, comment: &str) -> bool {
        self.shared
            .advance(access_request_id, Step::Approve(comment))
            .is_ok()
    }

    /// The approver rejects `access_request_id` with `comment`: `REJECTED`. Fires Access
    /// Request Decision. False if the id is unknown or its approval is not pending.
    pub fn reject(&self, access_request_id: &str, comment: &str) -> bool {
        self.shared
            .advance(access_request_id, Step::Reject(comment))
            .is_ok()
    }

    /// Provisioning of the approved `access_request_id` ends with `outcome`:
    /// `REQUEST_COMPLETED`, `NOT_ALL_ITEMS_PROVISIONED` or `PROVISIONING_FAILED` with its
    /// errors in `errorMessages`. Fires Provisioning Completed. False if the id is unknown or
    /// it is not approved and in flight.
    pub fn provision(&self, access_request_id: &str, outcome: Provisioning) -> bool {
        self.shared
            .advance(access_request_id, Step::Provision(&outcome))
            .is_ok()
    }

    /// An administrator ends `access_request_id` with `comment` (reported in
    /// `errorMessages`): `TERMINATED`. False if the id is unknown or it already ended.
    pub fn terminate(&self, access_request_id: &str, comment: &str) -> bool {
        self.shared
            .advance(access_request_id, Step::Terminate(comment))
            .is_ok()
    }

    /// Subscribe `target` to Access Request Decision and Provisioning Completed, or (with
    /// `None`) unsubscribe. Only steps taken while subscribed fire.
    pub fn set_trigger_target(&self, target: Option<TriggerTarget>) {
        self.shared.triggers.set_target(target);
    }

    /// While true, triggers are recorded as fired but never sent: a lost delivery.
    pub fn drop_triggers(&self, drop: bool) {
        self.shared.triggers.set_dropping(drop);
    }

    /// Triggers handed to delivery so far (dropped ones not counted). Delivery itself runs
    /// on a spawned task and may still be under way, or may have failed.
    pub fn triggers_sent(&self) -> u64 {
        self.shared.triggers.sent()
    }

    /// Every trigger fired while subscribed, dropped ones included, oldest first.
    pub fn triggers(&self) -> Vec<FiredTrigger> {
        self.shared.triggers.fired()
    }

    /// Start the autopilot (replacing a running one), or stop it with `None`.
    pub fn set_autopilot(&self, autopilot: Option<Autopilot>) {
        let task =
            autopilot.map(|autopilot| autopilot::spawn(Arc::downgrade(&self.shared), autopilot));
        // Dropping the previous task stops it.
        *self
            .autopilot
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = task;
    }

    /// The next `n` calls answer `status`, with `Retry-After` when given (429 defaults to 1).
    pub fn fail_next(&self, n: usize, status: u16, retry_after: Option<u64>) {
        self.shared.faults.fail_next(n, status, retry_after);
    }

    /// While down, every call answers 503.
    pub fn set_down(&self, down: bool) {
        self.shared.faults.set_down(down);
    }

    /// Invalidate every token issued so far: the next call with one is a 401.
    pub fn expire_tokens(&self) {
        self.shared.tokens.expire_all();
    }

    /// Calls received so far, faulted and rejected ones included.
    pub fn calls(&self) -> u64 {
        self.shared.faults.calls()
    }

    /// Calls received so far per "METHOD /path".
    pub fn calls_by_path(&self) -> BTreeMap<String, u64> {
        self.shared.faults.calls_by_path()
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
