//! Closed-loop load at a fixed concurrency, and the keep-alive HTTP connection it drives.
//!
//! A phase runs for warm-up plus measurement. Each worker issues its next operation as soon as
//! the previous one ends; operations that finish inside the measurement part are counted and
//! timed, those that finish during warm-up are not.

use crate::stats::Latencies;
use crate::BenchError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// How long a phase warms up and then measures.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// Not counted.
    pub warm_up: Duration,
    /// Counted.
    pub measure: Duration,
}

/// The clock of a running phase.
#[derive(Clone, Copy, Debug)]
pub struct Phase {
    counted_from: Instant,
    end: Instant,
}

impl Phase {
    fn begin(window: Window) -> Self {
        let counted_from = Instant::now() + window.warm_up;
        Self {
            counted_from,
            end: counted_from + window.measure,
        }
    }

    /// Whether workers should start another operation.
    pub fn running(&self) -> bool {
        Instant::now() < self.end
    }
}

/// What one worker counted.
#[derive(Debug, Default)]
pub struct Tally {
    completed: u64,
    failed: u64,
    latencies: Latencies,
}

impl Tally {
    /// Records an operation that started at `started` and ends now.
    pub fn record(&mut self, phase: &Phase, started: Instant, ok: bool) {
        let finished = Instant::now();
        if finished < phase.counted_from || finished > phase.end {
            return;
        }
        if ok {
            self.completed += 1;
            self.latencies.push(finished - started);
        } else {
            self.failed += 1;
        }
    }
}

/// The figures of one phase.
#[derive(Debug)]
pub struct PhaseResult {
    /// Successful operations per second during the measurement part.
    pub rate: f64,
    /// Failed operations during the measurement part.
    pub failed: u64,
    /// Latency of every successful counted operation.
    pub latencies: Latencies,
}

/// Runs `concurrency` workers built by `worker(index, phase)` for one phase.
pub async fn closed_loop<F, Fut>(concurrency: usize, window: Window, worker: F) -> PhaseResult
where
    F: Fn(usize, Phase) -> Fut,
    Fut: Future<Output = Tally> + Send + 'static,
{
    let phase = Phase::begin(window);
    let handles: Vec<_> = (0..concurrency)
        .map(|index| tokio::spawn(worker(index, phase)))
        .collect();
    let mut total = Tally::default();
    for handle in handles {
        if let Ok(tally) = handle.await {
            total.completed += tally.completed;
            total.failed += tally.failed;
            total.latencies.extend(tally.latencies);
        }
    }
    PhaseResult {
        rate: total.completed as f64 / window.measure.as_secs_f64(),
        failed: total.failed,
        latencies: total.latencies,
    }
}

/// One HTTP/1.1 keep-alive connection, reopened when the server closes it.
pub struct KeepAlive {
    address: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl KeepAlive {
    /// A connection to `address` (`127.0.0.1:PORT`), opened on first use.
    pub fn new(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            sender: None,
        }
    }

    async fn open(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, BenchError> {
        if self.sender.as_ref().is_none_or(|sender| sender.is_closed()) {
            let stream = TcpStream::connect(&self.address).await?;
            stream.set_nodelay(true)?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|error| BenchError::Http(error.to_string()))?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        self.sender
            .as_mut()
            .ok_or_else(|| BenchError::Http("no connection".into()))
    }

    /// POSTs a JSON `body` to `path` with the 4me delivery header; returns the status code.
    pub async fn post_webhook(
        &mut self,
        path: &str,
        body: Bytes,
        delivery_id: &HeaderValue,
    ) -> Result<u16, BenchError> {
        let host = HeaderValue::from_str(&self.address)
            .map_err(|error| BenchError::Http(error.to_string()))?;
        let request = Request::post(path)
            .header(hyper::header::HOST, host)
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .header("x-4me-delivery", delivery_id)
            .body(Full::new(body))
            .map_err(|error| BenchError::Http(error.to_string()))?;
        let sender = self.open().await?;
        sender
            .ready()
            .await
            .map_err(|error| BenchError::Http(error.to_string()))?;
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(error) => {
                self.sender = None;
                return Err(BenchError::Http(error.to_string()));
            }
        };
        let status = response.status().as_u16();
        response
            .into_body()
            .collect()
            .await
            .map_err(|error| BenchError::Http(error.to_string()))?;
        Ok(status)
    }
}
