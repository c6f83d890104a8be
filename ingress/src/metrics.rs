//! The ingress's Prometheus metrics.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};
use shared::telemetry::{broker_connected_gauge, register};

/// Counters and timings of the ingress.
#[derive(Clone)]
pub struct IngressMetrics {
    /// The registry served on `/metrics`.
    pub registry: Registry,
    /// `connector_ingress_webhooks_total{source,outcome}`.
    pub webhooks: IntCounterVec,
    /// `connector_ingress_publish_duration_seconds`: from receipt to broker confirm.
    pub publish_duration: Histogram,
    /// `connector_broker_connected{service="ingress"}`.
    pub broker_connected: IntGauge,
    /// `connector_ingress_connections_closed_total{reason="head_timeout"}`: connections closed
    /// because their request head did not arrive within the deadline.
    pub head_timeouts: IntCounter,
}

/// How the ingress answered one delivery; the `outcome` label.
#[derive(Clone, Copy, Debug)]
pub enum Outcome {
    /// Stored in RabbitMQ (2xx).
    Accepted,
    /// An event the connector does not handle (200, nothing stored).
    Ignored,
    /// A `webhook.verify` handshake answered.
    Verified,
    /// Signature, issuer, audience or time check failed; or a refused verify callback.
    Rejected,
    /// Event-trigger credentials missing or wrong.
    Unauthorized,
    /// Body over the limit.
    TooLarge,
    /// Not JSON, or JSON of the wrong shape.
    Malformed,
    /// RabbitMQ did not confirm; the sender should retry (503).
    Unavailable,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Ignored => "ignored",
            Outcome::Verified => "verified",
            Outcome::Rejected => "rejected",
            Outcome::Unauthorized => "unauthorized",
            Outcome::TooLarge => "too_large",
            Outcome::Malformed => "malformed",
            Outcome::Unavailable => "unavailable",
        }
    }
}

impl IngressMetrics {
    /// Creates and registers every metric in a fresh registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let webhooks = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "connector_ingress_webhooks_total",
                    "Deliveries received, by sender and how they were answered.",
                ),
                &["source", "outcome"],
            )
            .expect("static metric definition"),
        );
        let publish_duration = register(
            &registry,
            Histogram::with_opts(
                HistogramOpts::new(
                    "connector_ingress_publish_duration_seconds",
                    "Time from receiving an accepted delivery to RabbitMQ's confirm.",
                )
                .buckets(vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ]),
            )
            .expect("static metric definition"),
        );
        let broker_connected = broker_connected_gauge(&registry, "ingress");
        let closed = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "connector_ingress_connections_closed_total",
                    "Connections the ingress closed without an answer, by reason.",
                ),
                &["reason"],
            )
            .expect("static metric definition"),
        );
        IngressMetrics {
            registry,
            webhooks,
            publish_duration,
            broker_connected,
            head_timeouts: closed.with_label_values(&["head_timeout"]),
        }
    }

    /// Counts one delivery from `source` answered with `outcome`.
    pub fn count(&self, source: &str, outcome: Outcome) {
        self.webhooks
            .with_label_values(&[source, outcome.label()])
            .inc();
    }
}

impl Default for IngressMetrics {
    fn default() -> Self {
        Self::new()
    }
}
