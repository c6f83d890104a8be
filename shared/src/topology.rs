//! The RabbitMQ objects the connector uses, and how they are declared.
//!
//! One direct exchange, named by the prefix, routes by key:
//!
//! | routing key     | queue                 | kind   | why                                        |
//! |-----------------|-----------------------|--------|--------------------------------------------|
//! | `work`          | `<prefix>.work`       | quorum | events waiting for the dispatcher          |
//! | `wait.<ttl>`    | `<prefix>.wait.<ttl>` | quorum | a retry waiting out one fixed delay        |
//! | `hold`          | `<prefix>.hold`       | quorum | undelivered, kept for the hold time        |
//! | `expired`       | `<prefix>.expired`    | quorum | held too long: recorded, then removed      |
//! | `poller`        | `<prefix>.poller`     | quorum | the polling token: whoever holds it polls  |
//!
//! Every queue dead-letters at-least-once (which needs `x-overflow: reject-publish`), so a
//! message moves between queues only after its target confirmed it. Each wait queue has one
//! TTL for all its messages and is named by it, so expiry order is arrival order and a changed
//! retry schedule declares new queues instead of changing an existing one's arguments.
//!
//! Declaring is idempotent. If a queue already exists with other arguments (an older version,
//! or a changed hold time), RabbitMQ refuses with PRECONDITION_FAILED; the connector then logs a
//! warning and uses the existing queue as it is (a passive declare) instead of failing to start.

use crate::config::format_duration;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, Connection, ExchangeKind};
use std::time::Duration;

/// A quorum queue returns a message this many times before dead-lettering it as poison.
pub const WORK_DELIVERY_LIMIT: i64 = 20;

/// Held and expired messages are read (and returned) by the admin listing, so their
/// delivery limit is set far out of reach; RabbitMQ 4 would otherwise default to 20.
const BROWSE_DELIVERY_LIMIT: i64 = 1_000_000;

/// Names and timings of the connector's exchange and queues.
#[derive(Clone, Debug)]
pub struct Topology {
    /// Prefix of every name; lets several installations or tests share one vhost.
    pub prefix: String,
    /// Delays of the retry wait queues, shortest first.
    pub retry_tiers: Vec<Duration>,
    /// How long an undelivered message is held before it expires.
    pub hold_time: Duration,
}

/// A routing key for one of the queues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The work queue.
    Work,
    /// The wait queue with this delay.
    Wait(Duration),
    /// The hold queue.
    Hold,
    /// The expired queue.
    Expired,
    /// The poller token queue.
    Poller,
}

impl Route {
    /// The routing key on the connector's exchange.
    pub fn key(&self) -> String {
        match self {
            Route::Work => "work".into(),
            Route::Wait(delay) => format!("wait.{}", format_duration(*delay)),
            Route::Hold => "hold".into(),
            Route::Expired => "expired".into(),
            Route::Poller => "poller".into(),
        }
    }
}

impl Topology {
    /// The exchange every message is published to.
    pub fn exchange(&self) -> &str {
        &self.prefix
    }

    /// The queue that a route leads to.
    pub fn queue(&self, route: &Route) -> String {
        format!("{}.{}", self.prefix, route.key())
    }

    /// Every route, so tools and tests can find every queue.
    pub fn routes(&self) -> Vec<Route> {
        self.queues().into_iter().map(|(route, _)| route).collect()
    }

