//! One delivery from the work queue, start to finish: carry it out, then ack it, or move it to
//! a wait queue or the hold queue first. A move is publish-with-confirm first, ack second, so a
//! crash in between duplicates a message but never loses one (and duplicates are harmless: see
//! [`crate::process`]).

use crate::failure::{classify, Failure, PeerError, StatusClass, Verdict};
use crate::intent;
use crate::locks::RequestLocks;
use crate::metrics::DispatcherMetrics;
use crate::notes::Stage;
use crate::notify::{Notice, Notifier};
use crate::process::{Handled, Worker};
use crate::recent_failures::{RecentFailure, RecentFailures};
use crate::schedule::{Decision, HoldCause, Next, Schedule};
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicNackOptions};
use lapin::BasicProperties;
use shared::broker::{Broker, PublishError};
use shared::envelope::{now_ms, DeliveryState, Envelope};
use shared::topology::Route;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything needed to see a delivery through.
pub struct Deliverer {
    /// Carries out events.
    pub worker: Worker,
    /// The retry schedule.
    pub schedule: Schedule,
    /// Where moves are published.
    pub broker: Broker,
    /// Counters.
    pub metrics: DispatcherMetrics,
    /// The notification webhook.
    pub notifier: Notifier,
    /// One event per request at a time.
    pub locks: RequestLocks,
    /// How long a message is held, for the notes.
    pub hold_time: Duration,
    /// The last failures, for the admin page.
    pub recent_failures: Arc<RecentFailures>,
}

impl Deliverer {
    /// Handles one delivery and settles it with the broker.
    pub async fn deliver(&self, delivery: Delivery) {
        let started = Instant::now();
        let mut state = DeliveryState::from_headers(delivery.properties.headers().as_ref());
        if state.held_at_ms.is_some() {
            // Moved here from the hold queue with the management UI: the shovel copies our
            // headers, so a held-at time in the work queue means "resent"; start a new window.
            tracing::info!(
                message_id = delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|id| id.as_str()),
                "held message moved back by an operator"
            );
            self.metrics
                .resent
                .with_label_values(&["management_ui"])
                .inc();
            state = DeliveryState::resent("management_ui");
        }
        let envelope: Result<Envelope, _> = serde_json::from_slice(&delivery.data);
        // The lock covers the notes written after a failure too, so a repeated delivery cannot
        // look for an earlier note before the first one is written.
        let _guard = match envelope.as_ref().ok().and_then(intent::request_id) {
            Some(request_id) => Some(self.locks.lock(request_id).await),
            None => None,
        };
        let result = match &envelope {
            Ok(envelope) => {
                let again = state.attempts > 0 || state.resent.is_some() || delivery.redelivered;
                self.worker.handle(envelope, again).await
            }
            Err(error) => Err(Failure::Malformed(error.to_string())),
        };
        self.metrics
            .dispatch_duration
            .observe(started.elapsed().as_secs_f64());
        let settled = match result {
            Ok(handled) => {
                self.count_success(&handled);
                Ok(())
            }
            Err(failure) => {
                let envelope = envelope.as_ref().ok();
                self.after_failure(&delivery, envelope, &state, failure)
                    .await
            }
        };
        match settled {
            Ok(()) => {
                if let Err(error) = delivery.acker.ack(BasicAckOptions::default()).await {
                    tracing::warn!(error = %error, "ack failed; the message will be redelivered");
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "could not move the message; it goes back to the queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
                let requeue = BasicNackOptions {
                    requeue: true,
                    ..BasicNackOptions::default()
                };
                if let Err(error) = delivery.acker.nack(requeue).await {
                    tracing::warn!(error = %error, "nack failed; the message will be redelivered");
                }
            }
        }
    }

