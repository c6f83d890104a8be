//! The dispatcher: consumes the events the ingress stored, turns 4me access requests into
//! IdentityNow access requests, writes the outcome back on 4me, and owns the retry and hold
//! decisions.
//!
//! - [`config`], [`mapping`]: settings and the customer's mapping.
//! - [`intent`]: reading a 4me request as an access request.
//! - [`fourme`], [`identitynow`], [`peer`]: the API clients.
//! - [`process`]: carrying out one event.
//! - [`failure`]: what can fail, and the one place deciding retry versus refuse.
//! - [`schedule`]: the retry schedule and the hold.
//! - [`delivery`]: one delivery from the queue, start to finish.
//! - [`consumer`]: consuming across reconnects, draining on stop.
//! - [`expiry`]: recording messages that expired on hold.
//! - [`held`], [`admin`]: listing and resending held messages.
//! - [`recent_failures`]: the last failures, shown on the admin page.
//! - [`notes`], [`notify`]: telling people, once per stage.
//! - [`locks`]: one event per 4me request at a time.
//! - [`throttle`]: client-side rate limits per peer.
//! - [`tracking`]: IdentityNow's progress written back on 4me; the poller; cancel.
//! - [`time`]: printing UTC instants.
//! - [`metrics`]: Prometheus metrics.

pub mod admin;
pub mod config;
pub mod consumer;
pub mod delivery;
pub mod expiry;
pub mod failure;
pub mod fourme;
pub mod held;
pub mod identitynow;
pub mod intent;
pub mod locks;
pub mod mapping;
pub mod metrics;
pub mod notes;
pub mod notify;
pub mod peer;
pub mod process;
pub mod recent_failures;
pub mod schedule;
pub mod throttle;
pub mod time;
pub mod tracking;

use config::DispatcherConfig;
use delivery::Deliverer;
use expiry::Expiry;
use failure::Peer;
use identitynow::client::IdentityNowClient;
use identitynow::lookup::Directory;
use identitynow::token::TokenSource;
use metrics::DispatcherMetrics;
use peer::PeerLink;
use process::Worker;
use shared::broker::Broker;
use std::sync::Arc;
use std::time::Duration;
use throttle::Throttle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Runs the dispatcher until `stop` is cancelled; serves health, metrics and admin on
/// `listener`.
pub async fn run(
    config: DispatcherConfig,
    listener: TcpListener,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let metrics = DispatcherMetrics::new();
    let http = reqwest::Client::builder()
        .user_agent(concat!(
            "sailpoint-4me-connector/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .unwrap_or_default();
    let broker_stop = CancellationToken::new();
    let broker = Broker::start(config.broker.clone(), broker_stop.clone());
    broker.track_connection(metrics.broker_connected.clone());

    let link = |peer, limit| {
        Arc::new(PeerLink {
            peer,
            throttle: Throttle::new(limit),
            metrics: metrics.clone(),
        })
    };
    let identitynow_link = link(Peer::IdentityNow, config.identitynow_rate_limit);
    let fourme = fourme::FourmeClient::new(
        http.clone(),
        &config.fourme_api_url,
        &config.fourme_account,
        config.fourme_token.clone(),
        link(Peer::Fourme, config.fourme_rate_limit),
    );
    let tokens = Arc::new(TokenSource::new(
        http.clone(),
        &config.identitynow.base_url,
        config.identitynow_client_id.clone(),
        config.identitynow_client_secret.clone(),
        identitynow_link.clone(),
    ));
    let identitynow = IdentityNowClient::new(
        http.clone(),
        config.identitynow.clone(),
        tokens,
        identitynow_link,
    );
    let notifier = notify::Notifier::new(http.clone(), config.notify_url.clone());
    let recent_failures = Arc::new(recent_failures::RecentFailures::default());
    let poller = tracking::poller::Poller {
        identitynow: identitynow.clone(),
        broker: broker.clone(),
        account: config.fourme_account.clone(),
        interval: config.poll_interval,
        lookback: config.poll_lookback,
        active: metrics.poller_active.clone(),
    };
    let notes = Arc::new(notes::NoteBook::new(fourme.clone()));
    let deliverer = Arc::new(Deliverer {
        worker: Worker {
            notes: notes.clone(),
            mapping: Arc::new(config.mapping.clone()),
            fourme: fourme.clone(),
            directory: Directory::new(identitynow.clone(), config.lookup_ttl),
            identitynow,
        },
        schedule: config.schedule.clone(),
        broker: broker.clone(),
        metrics: metrics.clone(),
        notifier: notifier.clone(),
        locks: locks::RequestLocks::default(),
        hold_time: config.broker.topology.hold_time,
        recent_failures: recent_failures.clone(),
    });
    let expiry = Arc::new(Expiry {
        notes,
        metrics: metrics.clone(),
        notifier,
        retry_delay: config.expiry_retry_delay,
    });

    let consuming = tokio::spawn(consumer::run(
        broker.clone(),
        deliverer,
        expiry,
        config.consumer,
        stop.clone(),
    ));
    let polling = tokio::spawn(poller.run(stop.clone()));
    tokio::spawn(consumer::watch_queues(
        broker.clone(),
        metrics.clone(),
        Duration::from_secs(15),
        stop.clone(),
    ));

    let ready_broker = broker.clone();
    let routes = shared::telemetry::health_routes(
        metrics.registry.clone(),
        Arc::new(move || ready_broker.is_ready()),
    )
    .merge(admin::routes(
        broker,
        config.admin_token.clone(),
        metrics,
        recent_failures,
    ));
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "dispatcher listening");
    }
    let served = axum::serve(listener, routes)
        .with_graceful_shutdown(stop.clone().cancelled_owned())
        .await;
    // The consumer drains in-flight work (bounded) before the connection closes.
    let _ = consuming.await;
    let _ = polling.await;
    broker_stop.cancel();
    served
}
