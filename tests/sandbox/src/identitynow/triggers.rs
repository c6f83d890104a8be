//! Event triggers: the simulated tenant's one HTTP subscription to "Access Request Decision"
//! and "Provisioning Completed".
//!
//! Delivery is fire-and-forget like SailPoint's: each invocation is POSTed with
//! `Authorization: Bearer <token>` on a spawned task, its outcome is ignored and it is never
//! retried. Tests can drop invocations on purpose to play a lost trigger.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use super::ledger::RequestedItem;
use super::lifecycle::Step;
use super::payloads;
use crate::seed::Organisation;

/// How long one delivery may take; SailPoint gives subscribers 10 s.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where triggers go: an HTTP subscription with bearer-token authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct TriggerTarget {
    /// The subscriber's URL, e.g. `http://127.0.0.1:8080/identitynow/triggers`.
    pub url: String,
    /// Sent as `Authorization: Bearer <bearer_token>`.
    pub bearer_token: String,
}

impl fmt::Debug for TriggerTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TriggerTarget")
            .field("url", &self.url)
            .field("bearer_token", &"[redacted]")
            .finish()
    }
}

/// Which trigger an invocation is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    /// `idn:access-request-post-approval`, fired on approval and rejection.
    AccessRequestDecision,
    /// `idn:post-provisioning`, fired when provisioning ends.
    ProvisioningCompleted,
}

impl TriggerKind {
    /// SailPoint's trigger id.
    pub fn trigger_id(self) -> &'static str {
        match self {
            Self::AccessRequestDecision => "idn:access-request-post-approval",
            Self::ProvisioningCompleted => "idn:post-provisioning",
        }
    }
}

/// One invocation, whether or not it was delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct FiredTrigger {
    /// Which trigger.
    pub kind: TriggerKind,
    /// The JSON body.
    pub payload: Value,
    /// True when `drop_triggers(true)` kept it from being sent.
    pub dropped: bool,
}

/// The subscription and what was fired through it.
#[derive(Debug)]
pub(crate) struct Triggers {
    runtime: tokio::runtime::Handle,
    client: reqwest::Client,
    target: Mutex<Option<TriggerTarget>>,
    dropping: AtomicBool,
    sent: AtomicU64,
    fired: Mutex<Vec<FiredTrigger>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl Triggers {
    /// No subscription yet; deliveries will run on `runtime`.
    pub(crate) fn new(runtime: tokio::runtime::Handle) -> Self {
        Self {
            runtime,
            client: reqwest::Client::new(),
            target: Mutex::default(),
            dropping: AtomicBool::new(false),
            sent: AtomicU64::new(0),
            fired: Mutex::default(),
        }
    }

    pub(crate) fn set_target(&self, target: Option<TriggerTarget>) {
        *lock(&self.target) = target;
    }

    pub(crate) fn set_dropping(&self, dropping: bool) {
        self.dropping.store(dropping, Ordering::SeqCst);
    }

    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    pub(crate) fn fired(&self) -> Vec<FiredTrigger> {
        lock(&self.fired).clone()
    }

    /// Fire what `step` causes on one access request's `records`, if subscribed.
    pub(crate) fn on_step(&self, org: &Organisation, step: Step<'_>, records: &[RequestedItem]) {
        let (kind, payload) = match step {
            Step::Approve(_) | Step::Reject(_) => (
                TriggerKind::AccessRequestDecision,
                payloads::decision(org, records),
            ),
            Step::Provision(outcome) => (
                TriggerKind::ProvisioningCompleted,
                payloads::provisioning_completed(org, records, outcome),
            ),
            Step::Terminate(_) | Step::Cancel(..) => return,
        };
        self.fire(kind, payload);
    }

    fn fire(&self, kind: TriggerKind, payload: Value) {
        let Some(target) = lock(&self.target).clone() else {
            return;
        };
        let dropped = self.dropping.load(Ordering::SeqCst);
        lock(&self.fired).push(FiredTrigger {
            kind,
            payload: payload.clone(),
            dropped,
        });
        if dropped {
            return;
        }

        self.sent.fetch_add(1, Ordering::SeqCst);
        let request = self
            .client
            .post(&target.url)
            .bearer_auth(&target.bearer_token)
            .timeout(DELIVERY_TIMEOUT)
            .json(&payload);
        self.runtime.spawn(async move {
            // Fire-and-forget: the subscriber's answer, or its absence, changes nothing.
            match request.send().await {
                Ok(answer) => tracing::debug!(
                    trigger = kind.trigger_id(),
                    http.status = answer.status().as_u16(),
                    "trigger delivered"
                ),
                Err(error) => {
                    tracing::debug!(trigger = kind.trigger_id(), %error, "trigger lost")
                }
            }
        });
    }
}
