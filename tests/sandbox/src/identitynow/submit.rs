//! `POST /v3/access-requests`: strict validation, duplicate detection, and the 202 answer.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::error::IdnError;
use super::gate::Caller;
use super::ledger::{
    Approval, ApprovalStatus, ItemState, Phase, PhaseState, RequestedItem, SubmittedAccessRequest,
};
use super::Shared;
use crate::body::json_body;
use crate::clock::now_rfc3339;
use crate::contract::Schema;
use crate::ids::random_hex32;
use crate::seed::AccessItemKind;

/// Most items one request may carry.
const MAX_ITEMS: usize = 25;
/// Most identities when any entitlement is requested.
const MAX_IDENTITIES_WITH_ENTITLEMENTS: usize = 10;

/// One item of the body, validated against the seed.
struct Wanted<'a> {
    raw: &'a Value,
    id: String,
    name: String,
    kind: AccessItemKind,
}

/// Handle a submission.
pub(crate) async fn submit(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), IdnError> {
    let body = json_body(&headers, &body, Schema::AccessRequest)?;
    let identities = identities(&shared, &body)?;
    let items = items(&shared, &body)?;
    let request_type = body["requestType"]
        .as_str()
        .unwrap_or("GRANT_ACCESS")
        .to_string();
    check_rules(&body, &request_type, &identities, &items)?;

    let now = now_rfc3339();
    let mut ledger = shared.ledger();
    let (mut fresh, mut existing) = (Vec::new(), Vec::new());
    let mut assigned = Vec::new();
    for identity in &identities {
        // An identical grant still in flight is reported as existing, not requested again.
        let (mut new_items, mut old) = (Vec::new(), BTreeMap::<String, Vec<&Wanted>>::new());
        for item in &items {
            match ledger
                .pending_grant(identity, &item.id)
                .filter(|_| request_type == "GRANT_ACCESS")
            {
                Some(record) => old
                    .entry(record.access_request_id.clone())
                    .or_default()
                    .push(item),
                None => new_items.push(item),
            }
        }
        for (access_request_id, old_items) in old {
            existing.push(tracking(identity, &old_items, vec![access_request_id]));
        }
        if new_items.is_empty() {
            continue;
        }
        let access_request_id = random_hex32();
        ledger.requests += 1;
        let origin = Origin {
            access_request_id: &access_request_id,
            seq: ledger.requests,
            client_id: &caller.client_id,
            // Every seeded identity has a manager; the owner approves should that ever change.
            approver: shared
                .org
                .manager(identity)
                .unwrap_or_else(|| shared.org.owner())
                .identity_id
                .as_deref()
                .unwrap_or_default(),
            request_type: &request_type,
            now: &now,
        };
        for item in &new_items {
            ledger.items.push(record(&body, identity, item, &origin));
        }
        fresh.push(tracking(
            identity,
            &new_items,
            vec![access_request_id.clone()],
        ));
        assigned.push(access_request_id);
    }

    let response = if shared.config.respond_legacy_empty_202 {
        json!({})
    } else {
        json!({"newRequests": fresh, "existingRequests": existing})
    };
    ledger.submitted.push(SubmittedAccessRequest {
        body,
        response: response.clone(),
        access_request_ids: assigned,
    });
    Ok((StatusCode::ACCEPTED, Json(response)))
}

fn identities(shared: &Shared, body: &Value) -> Result<Vec<String>, IdnError> {
    let ids: Vec<String> = body["requestedFor"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|id| id.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(IdnError::BadRequest(
            "requestedFor must contain at least one identity".into(),
        ));
    }
    if let Some(unknown) = ids.iter().find(|id| shared.org.identity(id).is_none()) {
        return Err(IdnError::BadRequest(format!(
            "Identity {unknown} not found"
        )));
    }
    Ok(ids)
}

fn items<'a>(shared: &Shared, body: &'a Value) -> Result<Vec<Wanted<'a>>, IdnError> {
    let raw = body["requestedItems"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if raw.len() > MAX_ITEMS {
        return Err(IdnError::BadRequest(format!(
            "requestedItems may hold at most {MAX_ITEMS} items"
        )));
    }
    raw.iter()
        .map(|item| {
            let id = item["id"].as_str().unwrap_or_default();
            let kind = item["type"].as_str().unwrap_or_default();
            match shared.org.item(id) {
                Some((_, found)) if found.kind.as_str() == kind => Ok(Wanted {
                    raw: item,
                    id: found.id.clone(),
                    name: found.name.clone(),
                    kind: found.kind,
                }),
                _ => Err(IdnError::BadRequest(format!(
                    "Access item {kind} {id} not found"
                ))),
            }
        })
        .collect()
}

