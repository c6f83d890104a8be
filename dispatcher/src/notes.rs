//! The notes the connector writes on 4me requests, and writing each of them once.
//!
//! Every note ends with a marker line such as `[sailpoint-connector:submitted]`. Before a note
//! that might already exist is written (after a redelivery, a resend, or a crash between the
//! note and the ack), the request's notes are read and the marker looked for.

use crate::failure::PeerError;
use crate::fourme::FourmeClient;
use std::collections::HashSet;
use std::sync::Mutex;

/// Which note, as its marker says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Submitted to IdentityNow.
    Submitted,
    /// Cannot be submitted; why.
    Refused,
    /// Delivery keeps failing; retried until a deadline. Keyed by the window's first failure.
    Failing(i64),
    /// Put on hold. Keyed by when.
    Held(i64),
    /// Expired undelivered.
    Expired(i64),
    /// A step of IdentityNow's progress: the access request id, the step, and whether the note
    /// is internal.
    Progress {
        /// The IdentityNow access request.
        access_request_id: String,
        /// Which step, e.g. `approved` or `awaiting:<approval id>`.
        step: String,
        /// Service desk only.
        internal: bool,
    },
}

impl Stage {
    /// The marker line.
    pub fn marker(&self) -> String {
        match self {
            Stage::Submitted => "[sailpoint-connector:submitted]".into(),
            Stage::Refused => "[sailpoint-connector:refused]".into(),
            Stage::Failing(since) => format!("[sailpoint-connector:failing:{since}]"),
            Stage::Held(at) => format!("[sailpoint-connector:held:{at}]"),
            Stage::Expired(at) => format!("[sailpoint-connector:expired:{at}]"),
            Stage::Progress {
                access_request_id,
                step,
                ..
            } => format!("[sailpoint-connector:{access_request_id}:{step}]"),
        }
    }

    /// Whether the requester sees it (public) or only the service desk (internal).
    pub fn internal(&self) -> bool {
        match self {
            Stage::Submitted => false,
            Stage::Progress { internal, .. } => *internal,
            Stage::Refused | Stage::Failing(_) | Stage::Held(_) | Stage::Expired(_) => true,
        }
    }
}

/// Writes notes on 4me requests, and remembers which markers it has seen there, so a step
/// reported twice (by a trigger and by the poller, say) reads the request's notes only once.
/// Only presence is remembered, never absence, so the memory can be lost at any time.
pub struct NoteBook {
    fourme: FourmeClient,
    seen: Mutex<HashSet<(u64, String)>>,
}

/// Markers remembered before the memory is cleared.
const REMEMBERED: usize = 20_000;

impl NoteBook {
    /// A note book writing through `fourme`.
    pub fn new(fourme: FourmeClient) -> Self {
        NoteBook {
            fourme,
            seen: Mutex::new(HashSet::new()),
        }
    }

    /// The 4me client underneath.
    pub fn fourme(&self) -> &FourmeClient {
        &self.fourme
    }

    /// Writes `text` with its marker, without checking for an earlier copy.
    pub async fn write(&self, request_id: u64, stage: &Stage, text: &str) -> Result<(), PeerError> {
        let marker = stage.marker();
        let body = format!("{text}\n\n{marker}");
        self.fourme
            .add_note(request_id, &body, stage.internal())
            .await?;
        self.remember(request_id, marker);
        Ok(())
    }

    /// True when the request already carries the stage's note.
    pub async fn has(&self, request_id: u64, stage: &Stage) -> Result<bool, PeerError> {
        let marker = stage.marker();
        if self.remembers(request_id, &marker) {
            return Ok(true);
        }
        let existing = self.fourme.notes(request_id).await?;
        let found = existing.iter().any(|note| note.text.contains(&marker));
        if found {
            self.remember(request_id, marker);
        }
        Ok(found)
    }

    /// Writes the note unless one with the same marker is already on the request.
    pub async fn write_once(
        &self,
        request_id: u64,
        stage: &Stage,
        text: &str,
    ) -> Result<(), PeerError> {
        if self.has(request_id, stage).await? {
            tracing::debug!(fourme.request_id = request_id, "note already written");
            return Ok(());
        }
        self.write(request_id, stage, text).await
    }

    fn remembers(&self, request_id: u64, marker: &str) -> bool {
        self.seen
            .lock()
            .map(|seen| seen.contains(&(request_id, marker.to_owned())))
            .unwrap_or(false)
    }

    fn remember(&self, request_id: u64, marker: String) {
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= REMEMBERED {
                seen.clear();
            }
            seen.insert((request_id, marker));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_differ_per_window() {
        assert_ne!(Stage::Failing(1).marker(), Stage::Failing(2).marker());
        assert!(Stage::Refused.internal());
        assert!(!Stage::Submitted.internal());
    }
}
