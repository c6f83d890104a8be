//! The library both connector services share.
//!
//! - [`config`]: reading settings and secrets from the environment, durations.
//! - [`envelope`]: the message body published to RabbitMQ and the delivery headers the
//!   dispatcher keeps on it between attempts.
//! - [`topology`]: the exchange and queues, their arguments, and an idempotent declare.
//! - [`broker`]: a supervised RabbitMQ connection and a publisher that waits for confirms.
//! - [`telemetry`]: JSON logs, the Prometheus registry and the `/live`, `/ready` and
//!   `/metrics` endpoints.
//! - [`shutdown`]: the signal that starts a graceful stop.
//! - [`service`]: the common start of both service binaries.

pub mod broker;
pub mod config;
pub mod envelope;
pub mod service;
pub mod shutdown;
pub mod telemetry;
pub mod topology;
