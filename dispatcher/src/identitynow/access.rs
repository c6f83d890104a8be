//! Submitting access requests, and finding one submitted earlier for the same 4me request.
//!
//! Every submission carries `clientMetadata` naming the 4me account and request, at the top and
//! on the item (IdentityNow echoes the item's copy in `access-request-status`). Before
//! submitting, the dispatcher looks for an earlier submission with the same metadata for the
//! same identity; that check is what keeps a redelivered message from submitting twice.

use super::client::IdentityNowClient;
use super::lookup::AccessItem;
use crate::failure::{Failure, PeerError, StatusClass};
use serde_json::{json, Value};

/// `clientMetadata` key for the 4me account id.
pub const META_ACCOUNT: &str = "fourmeAccount";
/// `clientMetadata` key for the 4me request id.
pub const META_REQUEST: &str = "fourmeRequestId";

/// Grant or revoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `GRANT_ACCESS`.
    Grant,
    /// `REVOKE_ACCESS`.
    Revoke,
}

impl Action {
    /// IdentityNow's `requestType`.
    pub fn request_type(self) -> &'static str {
        match self {
            Action::Grant => "GRANT_ACCESS",
            Action::Revoke => "REVOKE_ACCESS",
        }
    }
}

/// One access request to submit.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The identity the access is for.
    pub identity_id: String,
    /// What is requested.
    pub item: AccessItem,
    /// Grant or revoke.
    pub action: Action,
    /// The 4me account id.
    pub account: String,
    /// The 4me request id.
    pub request_id: u64,
}

/// What IdentityNow said to a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submitted {
    /// New access requests with these ids.
    New(Vec<String>),
    /// The same access was already requested; these are the existing ids.
    Existing(Vec<String>),
    /// Accepted with the older empty 202 body: no ids returned.
    AcceptedWithoutIds,
}

impl Submission {
    fn metadata(&self) -> Value {
        json!({ META_ACCOUNT: self.account, META_REQUEST: self.request_id.to_string() })
    }

    /// The request body for `POST /access-requests`.
    pub fn body(&self) -> Value {
        let mut item = json!({
            "type": self.item.kind.api_name(),
            "id": self.item.id,
            "clientMetadata": self.metadata(),
        });
        let comment = match self.action {
            Action::Grant => format!("Requested in 4me request #{}", self.request_id),
            Action::Revoke => format!("Revoke requested in 4me request #{}", self.request_id),
        };
        item["comment"] = json!(comment);
        json!({
            "requestedFor": [self.identity_id],
            "requestType": self.action.request_type(),
            "requestedItems": [item],
            "clientMetadata": self.metadata(),
        })
    }
}

/// Submits an access request.
pub async fn submit(
    client: &IdentityNowClient,
    submission: &Submission,
) -> Result<Submitted, Failure> {
    let answer = client
        .post("/access-requests", &submission.body())
        .await
        .map_err(refused_as_rejection)?;
    Ok(read_answer(&answer))
}

/// Reads the 202 body, current or legacy.
pub fn read_answer(answer: &Value) -> Submitted {
    let ids = |key: &str| -> Vec<String> {
        answer
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.get("accessRequestIds").and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let new = ids("newRequests");
    let existing = ids("existingRequests");
    if !new.is_empty() {
        Submitted::New(new)
    } else if !existing.is_empty() {
        Submitted::Existing(existing)
    } else {
        Submitted::AcceptedWithoutIds
    }
}

/// The status records IdentityNow holds for this 4me request (one per requested item), from
/// the requested-for identity's access-request-status, newest first.
pub async fn statuses_for(
    client: &IdentityNowClient,
    identity_id: &str,
    account: &str,
    request_id: u64,
) -> Result<Vec<Value>, Failure> {
    let query = [
        ("requested-for", identity_id.to_owned()),
        ("limit", "250".to_owned()),
        ("sorters", "-created".to_owned()),
    ];
    let statuses = client.get("/access-request-status", &query).await?;
    let request_id = request_id.to_string();
    Ok(statuses
        .as_array()
        .into_iter()
        .flatten()
        .filter(|status| belongs_to(status, account) == Some(request_id.as_str()))
        .cloned()
        .collect())
}

/// The 4me request a status record was submitted for, when it is this account's.
pub fn belongs_to<'a>(status: &'a Value, account: &str) -> Option<&'a str> {
    let meta = status.get("clientMetadata")?;
    let field = |key: &str| meta.get(key).and_then(Value::as_str);
    (field(META_ACCOUNT) == Some(account))
        .then(|| field(META_REQUEST))
        .flatten()
}

