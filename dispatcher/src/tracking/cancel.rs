//! A 4me request withdrawn (completed or declined) before IdentityNow finished: cancel the
//! IdentityNow access request while it can still be cancelled, and say on the 4me request what
//! happened either way.

use super::progress::is_final;
use crate::failure::Failure;
use crate::identitynow::access::{access_request_id, cancel};
use crate::notes::Stage;
use crate::process::Worker;
use serde_json::Value;

/// 4me statuses that mean the requester no longer waits for the access.
pub fn ends_request(status: &str) -> bool {
    matches!(status, "completed" | "declined")
}

/// Cancels what IdentityNow still has open for `request_id`; returns how many were cancelled.
pub async fn withdraw(
    worker: &Worker,
    request_id: u64,
    statuses: &[Value],
) -> Result<usize, Failure> {
    let mut cancelled = 0;
    for status in statuses.iter().filter(|status| !is_final(status)) {
        let Some(id) = access_request_id(status) else {
            continue;
        };
        let cancelable = status.get("cancelable").and_then(Value::as_bool) == Some(true);
        let (step, text) = if cancelable {
            let comment = format!("Withdrawn in 4me request #{request_id}");
            match cancel(&worker.identitynow, id, &comment).await {
                Ok(()) => {
                    cancelled += 1;
                    (
                        "cancel-requested",
                        format!("The request was withdrawn in 4me, so IdentityNow access request {id} was cancelled."),
                    )
                }
                // Approved between our read and the cancel: too late after all.
                Err(Failure::RejectedByIdentityNow(reason)) => (
                    "cancel-too-late",
                    format!(
                        "The request was withdrawn in 4me, but IdentityNow access request {id} \
                         could no longer be cancelled ({reason}). Please ask the IAM team to \
                         remove the access if it is granted."
                    ),
                ),
                Err(other) => return Err(other),
            }
        } else {
            (
                "cancel-too-late",
                format!(
                    "The request was withdrawn in 4me, but IdentityNow access request {id} is \
                     past approval and can no longer be cancelled. Please ask the IAM team to \
                     remove the access once it is granted."
                ),
            )
        };
        let stage = Stage::Progress {
            access_request_id: id.to_owned(),
            step: step.into(),
            internal: false,
        };
        worker.notes.write_once(request_id, &stage, &text).await?;
    }
    Ok(cancelled)
}
