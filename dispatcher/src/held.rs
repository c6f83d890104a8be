//! Browsing and resending held messages for the admin API.
//!
//! A queue cannot be read message by message, so the hold queue is browsed: messages are
//! fetched without acknowledging them on a channel of their own, and the ones not resent are
//! returned to the queue when that channel closes. Held queues are small (what could not be
//! delivered in a week), so reading them whole is affordable; the read stops at
//! [`BROWSE_LIMIT`]. While a browse runs, those messages are briefly invisible to others.

use lapin::options::{BasicAckOptions, BasicGetOptions};
use lapin::BasicProperties;
use serde::Serialize;
use shared::broker::{Broker, PublishError};
use shared::envelope::{DeliveryState, Envelope};
use shared::topology::Route;
use std::collections::HashSet;

/// The most held messages read in one browse.
pub const BROWSE_LIMIT: usize = 5_000;

/// A held message as the admin page shows it (no message content beyond these fields).
#[derive(Debug, Serialize)]
pub struct HeldMessage {
    /// The AMQP message id (the 4me delivery id).
    pub message_id: String,
    /// The 4me account.
    pub fourme_account: Option<String>,
    /// The 4me request.
    pub fourme_request_id: Option<u64>,
    /// The event.
    pub event: Option<String>,
    /// Why it is held.
    pub reason: Option<String>,
    /// Failed attempts.
    pub attempts: u32,
    /// First failure, ms since the epoch.
    pub first_failure_ms: Option<i64>,
    /// Held since, ms since the epoch.
    pub held_at_ms: Option<i64>,
    /// When it expires, ms since the epoch.
    pub expires_at_ms: Option<i64>,
}

/// Browse or resend failed.
#[derive(Debug, thiserror::Error)]
pub enum HeldError {
    /// No broker connection.
    #[error("not connected to RabbitMQ")]
    Unavailable,
    /// A channel operation failed.
    #[error("RabbitMQ: {0}")]
    Broker(#[from] lapin::Error),
    /// The resend could not be published.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Lists held messages, and resends those whose id `resend` accepts. Returns the listing (of
/// what stays held) and how many were resent.
pub async fn browse(
    broker: &Broker,
    resend: impl Fn(&str) -> bool,
) -> Result<(Vec<HeldMessage>, usize), HeldError> {
    let session = broker.session().ok_or(HeldError::Unavailable)?;
    let channel = session.connection.create_channel().await?;
    let queue = broker.topology().queue(&Route::Hold);
    let hold_ms = broker.topology().hold_time.as_millis() as i64;
    let mut listing = Vec::new();
    // A resent message that fails again at once (a refusal) is back in the hold queue while
    // this browse still reads it; without this set it would be resent again and again.
    let mut resent_ids = HashSet::new();
    let outcome = async {
        while listing.len() < BROWSE_LIMIT {
            let Some(message) = channel
                .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false })
                .await?
            else {
                break;
            };
            let delivery = message.delivery;
            let id = delivery
                .properties
                .message_id()
                .as_ref()
                .map(|id| id.to_string())
                .unwrap_or_default();
            if resend(&id) && !resent_ids.contains(&id) {
                let properties = BasicProperties::default()
                    .with_message_id(id.as_str().into())
                    .with_content_type("application/json".into())
                    .with_headers(DeliveryState::resent("admin").to_headers());
                broker
                    .publish(&Route::Work, &delivery.data, properties)
                    .await?;
                delivery.acker.ack(BasicAckOptions::default()).await?;
                resent_ids.insert(id);
                continue;
            }
            listing.push(describe(&id, &delivery.properties, &delivery.data, hold_ms));
        }
        Ok::<_, HeldError>(())
    }
    .await;
    // Closing the channel returns every message that was read and not resent.
    let _ = channel.close(200, "browse done".into()).await;
    outcome.map(|()| (listing, resent_ids.len()))
}

fn describe(id: &str, properties: &BasicProperties, body: &[u8], hold_ms: i64) -> HeldMessage {
    let state = DeliveryState::from_headers(properties.headers().as_ref());
    let envelope: Option<Envelope> = serde_json::from_slice(body).ok();
    HeldMessage {
        message_id: id.to_owned(),
        fourme_account: envelope
            .as_ref()
            .and_then(|e| e.data.get("account_id").or_else(|| e.data.get("account")))
            .and_then(|a| a.as_str())
            .map(str::to_owned),
        fourme_request_id: envelope.as_ref().and_then(crate::intent::request_id),
        event: envelope.map(|e| e.event),
        reason: state.reason,
        attempts: state.attempts,
        first_failure_ms: state.first_failure_ms,
        held_at_ms: state.held_at_ms,
        expires_at_ms: state.held_at_ms.map(|at| at + hold_ms),
    }
}