    fn count_success(&self, handled: &Handled) {
        match handled {
            Handled::Submitted { .. } => self.metrics.outcome("submitted"),
            Handled::AlreadySubmitted { request_id, .. } => {
                tracing::info!(
                    fourme.request_id = request_id,
                    "already submitted earlier; not submitted again"
                );
                self.metrics.outcome("already_submitted");
            }
            Handled::Progressed(_) => self.metrics.outcome("progress"),
            Handled::Withdrawn(cancelled) => {
                tracing::info!(cancelled, "4me request withdrawn");
                self.metrics.outcome("withdrawn");
            }
            Handled::Ignored(why) => {
                tracing::debug!(reason = why, "event ignored");
                self.metrics.outcome("ignored");
            }
        }
    }

    async fn after_failure(
        &self,
        delivery: &Delivery,
        envelope: Option<&Envelope>,
        state: &DeliveryState,
        failure: Failure,
    ) -> Result<(), PublishError> {
        let verdict = classify(&failure);
        let reason = failure.to_string();
        let request_id = envelope.and_then(intent::request_id);
        self.count_failure(&failure, verdict);
        let mut decision = self
            .schedule
            .after_failure(state, verdict, &reason, now_ms());
        tracing::warn!(
            fourme.request_id = request_id,
            attempts = decision.state.attempts,
            reason = %reason,
            next = ?decision.next,
            "delivery failed"
        );
        self.recent_failures.record(RecentFailure {
            at_ms: now_ms(),
            fourme_request_id: request_id,
            event: envelope.map(|envelope| envelope.event.clone()),
            reason: reason.clone(),
            next: match decision.next {
                Next::Wait(_) => "retry",
                Next::Hold(HoldCause::WindowOver) => "held",
                Next::Hold(HoldCause::Refused) => "refused",
            },
        });
        if decision.notify_failing {
            self.announce_failing(request_id, &decision).await;
        }
        let route = match decision.next {
            Next::Wait(delay) => {
                self.metrics.outcome("retried");
                Route::Wait(delay)
            }
            Next::Hold(HoldCause::Refused)
                if self.within_window(&decision.state)
                    && !self.refusal_noted(request_id, &decision).await =>
            {
                self.metrics.outcome("retried");
                decision.state.held_at_ms = None;
                Route::Wait(self.schedule.delay(decision.state.attempts, None))
            }
            Next::Hold(cause) => {
                self.announce_held(request_id, &decision, cause).await;
                Route::Hold
            }
        };
        let properties = BasicProperties::default()
            .with_headers(decision.state.to_headers())
            .with_content_type("application/json".into());
        let properties = match delivery.properties.message_id() {
            Some(id) => properties.with_message_id(id.clone()),
            None => properties,
        };
        self.broker
            .publish(&route, &delivery.data, properties)
            .await
    }

    fn count_failure(&self, failure: &Failure, verdict: Verdict) {
        if let Failure::Peer(error) = failure {
            let kind = match error {
                PeerError::Connect { .. } => "connect",
                PeerError::Timeout { .. } => "timeout",
                PeerError::Unreadable { .. } => "server_error",
                PeerError::Status { status, .. } => match status {
                    429 => "rate_limited",
                    401 | 403 => "unauthorized",
                    500..=599 => "server_error",
                    _ => "refused",
                },
            };
            self.metrics
                .peer_failures
                .with_label_values(&[error.peer().label(), kind])
                .inc();
        }
        if verdict == Verdict::Refuse {
            self.metrics
                .refusals
                .with_label_values(&[failure.refusal_label()])
                .inc();
        }
    }

    async fn announce_failing(&self, request_id: Option<u64>, decision: &Decision) {
        self.metrics.delivery_failing.inc();
        let state = &decision.state;
        let first = state.first_failure_ms.unwrap_or_else(now_ms);
        let until = crate::time::when(self.schedule.retry_until(first));
        let reason = state.reason.as_deref().unwrap_or("unknown");
        let text = format!(
            "The connector cannot deliver this request to SailPoint IdentityNow yet: {reason}. \
             {} attempts so far; it keeps trying until {until}.",
            state.attempts
        );
        self.tell(request_id, &Stage::Failing(first), "failing", &text, state)
            .await;
    }

