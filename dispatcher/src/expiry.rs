//! The end of the hold: a message held past the hold time dead-letters to the expired queue.
//! The dispatcher records on the 4me request and in the log that it was not delivered, counts
//! it, and only then lets it go. If 4me cannot take the note, the message waits and is tried
//! again; it is never dropped without a trace.

use crate::failure::StatusClass;
use crate::intent;
use crate::metrics::DispatcherMetrics;
use crate::notes::NoteBook;
use crate::notes::Stage;
use crate::notify::{Notice, Notifier};
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicNackOptions};
use shared::envelope::{now_ms, DeliveryState, Envelope};
use std::sync::Arc;
use std::time::Duration;

/// Records expired messages.
pub struct Expiry {
    /// Where notes go.
    pub notes: Arc<NoteBook>,
    /// Counters.
    pub metrics: DispatcherMetrics,
    /// The notification webhook.
    pub notifier: Notifier,
    /// How long to wait before trying a failed note again.
    pub retry_delay: Duration,
}

impl Expiry {
    /// Records one expired message and settles it.
    pub async fn record(&self, delivery: Delivery) {
        let state = DeliveryState::from_headers(delivery.properties.headers().as_ref());
        let envelope: Option<Envelope> = serde_json::from_slice(&delivery.data).ok();
        let request_id = envelope.as_ref().and_then(intent::request_id);
        let reason = state.reason.as_deref().unwrap_or("unknown");
        let held_at = state.held_at_ms.unwrap_or_else(now_ms);
        tracing::error!(
            fourme.request_id = request_id,
            message_id = delivery.properties.message_id().as_ref().map(|id| id.as_str()),
            reason,
            held_since = %crate::time::when(held_at),
            "request expired undelivered"
        );
        let text = format!(
            "This request was NOT delivered to SailPoint IdentityNow. It was held since {} \
             (last error: {reason}) and the hold time has now passed. Please submit the access \
             request again.",
            crate::time::when(held_at)
        );
        if let Some(request_id) = request_id {
            let written = self
                .notes
                .write_once(request_id, &Stage::Expired(held_at), &text)
                .await;
            match written {
                Ok(()) => {}
                // A request deleted from 4me will never take the note; trying again every
                // retry delay would go on forever, so the log line above is the record.
                Err(error) if error.status_class() == Some(StatusClass::NotFound) => {
                    self.metrics.notes_failed.inc();
                    tracing::error!(
                        fourme.request_id = request_id,
                        "the 4me request no longer exists; the expiry is recorded in the log only"
                    );
                }
                Err(error) => {
                    self.metrics.notes_failed.inc();
                    tracing::warn!(fourme.request_id = request_id, error = %error, "cannot record the expiry on 4me yet; will try again");
                    tokio::time::sleep(self.retry_delay).await;
                    let requeue = BasicNackOptions {
                        requeue: true,
                        ..BasicNackOptions::default()
                    };
                    if let Err(error) = delivery.acker.nack(requeue).await {
                        tracing::warn!(error = %error, "nack failed; the message will be redelivered");
                    }
                    return;
                }
            }
        }
        self.notifier
            .send(&Notice {
                stage: "expired",
                fourme_account: self.notes.fourme().account(),
                fourme_request_id: request_id,
                reason,
                attempts: state.attempts,
                summary: text,
            })
            .await;
        self.metrics.expired.inc();
        if let Err(error) = delivery.acker.ack(BasicAckOptions::default()).await {
            tracing::warn!(error = %error, "ack failed; the expiry will be recorded again (once)");
        }
    }
}