    /// Declares the exchange, every queue and every binding.
    pub async fn declare(&self, connection: &Connection) -> Result<(), lapin::Error> {
        let mut channel = connection.create_channel().await?;
        channel
            .exchange_declare(
                self.exchange().into(),
                ExchangeKind::Direct,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        for (route, arguments) in self.queues() {
            let name = self.queue(&route);
            // A refused declare closes its channel; carry on with the one that is still open.
            channel = declare_queue(connection, channel, &name, arguments).await?;
            channel
                .queue_bind(
                    name.as_str().into(),
                    self.exchange().into(),
                    route.key().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        channel.close(200, "topology declared".into()).await
    }

    /// Every queue with its arguments.
    fn queues(&self) -> Vec<(Route, FieldTable)> {
        let mut queues = vec![
            (
                Route::Work,
                self.arguments(Route::Hold, None, WORK_DELIVERY_LIMIT, true),
            ),
            (
                Route::Hold,
                self.arguments(
                    Route::Expired,
                    Some(self.hold_time),
                    BROWSE_DELIVERY_LIMIT,
                    false,
                ),
            ),
            (Route::Expired, quorum(BROWSE_DELIVERY_LIMIT)),
            (Route::Poller, poller_arguments()),
        ];
        for tier in &self.retry_tiers {
            queues.push((
                Route::Wait(*tier),
                self.arguments(Route::Work, Some(*tier), BROWSE_DELIVERY_LIMIT, false),
            ));
        }
        queues
    }

    fn arguments(
        &self,
        dead_letter_to: Route,
        ttl: Option<Duration>,
        delivery_limit: i64,
        single_active_consumer: bool,
    ) -> FieldTable {
        let mut arguments = quorum(delivery_limit);
        let mut put = |key: &str, value: AMQPValue| {
            arguments.insert(key.into(), value);
        };
        put(
            "x-dead-letter-exchange",
            AMQPValue::LongString(self.exchange().into()),
        );
        put(
            "x-dead-letter-routing-key",
            AMQPValue::LongString(dead_letter_to.key().into()),
        );
        put(
            "x-dead-letter-strategy",
            AMQPValue::LongString("at-least-once".into()),
        );
        put("x-overflow", AMQPValue::LongString("reject-publish".into()));
        if let Some(ttl) = ttl {
            put(
                "x-message-ttl",
                AMQPValue::LongLongInt(ttl.as_millis() as i64),
            );
        }
        if single_active_consumer {
            // One dispatcher consumes at a time; the others stand by and take over when it
            // goes away. This is half of the no-double-submission guarantee (see README).
            put("x-single-active-consumer", AMQPValue::Boolean(true));
        }
        arguments
    }
}

/// The poller queue holds one token message; its single active consumer is the one dispatcher
/// that polls, and when that consumer goes away the token passes to the next.
fn poller_arguments() -> FieldTable {
    let mut arguments = quorum(BROWSE_DELIVERY_LIMIT);
    arguments.insert(
        ShortString::from("x-single-active-consumer"),
        AMQPValue::Boolean(true),
    );
    arguments
}

fn quorum(delivery_limit: i64) -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert(
        ShortString::from("x-queue-type"),
        AMQPValue::LongString("quorum".into()),
    );
    arguments.insert(
        ShortString::from("x-delivery-limit"),
        AMQPValue::LongLongInt(delivery_limit),
    );
    arguments
}

/// Declares one durable queue; falls back to the existing queue when its arguments differ.
/// Returns a channel that is still open (a refused declare closes the one it was sent on).
async fn declare_queue(
    connection: &Connection,
    channel: Channel,
    name: &str,
    arguments: FieldTable,
) -> Result<Channel, lapin::Error> {
    let options = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    match channel.queue_declare(name.into(), options, arguments).await {
        Ok(_) => Ok(channel),
        Err(error) if is_precondition_failed(&error) => {
            tracing::warn!(
                queue = name,
                error = %error,
                "queue exists with other arguments; using it as it is (see README, Upgrading)"
            );
            let channel = connection.create_channel().await?;
            let passive = QueueDeclareOptions {
                passive: true,
                ..options
            };
            channel
                .queue_declare(name.into(), passive, FieldTable::default())
                .await?;
            Ok(channel)
        }
        Err(error) => Err(error),
    }
}

fn is_precondition_failed(error: &lapin::Error) -> bool {
    error.to_string().contains("PRECONDITION_FAILED")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_queues_are_named_by_their_delay() {
        let topology = Topology {
            prefix: "connector".into(),
            retry_tiers: vec![Duration::from_secs(30), Duration::from_secs(120)],
            hold_time: Duration::from_secs(7 * 86_400),
        };
        assert_eq!(
            topology.queue(&Route::Wait(Duration::from_secs(120))),
            "connector.wait.2m"
        );
        assert_eq!(topology.queue(&Route::Hold), "connector.hold");
        assert_eq!(topology.queues().len(), 6);
    }
}