    /// Puts a message on hold: counts it, writes the note, sends the notification.
    async fn announce_held(&self, request_id: Option<u64>, decision: &Decision, cause: HoldCause) {
        self.metrics.outcome(match cause {
            HoldCause::WindowOver => "held",
            HoldCause::Refused => "refused",
        });
        self.metrics.held.with_label_values(&[cause.label()]).inc();
        let (stage, text) = self.held_note(decision, cause);
        self.tell(request_id, &stage, "held", &text, &decision.state)
            .await;
    }

    /// The note that says a request is held, and why.
    fn held_note(&self, decision: &Decision, cause: HoldCause) -> (Stage, String) {
        let state = &decision.state;
        let held_at = state.held_at_ms.unwrap_or_else(now_ms);
        let expires = crate::time::when(held_at + self.hold_time.as_millis() as i64);
        let reason = state.reason.as_deref().unwrap_or("unknown");
        match cause {
            HoldCause::Refused => (
                Stage::Refused,
                format!(
                    "This request was not submitted to SailPoint IdentityNow: {reason}. \
                     It is held until {expires}; once the cause is fixed, an administrator can \
                     send it again from the connector's admin page."
                ),
            ),
            HoldCause::WindowOver => (
                Stage::Held(held_at),
                format!(
                    "Delivery to SailPoint IdentityNow failed for the whole retry window \
                     ({} attempts; last error: {reason}). The request is held until {expires} \
                     and can be sent again with one click from the connector's admin page or \
                     RabbitMQ's management UI.",
                    state.attempts
                ),
            ),
        }
    }

    /// Writes the refusal note before a refused request is held; false when 4me could not
    /// take it, so the refusal is tried again later instead of being held without a word.
    async fn refusal_noted(&self, request_id: Option<u64>, decision: &Decision) -> bool {
        let Some(request_id) = request_id else {
            return true;
        };
        let (stage, text) = self.held_note(decision, HoldCause::Refused);
        match self
            .worker
            .notes
            .write_once(request_id, &stage, &text)
            .await
        {
            Ok(()) => true,
            // The request is gone from 4me: there is nowhere to write, and waiting won't help.
            Err(error) if error.status_class() == Some(StatusClass::NotFound) => true,
            Err(error) => {
                self.metrics.notes_failed.inc();
                tracing::warn!(fourme.request_id = request_id, error = %error, "could not write the refusal note; trying again later");
                false
            }
        }
    }

    fn within_window(&self, state: &DeliveryState) -> bool {
        let first = state.first_failure_ms.unwrap_or_else(now_ms);
        now_ms() < self.schedule.retry_until(first)
    }

    /// Writes the stage's note (once) and sends the notification.
    async fn tell(
        &self,
        request_id: Option<u64>,
        stage: &Stage,
        name: &str,
        text: &str,
        state: &DeliveryState,
    ) {
        if let Some(request_id) = request_id {
            match self.worker.notes.write_once(request_id, stage, text).await {
                Ok(()) => {}
                Err(error) if error.status_class() == Some(StatusClass::NotFound) => {
                    tracing::warn!(
                        fourme.request_id = request_id,
                        stage = name,
                        "the 4me request no longer exists; no note written"
                    );
                }
                Err(error) => {
                    self.metrics.notes_failed.inc();
                    tracing::error!(fourme.request_id = request_id, stage = name, error = %error, "could not write the note on 4me");
                }
            }
        }
        self.notifier
            .send(&Notice {
                stage: name,
                fourme_account: self.worker.fourme.account(),
                fourme_request_id: request_id,
                reason: state.reason.as_deref().unwrap_or("unknown"),
                attempts: state.attempts,
                summary: text.to_owned(),
            })
            .await;
    }
}
