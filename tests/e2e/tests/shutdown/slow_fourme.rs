//! A gate in front of the simulated 4me: while closed, calls wait at the gate, so a test can
//! keep an event in flight for as long as it wants, then let it through.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone)]
struct Gate {
    target: String,
    open: watch::Receiver<bool>,
    arrived: Arc<AtomicUsize>,
    passed: Arc<AtomicUsize>,
    http: reqwest::Client,
    writes_only: bool,
}

/// A running gate; its URL stands in for 4me's base URL.
pub struct SlowFourMe {
    /// `http://127.0.0.1:PORT`, the same paths as the simulator.
    pub base_url: String,
    open: watch::Sender<bool>,
    arrived: Arc<AtomicUsize>,
    passed: Arc<AtomicUsize>,
}

impl SlowFourMe {
    /// A closed gate in front of `target` (the simulator's base URL).
    pub async fn start(target: String) -> SlowFourMe {
        Self::with(target, false).await
    }

    /// A closed gate that lets reads through and holds only writes (notes, updates).
    pub async fn start_holding_writes(target: String) -> SlowFourMe {
        Self::with(target, true).await
    }

    async fn with(target: String, writes_only: bool) -> SlowFourMe {
        let (open, receiver) = watch::channel(false);
        let arrived = Arc::new(AtomicUsize::new(0));
        let passed = Arc::new(AtomicUsize::new(0));
        let gate = Gate {
            target,
            open: receiver,
            arrived: arrived.clone(),
            passed: passed.clone(),
            http: reqwest::Client::new(),
            writes_only,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the gate");
        let base_url = format!("http://{}", listener.local_addr().expect("bound"));
        let router = Router::new().fallback(forward).with_state(gate);
        tokio::spawn(async move { axum::serve(listener, router).await });
        SlowFourMe {
            base_url,
            open,
            arrived,
            passed,
        }
    }

    /// Lets waiting and later calls through.
    pub fn open(&self) {
        let _ = self.open.send(true);
    }

    /// Calls that reached the gate so far.
    pub fn arrived(&self) -> usize {
        self.arrived.load(Ordering::SeqCst)
    }

    /// Calls that went through to 4me so far.
    pub fn passed(&self) -> usize {
        self.passed.load(Ordering::SeqCst)
    }
}

async fn forward(State(mut gate): State<Gate>, request: Request) -> Response {
    let held = !gate.writes_only || request.method() != axum::http::Method::GET;
    if held {
        gate.arrived.fetch_add(1, Ordering::SeqCst);
        let _ = gate.open.wait_for(|open| *open).await;
        gate.passed.fetch_add(1, Ordering::SeqCst);
    }

    let (parts, body) = request.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map(|path| path.as_str())
        .unwrap_or("/");
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let mut outgoing = gate
        .http
        .request(method, format!("{}{path}", gate.target))
        .body(body.to_vec());
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    let Ok(answer) = outgoing.send().await else {
        return bad_gateway();
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    let hop_by_hop = ["connection", "content-length", "transfer-encoding"];
    for (name, value) in answer.headers() {
        if hop_by_hop.contains(&name.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response
        .body(Body::from(bytes))
        .unwrap_or_else(|_| bad_gateway())
}

fn bad_gateway() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}
