//! Logs, metrics and health endpoints.
//!
//! Logs are JSON lines by default (`LOG_FORMAT=pretty` for people at a terminal), filtered by
//! `RUST_LOG`. Each service keeps its metrics in its own [`Registry`], so tests can run several
//! services in one process; [`health_routes`] serves `/live` (no I/O), `/ready` and `/metrics`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use prometheus::{Encoder, IntGauge, Registry, TextEncoder};
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// Starts logging for a service binary; safe to call once per process.
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let pretty = std::env::var("LOG_FORMAT").is_ok_and(|format| format == "pretty");
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = if pretty {
        builder.try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    };
    if let Err(error) = result {
        eprintln!("logging was already set up: {error}");
    }
}

/// Decides readiness; called on every `/ready` request, so it must not block.
pub type ReadyProbe = Arc<dyn Fn() -> bool + Send + Sync>;

#[derive(Clone)]
struct Health {
    registry: Registry,
    ready: ReadyProbe,
}

/// `/live`, `/ready` and `/metrics`.
pub fn health_routes(registry: Registry, ready: ReadyProbe) -> Router {
    Router::new()
        .route("/live", get(|| async { "live\n" }))
        .route("/ready", get(ready_handler))
        .route("/metrics", get(metrics_handler))
        .with_state(Health { registry, ready })
}

async fn ready_handler(State(health): State<Health>) -> impl IntoResponse {
    if (health.ready)() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

async fn metrics_handler(State(health): State<Health>) -> impl IntoResponse {
    let mut body = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(error) = encoder.encode(&health.registry.gather(), &mut body) {
        tracing::error!(error = %error, "cannot encode metrics");
        return (StatusCode::INTERNAL_SERVER_ERROR, Vec::new()).into_response();
    }
    (
        [(header::CONTENT_TYPE, encoder.format_type().to_owned())],
        body,
    )
        .into_response()
}

/// Registers a metric, which only fails for a duplicate name: a programming error that tests
/// catch, so it is reported loudly rather than returned.
pub fn register<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: M,
) -> M {
    if let Err(error) = registry.register(Box::new(metric.clone())) {
        tracing::error!(error = %error, "metric registered twice");
    }
    metric
}

/// `connector_broker_connected{service}`: 1 while the service has a RabbitMQ session.
pub fn broker_connected_gauge(registry: &Registry, service: &str) -> IntGauge {
    let opts = prometheus::Opts::new(
        "connector_broker_connected",
        "1 while connected to RabbitMQ with the topology declared, else 0.",
    )
    .const_label("service", service);
    register(
        registry,
        IntGauge::with_opts(opts).expect("static metric definition"),
    )
}
