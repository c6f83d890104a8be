//! The notes the connector writes on 4me requests, and writing each of them once.
//!
//! Every note ends with a marker line such as `[sailpoint-connector:submitted]`. Before a note
//! that might already exist is written (after a redelivery, a resend, or a crash between the
//! note and the ack), the request's notes are read and the marker looked for.

use crate::failure::PeerError;
use crate::fourme::FourmeClient;

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
        }
    }

    /// Whether the requester sees it (public) or only the service desk (internal).
    pub fn internal(&self) -> bool {
        !matches!(self, Stage::Submitted)
    }
}

/// Writes `text` with its marker, without checking for an earlier copy.
pub async fn write(
    fourme: &FourmeClient,
    request_id: u64,
    stage: &Stage,
    text: &str,
) -> Result<(), PeerError> {
    let body = format!("{text}\n\n{}", stage.marker());
    fourme.add_note(request_id, &body, stage.internal()).await
}

/// Writes the note unless one with the same marker is already on the request.
pub async fn write_once(
    fourme: &FourmeClient,
    request_id: u64,
    stage: &Stage,
    text: &str,
) -> Result<(), PeerError> {
    let marker = stage.marker();
    let existing = fourme.notes(request_id).await?;
    if existing.iter().any(|note| note.text.contains(&marker)) {
        tracing::debug!(
            fourme.request_id = request_id,
            marker,
            "note already written"
        );
        return Ok(());
    }
    write(fourme, request_id, stage, text).await
}

/// A UTC time as people read it: `2026-12-04 18:51 UTC`.
pub fn when(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3600,
        (of_day % 3600) / 60
    )
}

/// Days since 1970-01-01 to a calendar date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_dates() {
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
        assert_eq!(when(1_796_410_260_000), "2026-12-04 18:51 UTC");
    }

    #[test]
    fn markers_differ_per_window() {
        assert_ne!(Stage::Failing(1).marker(), Stage::Failing(2).marker());
        assert!(Stage::Refused.internal());
        assert!(!Stage::Submitted.internal());
    }
}
