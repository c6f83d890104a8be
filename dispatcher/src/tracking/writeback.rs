//! Writing one step of IdentityNow's progress on the 4me request, once.
//!
//! The request is updated first and the note written second: the note's marker is what says
//! "done", so a failure in between repeats the (idempotent) update but never the note.

use super::progress::{writeback, Writeback};
use crate::failure::Failure;
use crate::fourme::FourmeClient;
use crate::mapping::Progress;
use crate::notes::{self, Stage};
use serde_json::Value;

/// What was done with a status record.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    /// A new step was written.
    Written,
    /// The step was already on the request.
    AlreadyThere,
    /// Nothing to say for this state.
    Nothing,
}

/// Writes the step a status record stands for on 4me request `request_id`.
pub async fn apply(
    fourme: &FourmeClient,
    progress: &Progress,
    request_id: u64,
    status: &Value,
) -> Result<Applied, Failure> {
    let Some(Writeback {
        step,
        text,
        internal,
        update,
    }) = writeback(status, progress)
    else {
        return Ok(Applied::Nothing);
    };
    let stage = Stage::Progress {
        access_request_id: crate::identitynow::access::access_request_id(status)
            .unwrap_or("unknown")
            .to_owned(),
        step,
        internal,
    };
    let marker = stage.marker();
    let existing = fourme.notes(request_id).await?;
    if existing.iter().any(|note| note.text.contains(&marker)) {
        return Ok(Applied::AlreadyThere);
    }
    if let Some(update) = update {
        fourme.update_request(request_id, &update).await?;
    }
    notes::write(fourme, request_id, &stage, &text).await?;
    tracing::info!(fourme.request_id = request_id, step = %marker, "IdentityNow progress written to 4me");
    Ok(Applied::Written)
}
