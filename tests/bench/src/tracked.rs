//! The tracked access requests of a run, and the changes that move them through their life:
//! submission through the ingress, then IdentityNow's approval and provisioning, each
//! awaited as a note on the simulated 4me.

use crate::deliveries::Prepared;
use crate::note_clock::NoteClock;
use crate::services::Service;
use crate::simulators::Simulators;
use crate::submissions::submitted_request_ids;
use crate::BenchError;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// POSTs each delivery to the ingress and awaits its submitted note.
pub async fn submit(
    clock: &NoteClock,
    ingress: &Service,
    pool: &[Prepared],
) -> Result<(), BenchError> {
    let http = reqwest::Client::new();
    let url = format!("{}/webhooks/4me", ingress.url);
    for delivery in pool {
        let since = Instant::now();
        let answer = http
            .post(&url)
            .header("content-type", "application/json; charset=utf-8")
            .header("x-4me-delivery", delivery.delivery_id.clone())
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|error| BenchError::Http(error.to_string()))?;
        if answer.status().as_u16() != 200 {
            return Err(BenchError::Http(format!(
                "the ingress answered {}",
                answer.status()
            )));
        }
        let marker = "[sailpoint-connector:submitted]".to_owned();
        clock.expect(delivery.request_id, marker, since);
    }
    Ok(())
}

/// The IdentityNow access request of every delivered 4me request, in delivery order.
pub fn access_requests(
    simulators: &Simulators,
    pool: &[Prepared],
) -> Result<Vec<(u64, String)>, BenchError> {
    let submitted = simulators.identitynow.access_requests();
    let by_request: HashMap<u64, String> = submitted_request_ids(simulators)
        .into_iter()
        .zip(&submitted)
        .filter_map(|(request_id, accepted)| {
            Some((request_id?, accepted.access_request_ids.first()?.clone()))
        })
        .collect();
    pool.iter()
        .map(|delivery| {
            let id = by_request.get(&delivery.request_id).ok_or_else(|| {
                BenchError::Inconsistent(format!(
                    "4me request {} has no IdentityNow access request",
                    delivery.request_id
                ))
            })?;
            Ok((delivery.request_id, id.clone()))
        })
        .collect()
}

/// Makes `change` on each access request, one every `pace`, and awaits the `step` note.
pub async fn change_each(
    clock: &NoteClock,
    tracked: &[(u64, String)],
    pace: Duration,
    step: &str,
    change: impl Fn(&str) -> bool,
) -> Result<(), BenchError> {
    let mut ticker = tokio::time::interval(pace.max(Duration::from_millis(1)));
    for (request_id, access_request_id) in tracked {
        ticker.tick().await;
        let since = Instant::now();
        if !change(access_request_id) {
            return Err(BenchError::Inconsistent(format!(
                "the simulator refused the step {step} of {access_request_id}"
            )));
        }
        let marker = format!("[sailpoint-connector:{access_request_id}:{step}]");
        clock.expect(*request_id, marker, since);
    }
    Ok(())
}
