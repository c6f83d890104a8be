//! Writing one step of IdentityNow's progress on the 4me request, once.
//!
//! The request is updated first and the note written second: the note's marker is what says
//! "done", so a failure in between repeats the (idempotent) update but never the note.

use super::progress::{writeback, Writeback};
use crate::failure::Failure;
use crate::mapping::Progress;
use crate::notes::{NoteBook, Stage};
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
    notes: &NoteBook,
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
    if notes.has(request_id, &stage).await? {
        return Ok(Applied::AlreadyThere);
    }
    if let Some(update) = update {
        notes.fourme().update_request(request_id, &update).await?;
    }
    notes.write(request_id, &stage, &text).await?;
    tracing::info!(fourme.request_id = request_id, step = %stage.marker(), "IdentityNow progress written to 4me");
    Ok(Applied::Written)
}
