//! One dispatcher at a time polls IdentityNow for the progress of the connector's access
//! requests.
//!
//! Who polls is decided by RabbitMQ: the poller queue has a single active consumer and holds
//! one token message. The dispatcher that receives the token polls; when it dies its channel
//! closes, the token returns, and the next consumer takes over. The token carries the
//! checkpoint (the newest `modified` time already looked at), so nothing local is needed to
//! resume. Each cycle publishes the next token before acknowledging the current one.
//!
//! A poll reads `access-request-status?requested-by=me` newest-modified first, page by page,
//! down to the checkpoint, and queues each changed record as an `identitynow.status` event:
//! the 4me writes then get the work queue's retries and hold.

use crate::identitynow::access::{access_request_id, belongs_to, recently_modified};
use crate::identitynow::client::IdentityNowClient;
use crate::time::parse_iso8601;
use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::BasicProperties;
use prometheus::IntGauge;
use serde::{Deserialize, Serialize};
use shared::broker::Broker;
use shared::envelope::{now_ms, Envelope, Source};
use shared::topology::Route;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Status records per page (IdentityNow's maximum).
const PAGE: usize = 250;

/// The token: where the last poll got to.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Token {
    /// The newest `modified` time looked at, ms since the epoch.
    pub checkpoint_ms: i64,
    /// Records modified exactly at the checkpoint that were already queued.
    pub seen: Vec<String>,
}

/// The poller of one dispatcher.
pub struct Poller {
    /// IdentityNow.
    pub identitynow: IdentityNowClient,
    /// Where status events and tokens go.
    pub broker: Broker,
    /// This connector's 4me account, to recognise its own access requests.
    pub account: String,
    /// Time between polls.
    pub interval: Duration,
    /// How far back a first poll looks.
    pub lookback: Duration,
    /// `connector_poller_active`: 1 while this dispatcher holds the polling token.
    pub active: IntGauge,
}

