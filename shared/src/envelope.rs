//! What travels through RabbitMQ.
//!
//! The body is an [`Envelope`]: the verified event as the ingress received it, plus where it
//! came from. The retry state lives in AMQP headers ([`DeliveryState`]) so that moving a message
//! between queues never rewrites the body. The header names carry no `x-` prefix: RabbitMQ 4
//! ignores client-set `x-death`, and the connector never relies on broker-owned headers.

use lapin::types::{AMQPValue, FieldTable, ShortString};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// The 4me events the connector can act on: the request events and automation-rule webhooks.
pub const FOURME_EVENTS: [&str; 9] = [
    "request.create",
    "request.update",
    "request.status-changed",
    "request.note-added",
    "request.team-changed",
    "request.member-changed",
    "request.agile-board-column-changed",
    "request.major-incident-status-changed",
    "automation_rule",
];

/// Where an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A 4me (Xurrent) webhook delivery.
    Fourme,
    /// An IdentityNow event trigger.
    Identitynow,
}

/// The message body: one event as the ingress accepted it. The ingress writes the event as it
/// came (`D` = a raw JSON value, never parsed into a tree); the dispatcher reads it as a
/// [`serde_json::Value`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Envelope<D = serde_json::Value> {
    /// Which system sent the event.
    pub source: Source,
    /// The event name, e.g. `request.create` or `automation_rule`.
    pub event: String,
    /// The sender's delivery id (4me's delivery header or the JWT `jti`); also the AMQP message id.
    pub delivery_id: String,
    /// When the ingress accepted it, in milliseconds since the Unix epoch.
    pub received_at_ms: i64,
    /// The event itself: for 4me the webhook envelope (the JWT `data` claim when signed).
    pub data: D,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or_default()
}

const ATTEMPTS: &str = "connector-attempts";
const FIRST_FAILURE: &str = "connector-first-failure-ms";
const FAILING_NOTIFIED: &str = "connector-failing-notified";
const HELD_AT: &str = "connector-held-ms";
const REASON: &str = "connector-reason";
const RESENT: &str = "connector-resent";

/// The longest reason kept in a header; headers cannot span frames, so they stay short.
const REASON_LIMIT: usize = 500;

/// The retry state the dispatcher carries on a message from one attempt to the next.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryState {
    /// Failed attempts so far in the current window.
    pub attempts: u32,
    /// When the first failure of the current window happened.
    pub first_failure_ms: Option<i64>,
    /// Whether the repeated-failure notification went out in this window.
    pub failing_notified: bool,
    /// When the message was put on hold; set only while it sits in (or was moved from) hold.
    pub held_at_ms: Option<i64>,
    /// Why the last attempt failed, short.
    pub reason: Option<String>,
    /// How an operator resent it (`admin`), when they did.
    pub resent: Option<String>,
}

impl DeliveryState {
    /// Reads the state from a delivery's headers; missing or foreign values count as unset.
    pub fn from_headers(headers: Option<&FieldTable>) -> Self {
        let Some(headers) = headers else {
            return Self::default();
        };
        let map = headers.inner();
        let int = |key: &str| map.get(key).and_then(as_i64);
        let text = |key: &str| map.get(key).and_then(as_string);
        DeliveryState {
            attempts: int(ATTEMPTS)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
            first_failure_ms: int(FIRST_FAILURE),
            failing_notified: matches!(map.get(FAILING_NOTIFIED), Some(AMQPValue::Boolean(true))),
            held_at_ms: int(HELD_AT),
            reason: text(REASON),
            resent: text(RESENT),
        }
    }

    /// Writes the state as headers, leaving out what is unset.
    pub fn to_headers(&self) -> FieldTable {
        let mut headers = FieldTable::default();
        let mut put = |key: &str, value: AMQPValue| {
            headers.insert(ShortString::from(key), value);
        };
        put(ATTEMPTS, AMQPValue::LongLongInt(i64::from(self.attempts)));
        if let Some(ms) = self.first_failure_ms {
            put(FIRST_FAILURE, AMQPValue::LongLongInt(ms));
        }
        if self.failing_notified {
            put(FAILING_NOTIFIED, AMQPValue::Boolean(true));
        }
        if let Some(ms) = self.held_at_ms {
            put(HELD_AT, AMQPValue::LongLongInt(ms));
        }
        if let Some(reason) = &self.reason {
            put(REASON, AMQPValue::LongString(truncate(reason).into()));
        }
        if let Some(via) = &self.resent {
            put(RESENT, AMQPValue::LongString(via.as_str().into()));
        }
        headers
    }

    /// A state for a message an operator sends again: a fresh window, marked as resent.
    pub fn resent(via: &str) -> Self {
        DeliveryState {
            resent: Some(via.to_owned()),
            ..Self::default()
        }
    }
}

fn truncate(reason: &str) -> String {
    match reason.char_indices().nth(REASON_LIMIT) {
        Some((cut, _)) => format!("{}…", &reason[..cut]),
        None => reason.to_owned(),
    }
}

fn as_i64(value: &AMQPValue) -> Option<i64> {
    match value {
        AMQPValue::LongLongInt(n) => Some(*n),
        AMQPValue::Timestamp(n) => i64::try_from(*n).ok(),
        AMQPValue::LongInt(n) => Some(i64::from(*n)),
        AMQPValue::LongUInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortInt(n) => Some(i64::from(*n)),
        _ => None,
    }
}

fn as_string(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(text) => Some(String::from_utf8_lossy(text.as_bytes()).into_owned()),
        AMQPValue::ShortString(text) => Some(text.as_str().to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_headers() {
        let state = DeliveryState {
            attempts: 4,
            first_failure_ms: Some(1_700_000_000_000),
            failing_notified: true,
            held_at_ms: Some(1_700_000_100_000),
            reason: Some("IdentityNow answered 503".into()),
            resent: None,
        };
        assert_eq!(
            DeliveryState::from_headers(Some(&state.to_headers())),
            state
        );
    }

    #[test]
    fn missing_headers_mean_a_fresh_message() {
        assert_eq!(DeliveryState::from_headers(None), DeliveryState::default());
    }

    #[test]
    fn long_reasons_are_cut() {
        let state = DeliveryState {
            reason: Some("é".repeat(2_000)),
            ..DeliveryState::default()
        };
        let back = DeliveryState::from_headers(Some(&state.to_headers()));
        assert_eq!(back.reason.unwrap().chars().count(), REASON_LIMIT + 1);
    }
}