/// The access request id of a status record.
pub fn access_request_id(status: &Value) -> Option<&str> {
    status
        .get("accessRequestId")
        .or_else(|| status.get("id"))
        .and_then(Value::as_str)
}

/// The access request ids IdentityNow already holds for this 4me request, if any.
pub async fn earlier_submission(
    client: &IdentityNowClient,
    submission: &Submission,
) -> Result<Option<Vec<String>>, Failure> {
    let statuses = statuses_for(
        client,
        &submission.identity_id,
        &submission.account,
        submission.request_id,
    )
    .await?;
    let ids: Vec<String> = statuses
        .iter()
        .filter(|status| {
            status
                .get("requestType")
                .and_then(Value::as_str)
                .is_none_or(|kind| kind == submission.action.request_type())
        })
        .filter_map(|status| access_request_id(status).map(str::to_owned))
        .collect();
    Ok((!ids.is_empty()).then_some(ids))
}

/// One page of the status records of access requests this connector submitted, most
/// recently modified first.
pub async fn recently_modified(
    client: &IdentityNowClient,
    offset: usize,
    limit: usize,
) -> Result<Vec<Value>, Failure> {
    let query = [
        ("requested-by", "me".to_owned()),
        ("sorters", "-modified".to_owned()),
        ("limit", limit.to_string()),
        ("offset", offset.to_string()),
    ];
    let page = client.get("/access-request-status", &query).await?;
    Ok(page.as_array().cloned().unwrap_or_default())
}

/// The status records of one access request this connector submitted.
pub async fn status_of(
    client: &IdentityNowClient,
    access_request_id: &str,
) -> Result<Vec<Value>, Failure> {
    let query = [
        ("requested-by", "me".to_owned()),
        (
            "filters",
            format!("accessRequestId eq \"{access_request_id}\""),
        ),
    ];
    let page = client.get("/access-request-status", &query).await?;
    Ok(page.as_array().cloned().unwrap_or_default())
}

/// Cancels an access request that is still cancelable.
pub async fn cancel(
    client: &IdentityNowClient,
    access_request_id: &str,
    comment: &str,
) -> Result<(), Failure> {
    let body = json!({ "accountActivityId": access_request_id, "comment": comment });
    client
        .post("/access-requests/cancel", &body)
        .await
        .map(|_| ())
        .map_err(refused_as_rejection)
}

/// A 400 from IdentityNow on submit is its verdict on the request, not a transport problem.
fn refused_as_rejection(error: PeerError) -> Failure {
    match (&error, error.status_class()) {
        (PeerError::Status { detail, .. }, Some(StatusClass::Refused)) => {
            Failure::RejectedByIdentityNow(detail.clone())
        }
        _ => Failure::Peer(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::ItemKind;

    fn submission(action: Action) -> Submission {
        Submission {
            identity_id: "2c9180835d2e5168015d32f890ca1581".into(),
            item: AccessItem {
                id: "2c91808a7190d06e01719938fcd20792".into(),
                name: "Sales Manager".into(),
                kind: ItemKind::Role,
            },
            action,
            account: "example-corp".into(),
            request_id: 70001,
        }
    }

    #[test]
    fn a_revoke_carries_the_comment_and_metadata() {
        let body = submission(Action::Revoke).body();
        assert_eq!(body["requestType"], "REVOKE_ACCESS");
        assert_eq!(body["requestedFor"][0], "2c9180835d2e5168015d32f890ca1581");
        assert!(body["requestedItems"][0]["comment"]
            .as_str()
            .unwrap()
            .contains("70001"));
        assert_eq!(
            body["requestedItems"][0]["clientMetadata"][META_REQUEST],
            "70001"
        );
        assert_eq!(body["clientMetadata"][META_ACCOUNT], "example-corp");
    }

    #[test]
    fn both_202_shapes_are_read() {
        let current = json!({"newRequests":[{"requestedFor":"x","accessRequestIds":["a","b"]}],"existingRequests":[]});
        assert_eq!(
            read_answer(&current),
            Submitted::New(vec!["a".into(), "b".into()])
        );
        let existing = json!({"newRequests":[],"existingRequests":[{"accessRequestIds":["c"]}]});
        assert_eq!(
            read_answer(&existing),
            Submitted::Existing(vec!["c".into()])
        );
        assert_eq!(read_answer(&json!({})), Submitted::AcceptedWithoutIds);
        assert_eq!(read_answer(&Value::Null), Submitted::AcceptedWithoutIds);
    }
}