impl Poller {
    /// Takes part in polling until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        let mut sessions = self.broker.sessions();
        loop {
            let session = tokio::select! {
                _ = stop.cancelled() => return,
                changed = sessions.wait_for(Option::is_some) => match changed {
                    Ok(session) => session.clone(),
                    Err(_) => return,
                },
            };
            let Some(session) = session else { continue };
            if let Err(error) = self.session(&session.connection, &stop).await {
                tracing::warn!(error = %error, "poller lost its channel");
            }
            self.active.set(0);
            if stop.is_cancelled() {
                return;
            }
            let _ = sessions.wait_for(Option::is_none).await;
        }
    }

    async fn session(
        &self,
        connection: &lapin::Connection,
        stop: &CancellationToken,
    ) -> Result<(), lapin::Error> {
        let channel = connection.create_channel().await?;
        // Two at a time: the token held, and one more, so that surplus tokens (each dispatcher
        // offers one when it starts) reach the holder and are merged away at once.
        channel.basic_qos(2, BasicQosOptions::default()).await?;
        let queue = self.broker.topology().queue(&Route::Poller);
        let mut tokens = channel
            .basic_consume(
                queue.as_str().into(),
                "poller".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        // Offer a token when none is waiting (one held by the current poller does not show);
        // whoever holds one keeps the later checkpoint and drops the other.
        let passive = lapin::options::QueueDeclareOptions {
            passive: true,
            ..lapin::options::QueueDeclareOptions::default()
        };
        let waiting = channel
            .queue_declare(queue.as_str().into(), passive, FieldTable::default())
            .await?
            .message_count();
        let seed = Token {
            checkpoint_ms: now_ms() - self.lookback.as_millis() as i64,
            seen: Vec::new(),
        };
        if waiting == 0 {
            if let Err(error) = self.publish_token(&seed).await {
                tracing::warn!(error = %error, "cannot offer a polling token");
            }
        }
        let mut held: Option<(Token, Delivery)> = None;
        let mut tick = tokio::time::interval(self.interval);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                delivery = tokens.next() => {
                    let Some(Ok(delivery)) = delivery else { break };
                    held = self.take(held, delivery).await;
                    self.active.set(1);
                }
                _ = tick.tick(), if held.is_some() => {
                    if let Some((token, delivery)) = held.take() {
                        let next = self.poll(&token).await;
                        match self.publish_token(&next).await {
                            Ok(()) => {
                                let _ = delivery.acker.ack(BasicAckOptions::default()).await;
                            }
                            Err(error) => {
                                tracing::warn!(error = %error, "cannot pass the polling token on; keeping it");
                                held = Some((token, delivery));
                            }
                        }
                    }
                }
            }
        }
        // Closing the channel hands an unacknowledged token to the next dispatcher at once.
        let _ = channel.close(200, "poller stopping".into()).await;
        Ok(())
    }

    /// Keeps one token: the one with the later checkpoint; the other is acknowledged away.
    async fn take(
        &self,
        held: Option<(Token, Delivery)>,
        delivery: Delivery,
    ) -> Option<(Token, Delivery)> {
        let token: Token = serde_json::from_slice(&delivery.data).unwrap_or_else(|error| {
            tracing::warn!(error = %error, "unreadable polling token; starting from the look-back");
            Token {
                checkpoint_ms: now_ms() - self.lookback.as_millis() as i64,
                seen: Vec::new(),
            }
        });
        match held {
            None => Some((token, delivery)),
            Some((kept, kept_delivery)) => {
                let (keep, drop) = if token.checkpoint_ms > kept.checkpoint_ms {
                    ((token, delivery), kept_delivery)
                } else {
                    ((kept, kept_delivery), delivery)
                };
                let _ = drop.acker.ack(BasicAckOptions::default()).await;
                Some(keep)
            }
        }
    }

    async fn publish_token(&self, token: &Token) -> Result<(), shared::broker::PublishError> {
        let body = serde_json::to_vec(token).unwrap_or_default();
        let properties = BasicProperties::default().with_content_type("application/json".into());
        self.broker.publish(&Route::Poller, &body, properties).await
    }

    /// Queues every record modified since the checkpoint; returns the next token. On a failure
    /// part-way it returns what was reached, so the next poll resumes there.
    pub async fn poll(&self, token: &Token) -> Token {
        let mut next = token.clone();
        let mut offset = 0;
        loop {
            let page = match recently_modified(&self.identitynow, offset, PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(error = %error, "polling IdentityNow failed; trying again next time");
                    return next;
                }
            };
            let mut reached_checkpoint = false;
            for status in &page {
                let Some(modified) = status
                    .get("modified")
                    .and_then(|m| m.as_str())
                    .and_then(parse_iso8601)
                else {
                    continue;
                };
                if modified < token.checkpoint_ms {
                    reached_checkpoint = true;
                    break;
                }
                let key = change_key(status, modified);
                if modified == token.checkpoint_ms && token.seen.contains(&key) {
                    continue;
                }
                if belongs_to(status, &self.account).is_some() {
                    if let Err(error) = self.queue_status(status, &key).await {
                        tracing::warn!(error = %error, "cannot queue a status change; polling again later");
                        return next;
                    }
                }
                if modified > next.checkpoint_ms {
                    next.checkpoint_ms = modified;
                    next.seen.clear();
                }
                if modified == next.checkpoint_ms {
                    next.seen.push(key);
                }
            }
            if reached_checkpoint || page.len() < PAGE {
                return next;
            }
            offset += PAGE;
        }
    }

    async fn queue_status(
        &self,
        status: &serde_json::Value,
        key: &str,
    ) -> Result<(), shared::broker::PublishError> {
        let envelope = Envelope {
            source: Source::Identitynow,
            event: STATUS_EVENT.into(),
            delivery_id: format!("status-{key}"),
            received_at_ms: now_ms(),
            data: status.clone(),
        };
        let body = serde_json::to_vec(&envelope).unwrap_or_default();
        let properties = BasicProperties::default()
            .with_message_id(envelope.delivery_id.as_str().into())
            .with_content_type("application/json".into());
        self.broker.publish(&Route::Work, &body, properties).await
    }
}

/// Names one change of one record: IdentityNow's times are to the second, so two changes in
/// the same second differ only in their state and approvals.
fn change_key(status: &serde_json::Value, modified: i64) -> String {
    let approvals: Vec<&str> = status
        .get("approvalDetails")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("status").and_then(|s| s.as_str()))
        .collect();
    format!(
        "{}@{modified}:{}:{}",
        access_request_id(status).unwrap_or("?"),
        status.get("state").and_then(|s| s.as_str()).unwrap_or("?"),
        approvals.join(",")
    )
}

/// The event name of a status record queued by the poller.
pub const STATUS_EVENT: &str = "identitynow.status";
