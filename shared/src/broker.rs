//! A supervised RabbitMQ connection and a publisher that waits for confirms.
//!
//! [`Broker::start`] spawns a supervisor that connects, declares the topology, opens a
//! publishing channel in confirm mode and then watches both. When either breaks it drops the
//! session, waits (growing backoff, capped), and starts over, so a broker restart needs no
//! restart of ours. Consumers follow [`Broker::sessions`] to re-subscribe on each new session.
//!
//! [`Broker::publish`] returns only once RabbitMQ has confirmed the message. A returned
//! (unroutable) message, a nack, a missing session or a confirm that does not come in time is an
//! error, so callers never report success for a message that is not stored.

use crate::topology::{Route, Topology};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

/// How to reach the broker and what to declare there.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// `amqp://user:password@host:port/vhost`; secret because it holds the password.
    pub url: SecretString,
    /// Shown in the management UI's connection list.
    pub connection_name: String,
    /// What to declare after each connect.
    pub topology: Topology,
    /// The longest wait for a publisher confirm.
    pub confirm_timeout: Duration,
}

/// Why a publish did not end in a confirmed, stored message.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// No connection to RabbitMQ right now.
    #[error("not connected to RabbitMQ")]
    Unavailable,
    /// The message reached no queue (it came back as a `basic.return`).
    #[error("RabbitMQ could not route the message ({0})")]
    Unroutable(String),
    /// RabbitMQ refused to store the message.
    #[error("RabbitMQ refused the message (nack)")]
    Nacked,
    /// No confirm arrived in time; the message may or may not be stored.
    #[error("no publisher confirm within {0:?}")]
    ConfirmTimeout(Duration),
    /// The channel or connection failed during the publish.
    #[error("RabbitMQ channel failed: {0}")]
    Channel(#[from] lapin::Error),
}

/// One live connection with its confirm-mode publishing channel.
#[derive(Clone)]
pub struct Session {
    /// The connection; consumers open their own channels on it.
    pub connection: Arc<Connection>,
    publisher: Channel,
}

/// A handle on the supervised connection. Cheap to clone.
#[derive(Clone)]
pub struct Broker {
    config: Arc<BrokerConfig>,
    sessions: watch::Receiver<Option<Session>>,
    redeclare: Arc<Notify>,
}

impl Broker {
    /// Starts the supervisor; it runs until `stop` is cancelled, then closes the connection.
    pub fn start(config: BrokerConfig, stop: CancellationToken) -> Broker {
        let (sender, sessions) = watch::channel(None);
        let config = Arc::new(config);
        let redeclare = Arc::new(Notify::new());
        tokio::spawn(supervise(config.clone(), sender, redeclare.clone(), stop));
        Broker {
            config,
            sessions,
            redeclare,
        }
    }

    /// The topology this broker declares.
    pub fn topology(&self) -> &Topology {
        &self.config.topology
    }

    /// The current session, if connected and declared.
    pub fn session(&self) -> Option<Session> {
        self.sessions.borrow().clone()
    }

    /// True when connected with the topology declared.
    pub fn is_ready(&self) -> bool {
        self.sessions.borrow().is_some()
    }

    /// Follows session changes: `Some` after each (re)connect, `None` when it is lost.
    pub fn sessions(&self) -> watch::Receiver<Option<Session>> {
        self.sessions.clone()
    }

    /// Keeps `gauge` at 1 while a session is up and 0 otherwise.
    pub fn track_connection(&self, gauge: prometheus::IntGauge) {
        let mut sessions = self.sessions();
        tokio::spawn(async move {
            loop {
                gauge.set(i64::from(sessions.borrow_and_update().is_some()));
                if sessions.changed().await.is_err() {
                    return;
                }
            }
        });
    }

