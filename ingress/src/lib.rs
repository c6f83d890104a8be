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
//! - [`reply`]: the JSON answers.
//! - [`metrics`]: Prometheus metrics.

pub mod account;
pub mod app;
pub mod config;
pub mod metrics;
pub mod reply;
pub mod signature;
pub mod triggers;
pub mod verify;
pub mod webhook;

use app::{router, AppState};
use axum::serve::ListenerExt;
use config::IngressConfig;
use metrics::IngressMetrics;
use shared::broker::Broker;
use std::future::IntoFuture;
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
    // that never completes its request (a half-sent header) cannot hold the stop up longer.
    let grace = state.config.request_deadline + Duration::from_secs(2);
    // Answers are written whole in one write, so there is nothing for Nagle's algorithm to
    // merge; without it, an answer never waits for the client's acknowledgement of the previous
    // answer.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(error = %error, "cannot set TCP_NODELAY on a connection");
        }
    });
    let server = axum::serve(listener, router(state))
        .with_graceful_shutdown(stop.clone().cancelled_owned())
        .into_future();
    let served = tokio::select! {
        served = server => served,
        _ = async { stop.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(grace_s = grace.as_secs(), "connections still open after the stop grace; closing them");
            Ok(())
        }
    };
    broker_stop.cancel();
    served
}