fn check_rules(
    body: &Value,
    request_type: &str,
    identities: &[String],
    items: &[Wanted],
) -> Result<(), IdnError> {
    let bad = |text: &str| Err(IdnError::BadRequest(text.to_string()));
    if !body["requestedForWithRequestedItems"].is_null() {
        return bad("requestedForWithRequestedItems cannot be combined with requestedFor and requestedItems");
    }
    let has_entitlement = items
        .iter()
        .any(|item| item.kind == AccessItemKind::Entitlement);
    if has_entitlement && identities.len() > MAX_IDENTITIES_WITH_ENTITLEMENTS {
        return bad("A request with entitlements may be for at most 10 identities");
    }
    if request_type == "REVOKE_ACCESS" {
        if identities.len() != 1 {
            return bad("A revoke request must be for exactly one identity");
        }
        if items
            .iter()
            .any(|item| item.raw["comment"].as_str().is_none_or(str::is_empty))
        {
            return bad("A comment is required for each item of a revoke request");
        }
        if items.iter().any(|item| !item.raw["startDate"].is_null()) {
            return bad("A revoke request cannot have a startDate");
        }
    }
    Ok(())
}

/// What the items of one new access request share.
struct Origin<'a> {
    access_request_id: &'a str,
    seq: u64,
    client_id: &'a str,
    approver: &'a str,
    request_type: &'a str,
    now: &'a str,
}

/// A new item record: `EXECUTING`, one pending manager approval, cancelable.
fn record(body: &Value, identity: &str, item: &Wanted, origin: &Origin) -> RequestedItem {
    let now = origin.now;
    let text = |value: &Value| value.as_str().map(str::to_string);
    // Item-level clientMetadata wins; the top-level one is the fallback.
    let metadata = [&item.raw["clientMetadata"], &body["clientMetadata"]]
        .into_iter()
        .find(|value| value.is_object())
        .cloned();
    RequestedItem {
        id: random_hex32(),
        access_request_id: origin.access_request_id.to_string(),
        seq: origin.seq,
        client_id: origin.client_id.to_string(),
        identity_id: identity.to_string(),
        item_id: item.id.clone(),
        item_name: item.name.clone(),
        item_type: item.kind.as_str(),
        request_type: origin.request_type.to_string(),
        state: ItemState::Executing,
        created: now.to_string(),
        modified: now.to_string(),
        changed_at: Instant::now(),
        client_metadata: metadata,
        comment: text(&item.raw["comment"]),
        start_date: text(&item.raw["startDate"]),
        remove_date: text(&item.raw["removeDate"]),
        approval: Approval {
            id: random_hex32(),
            owner_id: origin.approver.to_string(),
            status: ApprovalStatus::Pending,
            comment: None,
            modified: now.to_string(),
        },
        phases: vec![Phase {
            name: "APPROVAL_PHASE",
            state: PhaseState::Executing,
            started: now.to_string(),
            finished: None,
            reference: Some("approvalDetails"),
        }],
        error_messages: Vec::new(),
        cancellation: None,
    }
}

fn tracking(identity: &str, items: &[&Wanted], access_request_ids: Vec<String>) -> Value {
    let details: Vec<Value> = items
        .iter()
        .map(|item| json!({"type": item.kind.as_str(), "id": item.id}))
        .collect();
    json!({
        "requestedFor": identity,
        "requestedItemsDetails": details,
        "attributesHash": attributes_hash(identity, items),
        "accessRequestIds": access_request_ids,
    })
}

/// A stable 32-bit hash of the identity and items (FNV-1a), signed like SailPoint's.
fn attributes_hash(identity: &str, items: &[&Wanted]) -> i32 {
    let mut hash: u32 = 0x811C_9DC5;
    let parts = std::iter::once(identity).chain(items.iter().map(|item| item.id.as_str()));
    for byte in parts.flat_map(str::bytes) {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(hash.to_ne_bytes())
}
