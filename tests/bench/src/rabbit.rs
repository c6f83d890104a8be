//! The broker side of a run: a queue prefix of its own, clean-up afterwards, and the plain
//! lapin publisher that measures what RabbitMQ itself can take on this machine.
//!
//! The ceiling publisher does exactly what the ingress does per message, minus HTTP and
//! verification: a persistent, mandatory publish of the same body with the same properties to
//! the same exchange and quorum queue, waiting for the publisher confirm.

use crate::load::{Phase, Tally};
use crate::BenchError;
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeleteOptions, QueueDeleteOptions,
    QueuePurgeOptions,
};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use shared::topology::Route;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The local broker (RabbitMQ on 127.0.0.1 only).
pub const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// Retry tiers the services run with; they name the wait queues to delete afterwards.
pub const RETRY_TIERS: &str = "2s,5s,10s";

/// A queue prefix no other run or test uses: `bench-<what>-<pid>-<seconds>`.
pub fn unique_prefix(what: &str) -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default();
    format!("bench-{what}-{}-{seconds}", std::process::id())
}

/// Every route the services declare under a prefix.
fn routes() -> Vec<Route> {
    let topology = shared::topology::Topology {
        prefix: String::new(),
        retry_tiers: shared::config::list(RETRY_TIERS)
            .iter()
            .filter_map(|tier| shared::config::parse_duration(tier).ok())
            .collect(),
        hold_time: std::time::Duration::from_secs(7 * 86_400),
    };
    topology.routes()
}

/// Deletes the prefix's queues and exchange; returns how many queues were deleted.
///
/// Each delete gets a fresh connection: a failed one (a queue that was never declared, or a
/// quorum queue still electing its leader) can take the connection down with it.
pub async fn delete_all(prefix: &str) -> Result<usize, BenchError> {
    let mut deleted = 0;
    for route in routes() {
        let queue = format!("{prefix}.{}", route.key());
        for _attempt in 0..3 {
            if delete_queue(&queue).await.is_ok() {
                deleted += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let connection = connect("connector-bench-cleanup").await?;
    let channel = connection.create_channel().await?;
    let options = ExchangeDeleteOptions::default();
    let _ = channel.exchange_delete(prefix.into(), options).await;
    let _ = connection.close(200, "bench done".into()).await;
    Ok(deleted)
}

async fn delete_queue(queue: &str) -> Result<(), BenchError> {
    let connection = connect("connector-bench-cleanup").await?;
    let channel = connection.create_channel().await?;
    let deleted = channel
        .queue_delete(queue.into(), QueueDeleteOptions::default())
        .await;
    let _ = connection.close(200, "bench done".into()).await;
    deleted.map(|_| ()).map_err(BenchError::from)
}

/// Empties the prefix's work queue; returns how many messages it held.
pub async fn purge_work(connection: &Connection, prefix: &str) -> Result<u32, BenchError> {
    let channel = connection.create_channel().await?;
    let queue = format!("{prefix}.{}", Route::Work.key());
    let purged = channel
        .queue_purge(queue.as_str().into(), QueuePurgeOptions::default())
        .await?;
    let _ = channel.close(200, "purged".into()).await;
    Ok(purged)
}

/// Opens a connection to the local broker.
pub async fn connect(name: &str) -> Result<Connection, BenchError> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    Ok(Connection::connect(AMQP_URL, properties).await?)
}

/// A confirm-mode channel publishing what the ingress publishes.
#[derive(Clone)]
pub struct CeilingPublisher {
    channel: Channel,
    exchange: String,
    body: bytes::Bytes,
}

impl CeilingPublisher {
    /// Opens a confirm channel on `connection` that publishes `body` to `prefix`'s work queue.
    pub async fn open(
        connection: &Connection,
        prefix: &str,
        body: bytes::Bytes,
    ) -> Result<Self, BenchError> {
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Self {
            channel,
            exchange: prefix.to_owned(),
            body,
        })
    }

    /// Publishes one message and waits for its confirm; false on nack, return or error.
    pub async fn publish_confirmed(&self, message_id: &str) -> bool {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or_default();
        let properties = BasicProperties::default()
            .with_message_id(message_id.into())
            .with_content_type("application/json".into())
            .with_timestamp(seconds)
            .with_delivery_mode(2);
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let published = self
            .channel
            .basic_publish(
                self.exchange.as_str().into(),
                Route::Work.key().into(),
                options,
                &self.body,
                properties,
            )
            .await;
        let Ok(pending) = published else {
            return false;
        };
        match pending.await {
            Ok(confirmation) => confirmation.is_ack() && confirmation.take_message().is_none(),
            Err(_) => false,
        }
    }

    /// One closed-loop worker: publishes back to back until the phase ends.
    pub async fn work(self, worker: usize, phase: Phase) -> Tally {
        let mut tally = Tally::default();
        let mut sequence = 0u64;
        while phase.running() {
            let message_id = format!("ceiling-{worker}-{sequence}");
            sequence += 1;
            let started = Instant::now();
            let ok = self.publish_confirmed(&message_id).await;
            tally.record(&phase, started, ok);
        }
        tally
    }
}

/// How long to let the broker settle between phases (queue purge, disk flush).
pub const SETTLE: Duration = Duration::from_secs(2);
