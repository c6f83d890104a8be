//! One HTTP call to a peer: send, time, count, and turn the answer into JSON or a
//! [`PeerError`]. Both API clients use it, so every call is measured the same way.

use crate::failure::{Peer, PeerError};
use crate::metrics::DispatcherMetrics;
use crate::throttle::Throttle;
use reqwest::header::RETRY_AFTER;
use std::time::{Duration, Instant};

/// The longest a single call may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// The most of a peer's error body kept in a failure (and so in notes and logs).
const DETAIL_LIMIT: usize = 300;

/// What every call to one peer shares: its rate limit and the metrics.
pub struct PeerLink {
    /// Which peer.
    pub peer: Peer,
    /// The client-side rate limit.
    pub throttle: Throttle,
    /// Counters.
    pub metrics: DispatcherMetrics,
}

/// Sends `request` within the peer's rate limit and returns the status and body of a 2xx
/// answer.
pub async fn call(
    link: &PeerLink,
    request: reqwest::RequestBuilder,
) -> Result<(u16, serde_json::Value), PeerError> {
    let (peer, metrics) = (link.peer, &link.metrics);
    link.throttle.admit().await;
    let started = Instant::now();
    let result = request.timeout(CALL_TIMEOUT).send().await;
    metrics
        .peer_duration
        .with_label_values(&[peer.label()])
        .observe(started.elapsed().as_secs_f64());
    let response = match result {
        Ok(response) => response,
        Err(error) => {
            metrics.peer_request(peer, "error");
            return Err(if error.is_timeout() {
                PeerError::Timeout { peer }
            } else {
                PeerError::Connect {
                    peer,
                    detail: error.without_url().to_string(),
                }
            });
        }
    };
    let status = response.status().as_u16();
    metrics.peer_request(peer, status_class_label(status));
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    if let Some(wait) = budget_spent(status, retry_after, response.headers()) {
        link.throttle.pause(wait).await;
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|error| PeerError::Unreadable {
            peer,
            detail: error.without_url().to_string(),
        })?;
    if !(200..300).contains(&status) {
        return Err(PeerError::Status {
            peer,
            status,
            retry_after,
            detail: error_detail(&bytes),
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((status, serde_json::Value::Null));
    }
    let body = serde_json::from_slice(&bytes).map_err(|error| PeerError::Unreadable {
        peer,
        detail: error.to_string(),
    })?;
    Ok((status, body))
}

/// How long the peer wants no calls: after a 429 its `Retry-After`, and when 4me's
/// `x-ratelimit-remaining` reaches 0, until its `x-ratelimit-reset` (Unix seconds).
fn budget_spent(
    status: u16,
    retry_after: Option<Duration>,
    headers: &reqwest::header::HeaderMap,
) -> Option<Duration> {
    if status == 429 {
        return Some(retry_after.unwrap_or(Duration::from_secs(1)));
    }
    let number =
        |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    if number("x-ratelimit-remaining")? > 0 {
        return None;
    }
    let reset = number("x-ratelimit-reset")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
}

fn status_class_label(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "error",
    }
}

/// The readable part of an error body: IdentityNow's `messages[].text` or `error`, 4me's
/// `message` and `errors`, else the start of the body.
pub fn error_detail(bytes: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(json) => {
            let messages: Vec<String> = json
                .get("messages")
                .and_then(|m| m.as_array())
                .map(|list| {
                    list.iter()
                        .filter_map(|m| m.get("text").and_then(|t| t.as_str()).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if !messages.is_empty() {
                messages.join("; ")
            } else if let Some(message) = json.get("message").and_then(|m| m.as_str()) {
                match json.get("errors") {
                    Some(errors) => format!("{} {}", message.trim(), errors),
                    None => message.trim().to_owned(),
                }
            } else if let Some(error) = json.get("error").and_then(|e| e.as_str()) {
                error.to_owned()
            } else {
                json.to_string()
            }
        }
        Err(_) => String::from_utf8_lossy(bytes).trim().to_owned(),
    };
    match text.char_indices().nth(DETAIL_LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_budget_is_recognised() {
        use reqwest::header::{HeaderMap, HeaderValue};
        let mut headers = HeaderMap::new();
        assert_eq!(budget_spent(200, None, &headers), None);
        assert_eq!(
            budget_spent(429, Some(Duration::from_secs(7)), &headers),
            Some(Duration::from_secs(7))
        );
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("12"));
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1"));
        assert_eq!(budget_spent(200, None, &headers), None);
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        assert_eq!(
            budget_spent(200, None, &headers),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn error_bodies_are_read_for_people() {
        let idn = br#"{"detailCode":"400.1 Bad Request Content","messages":[{"locale":"en-US","text":"Identity not found"}]}"#;
        assert_eq!(error_detail(idn), "Identity not found");
        let fourme =
            br#"{"message":"Validation Failed","errors":[["text","Text can't be blank"]]}"#;
        assert!(error_detail(fourme).starts_with("Validation Failed [["));
        assert_eq!(
            error_detail(b"<html>Bad gateway</html>"),
            "<html>Bad gateway</html>"
        );
        assert!(error_detail("x".repeat(1000).as_bytes()).chars().count() <= DETAIL_LIMIT + 1);
    }
}
