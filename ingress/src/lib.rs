//! The ingress: takes 4me webhooks and IdentityNow event triggers over HTTP, verifies and
//! filters them, and stores each accepted one durably in RabbitMQ before answering. It holds no
//! business logic; the dispatcher does the work.
//!
//! - [`config`]: settings from the environment.
//! - [`account`]: the 4me account's hosts and issuers (both brands, all regions).
//! - [`signature`]: webhook-policy JWT verification.
//! - [`verify`]: the `webhook.verify` handshake.
//! - [`webhook`]: `POST /webhooks/4me`.
//! - [`triggers`]: `POST /webhooks/identitynow`.
//! - [`app`]: shared state, publishing, routes.
//! - [`server`]: the HTTP/1.1 server loop, its head deadline and graceful stop.
//! - [`reply`]: the JSON answers.
//! - [`metrics`]: Prometheus metrics.

pub mod account;
pub mod app;
pub mod config;
pub mod metrics;
pub mod reply;
pub mod server;
pub mod signature;
pub mod triggers;
pub mod verify;
pub mod webhook;

use app::{router, AppState};
use config::IngressConfig;
use metrics::IngressMetrics;
use shared::broker::Broker;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use verify::Verifier;

/// Runs the ingress on `listener` until `stop` is cancelled.
///
/// On stop it first stops accepting requests and finishes the ones in flight, then closes the
/// broker connection, so no request is answered after its publish could no longer happen.
pub async fn run(
    config: IngressConfig,
    listener: TcpListener,
    stop: CancellationToken,
) -> std::io::Result<()> {
    if config.allow_unsigned {
        tracing::warn!(
            "FOURME_ALLOW_UNSIGNED=true: unsigned 4me deliveries are accepted; sandboxes only"
        );
    }
    if config.trigger_credentials.is_none() {
        tracing::warn!("IdentityNow event triggers are off: set IDN_TRIGGER_TOKEN (or IDN_TRIGGER_USER and IDN_TRIGGER_PASSWORD)");
    }
    let broker_stop = CancellationToken::new();
    let broker = Broker::start(config.broker.clone(), broker_stop.clone());
    let metrics = IngressMetrics::new();
    broker.track_connection(metrics.broker_connected.clone());
    let state = AppState {
        verifier: Verifier::new(config.account.clone()),
        config: Arc::new(config),
        broker,
        metrics,
    };
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "ingress listening");
    }
    // In-flight requests get the request deadline and a little more to finish; a connection
    // that never completes its request cannot hold the stop up longer.
    let grace = state.config.request_deadline + Duration::from_secs(2);
    let head_deadline = state.config.request_deadline;
    let head_timeouts = state.metrics.head_timeouts.clone();
    server::serve(
        listener,
        router(state),
        head_deadline,
        head_timeouts,
        stop,
        grace,
    )
    .await;
    broker_stop.cancel();
    Ok(())
}
