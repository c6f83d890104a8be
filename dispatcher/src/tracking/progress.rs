//! What an IdentityNow status record means for the 4me request: which note to write, and
//! whether the request's status or team changes. Pure, so every state is unit-tested.
//!
//! | IdentityNow                                   | 4me                                             |
//! |-----------------------------------------------|-------------------------------------------------|
//! | EXECUTING, an approval pending                | note: waiting for approval by whom              |
//! | EXECUTING / PROVISIONING_VERIFICATION_PENDING, approved | note: approved by whom              |
//! | REJECTED                                      | note with the comment; completed, rejected      |
//! | REQUEST_COMPLETED                             | note; completed, solved                         |
//! | NOT_ALL_ITEMS_PROVISIONED, PROVISIONING_FAILED, ERROR | internal note with the errors; to the failure team |
//! | CANCELLED, TERMINATED                         | note; the status the mapping says               |

use crate::mapping::Progress;
use serde_json::{json, Value};

/// One change to write on the 4me request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Writeback {
    /// Names the step in the note's marker, so it is written once.
    pub step: String,
    /// The note.
    pub text: String,
    /// Service desk only.
    pub internal: bool,
    /// Fields for `PATCH /requests/{id}`, when the request changes.
    pub update: Option<Value>,
}

/// The write-back for a status record, or `None` when there is nothing new to say.
pub fn writeback(status: &Value, progress: &Progress) -> Option<Writeback> {
    let state = status.get("state").and_then(Value::as_str)?;
    let id = crate::identitynow::access::access_request_id(status).unwrap_or("?");
    let item = status
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("the requested access");
    let revoke = status.get("requestType").and_then(Value::as_str) == Some("REVOKE_ACCESS");
    let approvals: Vec<&Value> = status
        .get("approvalDetails")
        .and_then(Value::as_array)
        .map(|list| list.iter().collect())
        .unwrap_or_default();
    let with_status = |wanted: &str| -> Vec<&Value> {
        approvals
            .iter()
            .copied()
            .filter(|approval| approval.get("status").and_then(Value::as_str) == Some(wanted))
            .collect()
    };
    let public = |step: &str, text: String, update: Option<Value>| Writeback {
        step: step.into(),
        text,
        internal: false,
        update,
    };
    match state {
        "EXECUTING" | "PROVISIONING_VERIFICATION_PENDING" => {
            let pending = with_status("PENDING");
            let approved = with_status("APPROVED");
            if !pending.is_empty() {
                let step = format!(
                    "awaiting:{}",
                    pending
                        .iter()
                        .map(|a| a
                            .get("approvalId")
                            .and_then(Value::as_str)
                            .unwrap_or("approval"))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                Some(public(
                    &step,
                    format!(
                        "Waiting for approval in IdentityNow by {} (access request {id}: {item}).",
                        names(&pending)
                    ),
                    None,
                ))
            } else if !approved.is_empty() {
                Some(public(
                    "approved",
                    format!(
                        "Approved in IdentityNow by {}{} (access request {id}: {item}). \
                         Provisioning is under way.",
                        names(&approved),
                        comments(&approved)
                    ),
                    None,
                ))
            } else {
                None
            }
        }
        "REJECTED" => {
            let rejected = with_status("REJECTED");
            let by = if rejected.is_empty() {
                "an approver".to_owned()
            } else {
                names(&rejected)
            };
            Some(public(
                "rejected",
                format!(
                    "Rejected in IdentityNow by {by}{} (access request {id}: {item}).",
                    comments(&rejected)
                ),
                Some(json!({ "status": "completed", "completion_reason": "rejected" })),
            ))
        }
        "REQUEST_COMPLETED" => {
            let done = if revoke {
                "Access removed"
            } else {
                "Access granted"
            };
            Some(public(
                "completed",
                format!("{done} by IdentityNow: {item} (access request {id})."),
                Some(json!({ "status": "completed", "completion_reason": "solved" })),
            ))
        }
        "NOT_ALL_ITEMS_PROVISIONED" | "PROVISIONING_FAILED" | "ERROR" => {
            let what = match state {
                "NOT_ALL_ITEMS_PROVISIONED" => "was only partly provisioned",
                "PROVISIONING_FAILED" => "failed to provision",
                _ => "ended in an error",
            };
            let update = progress
                .failure_team
                .map(|team| json!({ "team_id": team, "status": "assigned" }));
            Some(Writeback {
                step: state.to_ascii_lowercase(),
                text: format!(
                    "IdentityNow access request {id} ({item}) {what}. IdentityNow says: {}",
                    error_messages(status)
                ),
                internal: true,
                update,
            })
        }
        "CANCELLED" | "TERMINATED" => {
            let details = status.get("cancelledRequestDetails");
            let comment = details
                .and_then(|d| d.get("comment"))
                .and_then(Value::as_str)
                .map(|c| format!(": {c}"))
                .unwrap_or_default();
            let word = if state == "CANCELLED" {
                "cancelled"
            } else {
                "terminated"
            };
            let update = progress.on_cancelled.as_ref().map(|change| {
                let mut fields = json!({ "status": change.status });
                if let Some(reason) = &change.completion_reason {
                    fields["completion_reason"] = json!(reason);
                }
                fields
            });
            Some(public(
                word,
                format!("IdentityNow {word} access request {id} ({item}){comment}."),
                update,
            ))
        }
        _ => None,
    }
}

/// True for states after which nothing changes any more.
pub fn is_final(status: &Value) -> bool {
    matches!(
        status.get("state").and_then(Value::as_str),
        Some(
            "REQUEST_COMPLETED"
                | "NOT_ALL_ITEMS_PROVISIONED"
                | "PROVISIONING_FAILED"
                | "REJECTED"
                | "CANCELLED"
                | "TERMINATED"
                | "ERROR"
        )
    )
}

fn names(approvals: &[&Value]) -> String {
    let mut names: Vec<&str> = approvals
        .iter()
        .filter_map(|a| a.pointer("/currentOwner/name").and_then(Value::as_str))
        .collect();
    names.dedup();
    if names.is_empty() {
        "an approver".into()
    } else {
        names.join(", ")
    }
}

fn comments(approvals: &[&Value]) -> String {
    let comments: Vec<&str> = approvals
        .iter()
        .filter_map(|a| a.get("comment").and_then(Value::as_str))
        .filter(|c| !c.trim().is_empty())
        .collect();
    if comments.is_empty() {
        String::new()
    } else {
        format!(" with the comment \"{}\"", comments.join("\"; \""))
    }
}

/// IdentityNow's `errorMessages` is a list of lists of localized messages.
fn error_messages(status: &Value) -> String {
    let texts: Vec<&str> = status
        .get("errorMessages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|group| group.as_array().into_iter().flatten())
        .filter_map(|message| message.get("text").and_then(Value::as_str))
        .collect();
    if texts.is_empty() {
        "no error details were given.".into()
    } else {
        texts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::StatusChange;

    fn status(state: &str, approvals: Value) -> Value {
        json!({"accessRequestId": "ar1", "name": "Sales Manager", "state": state,
               "requestType": "GRANT_ACCESS", "approvalDetails": approvals})
    }

    fn approval(status: &str, owner: &str, comment: Option<&str>) -> Value {
        json!({"approvalId": "ap1", "status": status, "currentOwner": {"type": "IDENTITY", "id": "x", "name": owner}, "comment": comment})
    }

    #[test]
    fn waiting_names_the_approver() {
        let wb = writeback(
            &status(
                "EXECUTING",
                json!([approval("PENDING", "Ada Lovelace", None)]),
            ),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(wb.step, "awaiting:ap1");
        assert!(wb.text.contains("Ada Lovelace"));
        assert_eq!(wb.update, None);
        assert!(!wb.internal);
    }

    #[test]
    fn approved_then_provisioned_completes_the_request() {
        let approved = writeback(
            &status(
                "EXECUTING",
                json!([approval("APPROVED", "Ada", Some("fine"))]),
            ),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(approved.step, "approved");
        assert!(approved.text.contains("\"fine\""));
        let done = writeback(
            &status("REQUEST_COMPLETED", json!([])),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(
            done.update,
            Some(json!({"status": "completed", "completion_reason": "solved"}))
        );
    }

    #[test]
    fn a_rejection_completes_as_rejected_with_the_comment() {
        let wb = writeback(
            &status(
                "REJECTED",
                json!([approval("REJECTED", "Grace Hopper", Some("not needed"))]),
            ),
            &Progress::default(),
        )
        .unwrap();
        assert!(wb.text.contains("Grace Hopper") && wb.text.contains("not needed"));
        assert_eq!(
            wb.update,
            Some(json!({"status": "completed", "completion_reason": "rejected"}))
        );
    }

    #[test]
    fn failures_go_to_the_failure_team_with_the_errors() {
        let mut record = status("PROVISIONING_FAILED", json!([]));
        record["errorMessages"] = json!([[{"locale": "en-US", "text": "Connector timeout"}]]);
        let progress = Progress {
            failure_team: Some(9),
            on_cancelled: None,
        };
        let wb = writeback(&record, &progress).unwrap();
        assert!(wb.internal);
        assert!(wb.text.contains("Connector timeout"));
        assert_eq!(wb.update, Some(json!({"team_id": 9, "status": "assigned"})));
    }

    #[test]
    fn cancellation_takes_the_mapped_status() {
        let mut record = status("CANCELLED", json!([]));
        record["cancelledRequestDetails"] = json!({"comment": "withdrawn in 4me"});
        let progress = Progress {
            failure_team: None,
            on_cancelled: Some(StatusChange {
                status: "completed".into(),
                completion_reason: Some("withdrawn".into()),
            }),
        };
        let wb = writeback(&record, &progress).unwrap();
        assert!(wb.text.contains("withdrawn in 4me"));
        assert_eq!(
            wb.update,
            Some(json!({"status": "completed", "completion_reason": "withdrawn"}))
        );
        assert!(is_final(&record));
        assert!(!is_final(&status("EXECUTING", json!([]))));
    }
}
