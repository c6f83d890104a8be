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
use prometheus::IntCounter;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// How long to wait before accepting again after `accept` failed (out of file descriptors,
/// say), so the loop does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(250);

/// Serves `router` on `listener` until `stop` is cancelled. Then it accepts nothing more,
/// lets the requests in flight finish and closes idle connections, waiting at most `grace`.
/// Each connection closed because a request head it had begun came too late is logged and
/// counted in `head_timeouts`; a kept-alive connection left idle that long is closed quietly.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    head_deadline: Duration,
    head_timeouts: IntCounter,
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
        let (stream, mid_request) = Watched::new(stream);
        let connection =
            graceful.watch(connections.serve_connection(TokioIo::new(stream), service));
        let head_timeouts = head_timeouts.clone();
        tokio::spawn(async move {
            match connection.await {
                Ok(()) => {}
                // hyper's head timer also runs while a kept-alive connection waits for its
                // next request; closing such an idle connection is routine, not a slow client.
                Err(error) if error.is_timeout() && !mid_request.load(Ordering::Relaxed) => {
                    tracing::debug!("idle keep-alive connection closed");
                }
                Err(error) if error.is_timeout() => {
                    tracing::warn!(
                        deadline_s = head_deadline.as_secs_f64(),
                        "request head not complete within the deadline; connection closed"
                    );
                    head_timeouts.inc();
                }
                Err(error) => tracing::debug!(error = %error, "connection ended with an error"),
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

/// A connection that notes whether the client has sent part of a request that has not been
/// answered yet: true after bytes come in, false again once an answer goes out.
struct Watched {
    stream: TcpStream,
    mid_request: Arc<AtomicBool>,
}

impl Watched {
    fn new(stream: TcpStream) -> (Self, Arc<AtomicBool>) {
        let mid_request = Arc::new(AtomicBool::new(false));
        let watched = Watched {
            stream,
            mid_request: mid_request.clone(),
        };
        (watched, mid_request)
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.mid_request.store(true, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.mid_request.store(false, Ordering::Relaxed);
        Pin::new(&mut self.stream).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.mid_request.store(false, Ordering::Relaxed);
        Pin::new(&mut self.stream).poll_write_vectored(cx, data)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
