//! The dispatcher's Prometheus metrics. Labels come from small fixed sets, never ids.

use crate::failure::Peer;
use prometheus::{
    Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry,
};
use shared::telemetry::{broker_connected_gauge, register};

/// Counters, gauges and timings of the dispatcher.
#[derive(Clone)]
pub struct DispatcherMetrics {
    /// The registry served on `/metrics`.
    pub registry: Registry,
    /// `connector_dispatch_total{outcome}`.
    pub dispatch: IntCounterVec,
    /// `connector_dispatch_duration_seconds`: one attempt at one event.
    pub dispatch_duration: Histogram,
    /// `connector_refusals_total{reason}`.
    pub refusals: IntCounterVec,
    /// `connector_peer_failures_total{peer,kind}`.
    pub peer_failures: IntCounterVec,
    /// `connector_peer_requests_total{peer,status_class}`.
    pub peer_requests: IntCounterVec,
    /// `connector_peer_request_duration_seconds{peer}`.
    pub peer_duration: HistogramVec,
    /// `connector_delivery_failing_total`.
    pub delivery_failing: IntCounter,
    /// `connector_held_total{cause}`.
    pub held: IntCounterVec,
    /// `connector_expired_total`.
    pub expired: IntCounter,
    /// `connector_resent_total{via}`.
    pub resent: IntCounterVec,
    /// `connector_notes_failed_total`: a note that could not be written to 4me.
    pub notes_failed: IntCounter,
    /// `connector_queue_messages{queue}`.
    pub queue_messages: IntGaugeVec,
    /// `connector_queue_consumers{queue}`.
    pub queue_consumers: IntGaugeVec,
    /// `connector_held_messages`.
    pub held_messages: IntGauge,
    /// `connector_hold_next_expiry_seconds`.
    pub hold_next_expiry: Gauge,
    /// `connector_broker_connected{service="dispatcher"}`.
    pub broker_connected: IntGauge,
    /// `connector_poller_active`.
    pub poller_active: IntGauge,
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(
        registry,
        IntCounterVec::new(Opts::new(name, help), labels).expect("static metric definition"),
    )
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    register(
        registry,
        IntCounter::new(name, help).expect("static metric definition"),
    )
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    register(
        registry,
        IntGaugeVec::new(Opts::new(name, help), labels).expect("static metric definition"),
    )
}

const SECONDS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

impl DispatcherMetrics {
    /// Creates and registers every metric in a fresh registry.
    pub fn new() -> Self {
        let r = Registry::new();
        DispatcherMetrics {
            dispatch: counter_vec(
                &r,
                "connector_dispatch_total",
                "Events handled, by outcome.",
                &["outcome"],
            ),
            dispatch_duration: register(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "connector_dispatch_duration_seconds",
                        "Time spent on one attempt at one event.",
                    )
                    .buckets(SECONDS.to_vec()),
                )
                .expect("static metric definition"),
            ),
            refusals: counter_vec(
                &r,
                "connector_refusals_total",
                "Requests that cannot be submitted, by reason.",
                &["reason"],
            ),
            peer_failures: counter_vec(
                &r,
                "connector_peer_failures_total",
                "Failed calls to IdentityNow or 4me, by kind.",
                &["peer", "kind"],
            ),
            peer_requests: counter_vec(
                &r,
                "connector_peer_requests_total",
                "Calls to IdentityNow or 4me, by status class.",
                &["peer", "status_class"],
            ),
            peer_duration: register(
                &r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "connector_peer_request_duration_seconds",
                        "Duration of calls to IdentityNow or 4me.",
                    )
                    .buckets(SECONDS.to_vec()),
                    &["peer"],
                )
                .expect("static metric definition"),
            ),
            delivery_failing: counter(
                &r,
                "connector_delivery_failing_total",
                "Requests that reached the repeated-failure notification.",
            ),
            held: counter_vec(
                &r,
                "connector_held_total",
                "Messages put on hold, by cause.",
                &["cause"],
            ),
            expired: counter(
                &r,
                "connector_expired_total",
                "Held messages that expired undelivered.",
            ),
            resent: counter_vec(
                &r,
                "connector_resent_total",
                "Held messages sent again by an operator, by how.",
                &["via"],
            ),
            notes_failed: counter(
                &r,
                "connector_notes_failed_total",
                "Notes that could not be written to 4me.",
            ),
            queue_messages: gauge_vec(
                &r,
                "connector_queue_messages",
                "Messages in the connector's queues.",
                &["queue"],
            ),
            queue_consumers: gauge_vec(
                &r,
                "connector_queue_consumers",
                "Consumers on the connector's queues.",
                &["queue"],
            ),
            held_messages: register(
                &r,
                IntGauge::new("connector_held_messages", "Messages in the hold queue.")
                    .expect("static metric definition"),
            ),
            hold_next_expiry: register(
                &r,
                Gauge::new(
                    "connector_hold_next_expiry_seconds",
                    "Seconds until the earliest held message expires (+Inf when none).",
                )
                .expect("static metric definition"),
            ),
            broker_connected: broker_connected_gauge(&r, "dispatcher"),
            poller_active: register(
                &r,
                IntGauge::new(
                    "connector_poller_active",
                    "1 while this dispatcher holds the polling token, else 0.",
                )
                .expect("static metric definition"),
            ),
            registry: r,
        }
    }

    /// Counts one call to `peer` by status class.
    pub fn peer_request(&self, peer: Peer, status_class: &str) {
        self.peer_requests
            .with_label_values(&[peer.label(), status_class])
            .inc();
    }

    /// Counts one dispatch outcome.
    pub fn outcome(&self, outcome: &str) {
        self.dispatch.with_label_values(&[outcome]).inc();
    }
}

impl Default for DispatcherMetrics {
    fn default() -> Self {
        Self::new()
    }
}
