//! What can go wrong while handling one event, and the one place that decides whether it is
//! worth trying again.
//!
//! [`classify`] is exhaustive over [`Failure`] and [`StatusClass`] with no wildcard arm, so a
//! new kind of failure does not compile until someone decides how it is treated.

use std::fmt;
use std::time::Duration;

/// The remote systems the dispatcher calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// SailPoint IdentityNow (Identity Security Cloud).
    IdentityNow,
    /// 4me (Xurrent).
    Fourme,
}

impl Peer {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Peer::IdentityNow => "identitynow",
            Peer::Fourme => "fourme",
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Peer::IdentityNow => "IdentityNow",
            Peer::Fourme => "4me",
        })
    }
}

/// An HTTP status grouped by what it means for a retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusClass {
    /// 429: too many requests.
    RateLimited,
    /// 5xx.
    ServerError,
    /// 401 that persisted after a fresh token.
    Unauthorized,
    /// 403: the token lacks a scope or user level.
    Forbidden,
    /// 404.
    NotFound,
    /// 400 or 422: the peer refused what we sent.
    Refused,
    /// Any other status outside 2xx.
    Unexpected,
}

impl StatusClass {
    /// Groups a status code.
    pub fn of(status: u16) -> StatusClass {
        match status {
            429 => StatusClass::RateLimited,
            500..=599 => StatusClass::ServerError,
            401 => StatusClass::Unauthorized,
            403 => StatusClass::Forbidden,
            404 | 410 => StatusClass::NotFound,
            400 | 422 => StatusClass::Refused,
            _ => StatusClass::Unexpected,
        }
    }
}

/// A call to a peer that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// No connection (refused, DNS, TLS).
    #[error("{peer} unreachable: {detail}")]
    Connect { peer: Peer, detail: String },
    /// No answer in time.
    #[error("{peer} did not answer in time")]
    Timeout { peer: Peer },
    /// An answer outside 2xx.
    #[error("{peer} answered {status}: {detail}")]
    Status {
        peer: Peer,
        status: u16,
        retry_after: Option<Duration>,
        detail: String,
    },
    /// A 2xx answer we could not read.
    #[error("{peer} sent an unreadable answer: {detail}")]
    Unreadable { peer: Peer, detail: String },
}

impl PeerError {
    /// The peer involved.
    pub fn peer(&self) -> Peer {
        match self {
            PeerError::Connect { peer, .. }
            | PeerError::Timeout { peer }
            | PeerError::Status { peer, .. }
            | PeerError::Unreadable { peer, .. } => *peer,
        }
    }

    /// The status class, for an answer outside 2xx.
    pub fn status_class(&self) -> Option<StatusClass> {
        match self {
            PeerError::Status { status, .. } => Some(StatusClass::of(*status)),
            _ => None,
        }
    }
}

/// Why an event could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// A call to 4me or IdentityNow failed.
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// The person is not an identity in IdentityNow.
    #[error("no IdentityNow identity matches {0}")]
    UnknownIdentity(String),
    /// The 4me person has no e-mail address or employee number to match on.
    #[error("the requested-for person has no {0} in 4me")]
    MissingIdentity(&'static str),
    /// The role, access profile or entitlement does not exist (or is not requestable).
    #[error("IdentityNow has no requestable {kind} named {name:?}{source_note}")]
    UnknownItem {
        kind: &'static str,
        name: String,
        source_note: String,
    },
    /// The IdentityNow application (source) named in the mapping does not exist.
    #[error("IdentityNow has no source named {0:?} (check the mapping)")]
    UnknownSource(String),
    /// The request asks for access but its service instance is not in the mapping.
    #[error("the service instance {0:?} is not mapped to an IdentityNow application")]
    UnmappedService(String),
    /// The request's access fields cannot be understood.
    #[error("the request cannot be submitted: {0}")]
    InvalidRequest(String),
    /// The 4me request no longer exists.
    #[error("4me request {0} no longer exists")]
    RequestGone(u64),
    /// IdentityNow refused the access request (400) with this explanation.
    #[error("IdentityNow refused the access request: {0}")]
    RejectedByIdentityNow(String),
    /// The message itself is unreadable.
    #[error("unreadable message: {0}")]
    Malformed(String),
}