    /// Publishes persistently with `mandatory` to the connector's exchange and waits for the
    /// confirm.
    pub async fn publish(
        &self,
        route: &Route,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), PublishError> {
        let session = self.session().ok_or(PublishError::Unavailable)?;
        let timeout = self.config.confirm_timeout;
        let confirm = async {
            let pending = session
                .publisher
                .basic_publish(
                    self.config.topology.exchange().into(),
                    route.key().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    body,
                    properties.with_delivery_mode(2),
                )
                .await?;
            Ok::<_, PublishError>(pending.await?)
        };
        let confirmation = tokio::time::timeout(timeout, confirm)
            .await
            .map_err(|_| PublishError::ConfirmTimeout(timeout))??;
        if confirmation.is_nack() {
            return Err(PublishError::Nacked);
        }
        match confirmation.take_message() {
            Some(returned) => {
                // A queue of ours is gone (deleted by hand, say): start a new session, which
                // declares the topology again, instead of refusing every message from now on.
                self.redeclare.notify_one();
                Err(PublishError::Unroutable(returned.reply_text.to_string()))
            }
            None => Ok(()),
        }
    }
}

/// Connects, declares, and reconnects after any failure until stopped.
async fn supervise(
    config: Arc<BrokerConfig>,
    sessions: watch::Sender<Option<Session>>,
    redeclare: Arc<Notify>,
    stop: CancellationToken,
) {
    let mut backoff = Backoff::default();
    loop {
        let attempt = tokio::select! {
            _ = stop.cancelled() => return,
            attempt = tokio::time::timeout(Duration::from_secs(15), open(&config)) => attempt,
        };
        match attempt {
            Ok(Ok(session)) => {
                tracing::info!(connection = %config.connection_name, "connected to RabbitMQ");
                backoff.reset();
                let connection = session.connection.clone();
                let publisher = session.publisher.clone();
                sessions.send_replace(Some(session));
                let stopped = watch_until_broken(&connection, &publisher, &redeclare, &stop).await;
                sessions.send_replace(None);
                if stopped {
                    // Give consumers a moment to finish acking before the connection goes.
                    let _ = connection.close(200, "shutting down".into()).await;
                    return;
                }
                tracing::warn!(connection = %config.connection_name, "lost RabbitMQ connection");
                let _ = connection.close(320, "reconnecting".into()).await;
            }
            Ok(Err(error)) => {
                tracing::warn!(error = %error, "cannot connect to RabbitMQ");
            }
            Err(_) => tracing::warn!("connecting to RabbitMQ timed out"),
        }
        let delay = backoff.next();
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

async fn open(config: &BrokerConfig) -> Result<Session, lapin::Error> {
    let properties =
        ConnectionProperties::default().with_connection_name(config.connection_name.clone().into());
    let connection = Connection::connect(config.url.expose_secret(), properties).await?;
    config.topology.declare(&connection).await?;
    let publisher = connection.create_channel().await?;
    publisher
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    Ok(Session {
        connection: Arc::new(connection),
        publisher,
    })
}

/// Returns true when stopped on request, false when the connection or channel broke or the
/// topology must be declared again.
async fn watch_until_broken(
    connection: &Connection,
    publisher: &Channel,
    redeclare: &Notify,
    stop: &CancellationToken,
) -> bool {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return true,
            _ = redeclare.notified() => return false,
            _ = tick.tick() => {
                if !connection.status().connected() || !publisher.status().connected() {
                    return false;
                }
            }
        }
    }
}

/// Reconnect delays: 250 ms doubling to 10 s.
#[derive(Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let delay = Duration::from_millis(250) * 2u32.saturating_pow(self.failures.min(6));
        self.failures += 1;
        delay.min(Duration::from_secs(10))
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let mut backoff = Backoff::default();
        let delays: Vec<_> = (0..8).map(|_| backoff.next()).collect();
        assert_eq!(delays[0], Duration::from_millis(250));
        assert_eq!(delays[2], Duration::from_secs(1));
        assert_eq!(*delays.last().unwrap(), Duration::from_secs(10));
        backoff.reset();
        assert_eq!(backoff.next(), Duration::from_millis(250));
    }
}
