//! The HTTP/1.1 server loop: accepts connections, serves the router on each, bounds how long a
//! client may take to send its request head, and stops gracefully.
//!
//! axum's own `serve` sets no timer, so a client that sends its headers a byte at a time could
//! hold a connection for as long as it likes. Here the head must arrive within the request
//! deadline; the body and the answer are bounded by the router's timeout layer. 4me and
//! IdentityNow speak HTTP/1.1, so HTTP/2 is not offered.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long to wait before accepting again after `accept` failed (out of file descriptors,
/// say), so the loop does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(250);

/// Serves `router` on `listener` until `stop` is cancelled. Then it accepts nothing more,
/// lets the requests in flight finish and closes idle connections, waiting at most `grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    head_deadline: Duration,
    stop: CancellationToken,
    grace: Duration,
) {
    let mut connections = http1::Builder::new();
    connections
        .timer(TokioTimer::new())
        .header_read_timeout(head_deadline);
    let graceful = GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    tracing::warn!(error = %error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                }
            },
        };
        // Answers are written whole in one write, so there is nothing for Nagle's algorithm
        // to merge; without it, an answer never waits for the client's acknowledgement of the
        // previous answer.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(error = %error, "cannot set TCP_NODELAY on a connection");
        }
        let service = TowerToHyperService::new(router.clone());
        let connection =
            graceful.watch(connections.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {
            tracing::warn!(grace_s = grace.as_secs(), "connections still open after the stop grace; closing them");
        }
    }
}
