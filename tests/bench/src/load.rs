//! Closed-loop load at a fixed concurrency, and the lean keep-alive HTTP client it drives.
//!
//! A phase runs for warm-up plus measurement. Each worker issues its next operation as soon as
//! the previous one ends; operations that finish inside the measurement part are counted and
//! timed, those that finish during warm-up are not.

use crate::stats::Latencies;
use crate::BenchError;
use bytes::Bytes;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
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

/// Runs [`closed_loop`] on a thread of its own with a single-threaded runtime, as an
/// event-loop load generator (wrk, say) does: its connections then cost no hand-overs
/// between threads, which leaves more of the shared cores to what is measured.
pub async fn closed_loop_on_own_thread<F, Fut>(
    concurrency: usize,
    window: Window,
    worker: F,
) -> Result<PhaseResult, BenchError>
where
    F: Fn(usize, Phase) -> Fut + Send + 'static,
    Fut: Future<Output = Tally> + Send + 'static,
{
    let phase = tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|runtime| runtime.block_on(closed_loop(concurrency, window, worker)))
    });
    match phase.await {
        Ok(result) => Ok(result?),
        Err(error) => Err(BenchError::Service(format!("load thread failed: {error}"))),
    }
}

/// One HTTP/1.1 keep-alive connection that writes pre-built requests (see [`http_post`]) and
/// reads only what it needs of each answer: the status code and `Content-Length`.
///
/// A load generator on the same two cores as the ingress and the broker takes CPU from both;
/// this client costs about a third less per request than a general-purpose HTTP client
/// (BENCHMARKS.md, change 4), so the figures describe the ingress more than the generator.
pub struct KeepAlive {
    address: String,
    stream: Option<TcpStream>,
    answer: Vec<u8>,
}

impl KeepAlive {
    /// A connection to `address` (`127.0.0.1:PORT`), opened on first use.
    pub fn new(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            stream: None,
            answer: Vec::with_capacity(1024),
        }
    }

    /// Sends one request made by [`http_post`] and returns the answer's status code. The
    /// connection is kept only after a complete answer that allows it, so a failed or
    /// abandoned exchange never leaves half an answer for the next one.
    pub async fn send(&mut self, request: &[u8]) -> Result<u16, BenchError> {
        let mut stream = match self.stream.take() {
            Some(stream) => stream,
            None => {
                let stream = TcpStream::connect(&self.address).await?;
                stream.set_nodelay(true)?;
                stream
            }
        };
        let (status, reusable) = exchange(&mut stream, &mut self.answer, request).await?;
        if reusable {
            self.stream = Some(stream);
        }
        Ok(status)
    }
}

/// Writes `request` and reads one answer into `answer`; returns its status code and whether
/// the connection may carry another request.
async fn exchange(
    stream: &mut TcpStream,
    answer: &mut Vec<u8>,
    request: &[u8],
) -> Result<(u16, bool), BenchError> {
    stream.write_all(request).await?;
    answer.clear();
    let head = loop {
        if let Some(end) = find(answer, b"\r\n\r\n") {
            break Head::parse(&answer[..end])?;
        }
        read_more(stream, answer).await?;
    };
    let whole = head.length.saturating_add(head.body_length);
    while answer.len() < whole {
        read_more(stream, answer).await?;
    }
    // Nothing is pipelined, so bytes past the answer mean the two sides disagree on framing.
    Ok((head.status, head.keep_alive && answer.len() == whole))
}

/// The bytes of a `POST` of a JSON `body` to `path` on `address`, with the 4me delivery header.
pub fn http_post(address: &str, path: &str, body: &[u8], delivery_id: &str) -> Bytes {
    debug_assert!(
        !delivery_id.contains(['\r', '\n']),
        "a header value cannot hold a line break"
    );
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\n\
         content-type: application/json; charset=utf-8\r\nx-4me-delivery: {delivery_id}\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    Bytes::from(request)
}

/// What the client needs of an answer's head.
struct Head {
    status: u16,
    /// The head's length including the blank line.
    length: usize,
    body_length: usize,
    keep_alive: bool,
}

impl Head {
    /// Parses the head (without its final blank line).
    fn parse(head: &[u8]) -> Result<Self, BenchError> {
        let bad = |what: &str| BenchError::Http(format!("unreadable answer: {what}"));
        let text = std::str::from_utf8(head).map_err(|_| bad("not UTF-8"))?;
        let mut lines = text.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        // An answer without Content-Length (HTTP/1.0, say) is read as empty and its
        // connection not reused.
        let mut body_length = None;
        let mut keep_alive = text.starts_with("HTTP/1.1 ");
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                body_length = Some(value.parse().map_err(|_| bad("Content-Length"))?);
            } else if name.eq_ignore_ascii_case("connection") {
                let close = value
                    .split(',')
                    .any(|option| option.trim().eq_ignore_ascii_case("close"));
                keep_alive &= !close;
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                return Err(bad("chunked answers are not supported"));
            }
        }
        let keep_alive = keep_alive && body_length.is_some();
        let body_length = body_length.unwrap_or_default();
        Ok(Self {
            status,
            length: head.len() + 4,
            body_length,
            keep_alive,
        })
    }
}

/// Appends what the socket has to `buffer`; an error when the peer closed.
async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<(), BenchError> {
    buffer.reserve(1024);
    if stream.read_buf(buffer).await? == 0 {
        return Err(BenchError::Http("the connection was closed".into()));
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_length_and_connection() {
        let head = Head::parse(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 42\r\nconnection: close",
        )
        .unwrap();
        assert_eq!(
            (head.status, head.body_length, head.keep_alive),
            (503, 42, false)
        );
        let head = Head::parse(b"HTTP/1.1 200 OK\r\ncontent-length: 0").unwrap();
        assert_eq!(
            (head.status, head.body_length, head.keep_alive),
            (200, 0, true)
        );
        for unframed in [
            &b"HTTP/1.1 200 OK\r\ncontent-type: application/json"[..],
            b"HTTP/1.0 200 OK\r\ncontent-length: 2",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive, close",
        ] {
            assert!(!Head::parse(unframed).unwrap().keep_alive);
        }
        assert!(Head::parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked").is_err());
        assert!(Head::parse(b"garbage").is_err());
    }

    #[test]
    fn builds_a_complete_post() {
        let request = http_post("127.0.0.1:1", "/webhooks/4me", b"{}", "d-1");
        let text = std::str::from_utf8(&request).unwrap();
        assert!(text.starts_with("POST /webhooks/4me HTTP/1.1\r\nhost: 127.0.0.1:1\r\n"));
        assert!(text.contains("x-4me-delivery: d-1\r\ncontent-length: 2\r\n\r\n{}"));
    }
}
