//! Consuming the work and expired queues, session after session.
//!
//! On every new broker session the dispatcher opens one channel per queue with a bounded
//! prefetch and handles each delivery in its own task. When the session is lost, unacked
//! deliveries return to the queue by themselves; their ackers belong to the dead channel and
//! are never used again. On stop, consuming ends first and in-flight work gets a bounded time
//! to finish; whatever does not finish is aborted, not acked, and will be redelivered (so a
//! late finish can never act on a message another dispatcher already has).

use crate::delivery::Deliverer;
use crate::expiry::Expiry;
use futures_util::StreamExt;
use lapin::options::{
    BasicCancelOptions, BasicConsumeOptions, BasicQosOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Consumer};
use shared::broker::{Broker, Session};
use shared::topology::Route;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How the consumers run.
#[derive(Clone, Copy, Debug)]
pub struct ConsumerSettings {
    /// Unacked work deliveries at once (and so concurrent events).
    pub prefetch: u16,
    /// How long in-flight work may take to finish after a stop.
    pub drain_timeout: Duration,
}

/// Consumes until `stop`, then drains.
pub async fn run(
    broker: Broker,
    deliverer: Arc<Deliverer>,
    expiry: Arc<Expiry>,
    settings: ConsumerSettings,
    stop: CancellationToken,
) {
    let mut in_flight = JoinSet::new();
    let mut sessions = broker.sessions();
    'sessions: loop {
        let session = tokio::select! {
            _ = stop.cancelled() => break,
            changed = sessions.wait_for(Option::is_some) => match changed {
                Ok(session) => session.clone(),
                Err(_) => break,
            },
        };
        let Some(session) = session else { continue };
        let (work, expired) = match open(&broker, &session, settings.prefetch).await {
            Ok(consumers) => consumers,
            Err(error) => {
                tracing::warn!(error = %error, "cannot start consuming; waiting for a new session");
                let _ = sessions.wait_for(Option::is_none).await;
                continue;
            }
        };
        tracing::info!(prefetch = settings.prefetch, "consuming");
        let (work_channel, mut work) = work;
        let (expired_channel, mut expired) = expired;
        loop {
            tokio::select! {
                _ = stop.cancelled() => {
                    cancel(&work_channel, &work).await;
                    cancel(&expired_channel, &expired).await;
                    break 'sessions;
                }
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                delivery = work.next() => match delivery {
                    Some(Ok(delivery)) => {
                        let deliverer = deliverer.clone();
                        in_flight.spawn(async move { deliverer.deliver(delivery).await });
                    }
                    _ => break,
                },
                delivery = expired.next() => match delivery {
                    Some(Ok(delivery)) => {
                        let expiry = expiry.clone();
                        in_flight.spawn(async move { expiry.record(delivery).await });
                    }
                    _ => break,
                },
            }
        }
        tracing::warn!("consumer stopped with the session; waiting to reconnect");
        let _ = sessions.wait_for(Option::is_none).await;
    }
    drain(in_flight, settings.drain_timeout).await;
}

/// Lets in-flight work finish for up to `timeout`, then aborts the rest unacked.
async fn drain(mut in_flight: JoinSet<()>, timeout: Duration) {
    let waiting = in_flight.len();
    let finished = tokio::time::timeout(timeout, async {
        while in_flight.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            unfinished = in_flight.len(),
            "in-flight work did not finish in time; aborted unacked, it will be redelivered"
        );
        in_flight.shutdown().await;
    } else if waiting > 0 {
        tracing::info!(finished = waiting, "in-flight work finished");
    }
}

async fn open(
    broker: &Broker,
    session: &Session,
    prefetch: u16,
) -> Result<((Channel, Consumer), (Channel, Consumer)), lapin::Error> {
    let topology = broker.topology();
    let work = consume(session, &topology.queue(&Route::Work), prefetch).await?;
    let expired = consume(session, &topology.queue(&Route::Expired), 4).await?;
    Ok((work, expired))
}

async fn consume(
    session: &Session,
    queue: &str,
    prefetch: u16,
) -> Result<(Channel, Consumer), lapin::Error> {
    let channel = session.connection.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let tag = format!("dispatcher-{}", uuid::Uuid::new_v4());
    let consumer = channel
        .basic_consume(
            queue.into(),
            tag.as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok((channel, consumer))
}

async fn cancel(channel: &Channel, consumer: &Consumer) {
    let tag = consumer.tag();
    if let Err(error) = channel
        .basic_cancel(tag, BasicCancelOptions::default())
        .await
    {
        tracing::debug!(error = %error, "cancel failed");
    }
}

/// Keeps the queue gauges current by asking RabbitMQ every `period`.
pub async fn watch_queues(
    broker: Broker,
    metrics: crate::metrics::DispatcherMetrics,
    period: Duration,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let Some(session) = broker.session() else {
            continue;
        };
        let Ok(channel) = session.connection.create_channel().await else {
            continue;
        };
        let topology = broker.topology();
        let mut routes = vec![
            ("work", Route::Work),
            ("hold", Route::Hold),
            ("expired", Route::Expired),
        ];
        routes.extend(
            topology
                .retry_tiers
                .iter()
                .map(|tier| ("wait", Route::Wait(*tier))),
        );
        let mut waiting = 0;
        for (label, route) in routes {
            let passive = QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            };
            let Ok(queue) = channel
                .queue_declare(
                    topology.queue(&route).as_str().into(),
                    passive,
                    FieldTable::default(),
                )
                .await
            else {
                break;
            };
            let messages = i64::from(queue.message_count());
            if label == "wait" {
                waiting += messages;
                metrics
                    .queue_messages
                    .with_label_values(&["wait"])
                    .set(waiting);
                continue;
            }
            metrics
                .queue_messages
                .with_label_values(&[label])
                .set(messages);
            metrics
                .queue_consumers
                .with_label_values(&[label])
                .set(i64::from(queue.consumer_count()));
            if label == "hold" {
                metrics.held_messages.set(messages);
            }
        }
        let _ = channel.close(200, "queue check done".into()).await;
        update_next_expiry(&broker, &metrics).await;
    }
}

/// `connector_hold_next_expiry_seconds`: browse the hold queue for its earliest expiry.
async fn update_next_expiry(broker: &Broker, metrics: &crate::metrics::DispatcherMetrics) {
    if metrics.held_messages.get() == 0 {
        metrics.hold_next_expiry.set(f64::INFINITY);
        return;
    }
    if let Ok((held, _)) = crate::held::browse(broker, |_| false).await {
        let now = shared::envelope::now_ms();
        let next = held
            .iter()
            .filter_map(|message| message.expires_at_ms)
            .min();
        metrics.hold_next_expiry.set(match next {
            Some(at) => ((at - now) as f64 / 1000.0).max(0.0),
            None => f64::INFINITY,
        });
    }
}
