//! A stand-in for the notification webhook's receiver (a chat or mail relay): records every
//! notice the dispatcher POSTs, in arrival order.

use axum::routing::post;
use axum::{Json, Router};
use std::sync::{Arc, Mutex};

/// A receiver listening on 127.0.0.1; stops when the test's runtime ends.
pub struct NotificationInbox {
    /// The URL to configure as the notification webhook.
    pub url: String,
    notices: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl NotificationInbox {
    /// Starts listening on a free port.
    pub async fn start() -> NotificationInbox {
        let notices = Arc::new(Mutex::new(Vec::new()));
        let received = notices.clone();
        let app = Router::new().route(
            "/notify",
            post(move |Json(notice): Json<serde_json::Value>| async move {
                received.lock().expect("inbox lock").push(notice);
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port for the inbox");
        let url = format!("http://{}/notify", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        NotificationInbox { url, notices }
    }

    /// Every notice received so far.
    pub fn notices(&self) -> Vec<serde_json::Value> {
        self.notices.lock().expect("inbox lock").clone()
    }

    /// The `stage` of every notice received so far.
    pub fn stages(&self) -> Vec<String> {
        self.notices()
            .iter()
            .map(|notice| notice["stage"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}