/// What to do about a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Try again later, no sooner than `after` when the peer said so.
    Retry { after: Option<Duration> },
    /// Trying again cannot help: say why and hold the message for an operator.
    Refuse,
}

/// The one place that decides retryable versus permanent.
pub fn classify(failure: &Failure) -> Verdict {
    let retry = Verdict::Retry { after: None };
    match failure {
        Failure::Peer(PeerError::Connect { .. } | PeerError::Timeout { .. }) => retry,
        // A 2xx we cannot read is most likely a proxy or an outage page; try again.
        Failure::Peer(PeerError::Unreadable { .. }) => retry,
        Failure::Peer(PeerError::Status {
            status,
            retry_after,
            ..
        }) => match StatusClass::of(*status) {
            StatusClass::RateLimited => Verdict::Retry {
                after: *retry_after,
            },
            StatusClass::ServerError => Verdict::Retry {
                after: *retry_after,
            },
            // Credentials and scopes are fixed by an operator while we keep trying.
            StatusClass::Unauthorized | StatusClass::Forbidden => retry,
            StatusClass::NotFound | StatusClass::Refused | StatusClass::Unexpected => {
                Verdict::Refuse
            }
        },
        Failure::UnknownIdentity(_)
        | Failure::MissingIdentity(_)
        | Failure::UnknownItem { .. }
        | Failure::UnknownSource(_)
        | Failure::UnmappedService(_)
        | Failure::InvalidRequest(_)
        | Failure::RequestGone(_)
        | Failure::RejectedByIdentityNow(_)
        | Failure::Malformed(_) => Verdict::Refuse,
    }
}

impl Failure {
    /// The `reason` label of `connector_refusals_total`.
    pub fn refusal_label(&self) -> &'static str {
        match self {
            Failure::UnknownIdentity(_) | Failure::MissingIdentity(_) => "unknown_identity",
            Failure::UnknownItem { .. } => "unknown_item",
            Failure::UnmappedService(_) | Failure::UnknownSource(_) => "unmapped_service",
            Failure::RequestGone(_) => "request_gone",
            Failure::RejectedByIdentityNow(_) => "rejected_by_identitynow",
            Failure::InvalidRequest(_) | Failure::Malformed(_) | Failure::Peer(_) => {
                "invalid_request"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(peer: Peer, status: u16, retry_after: Option<u64>) -> Failure {
        Failure::Peer(PeerError::Status {
            peer,
            status,
            retry_after: retry_after.map(Duration::from_secs),
            detail: String::new(),
        })
    }

    #[test]
    fn outages_and_throttling_are_retried() {
        let retry = Verdict::Retry { after: None };
        assert_eq!(classify(&status(Peer::IdentityNow, 503, None)), retry);
        assert_eq!(classify(&status(Peer::Fourme, 500, None)), retry);
        assert_eq!(classify(&status(Peer::IdentityNow, 401, None)), retry);
        assert_eq!(
            classify(&status(Peer::IdentityNow, 429, Some(40))),
            Verdict::Retry {
                after: Some(Duration::from_secs(40))
            }
        );
        let timeout = Failure::Peer(PeerError::Timeout {
            peer: Peer::IdentityNow,
        });
        assert_eq!(classify(&timeout), retry);
    }

    #[test]
    fn refusals_are_permanent() {
        assert_eq!(
            classify(&status(Peer::IdentityNow, 400, None)),
            Verdict::Refuse
        );
        assert_eq!(classify(&status(Peer::Fourme, 422, None)), Verdict::Refuse);
        assert_eq!(classify(&Failure::RequestGone(1)), Verdict::Refuse);
        assert_eq!(
            classify(&Failure::UnknownIdentity("a@b.c".into())),
            Verdict::Refuse
        );
    }
}
