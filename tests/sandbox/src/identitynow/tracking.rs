//! `GET /v3/access-request-status` and `POST /v3/access-requests/cancel`.
//!
//! The status listing supports what the connector needs and validates it like ISC:
//! `requested-for` / `requested-by` (an identity id or `me`, exclusive with
//! `regarding-identity`), `request-state=EXECUTING`, `filters` on `accessRequestId` and
//! `accountActivityItemId` (`eq`, `in`, `sw`), `sorters` on `created`, `modified`,
//! `accountActivityItemId` and `name`, and `limit` (0-250) / `offset`. Anything else it
//! understands but refuses is a 400 `ErrorResponseDto`.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::error::IdnError;
use super::filter::{Filter, Op};
use super::gate::Caller;
use super::ledger::{ItemState, RequestedItem};
use super::lifecycle::{Refusal, Step};
use super::lookup::page;
use super::render::requested_item_status;
use super::Shared;
use crate::body::json_body;
use crate::contract::Schema;

const FILTERS: &[(&str, &[Op])] = &[
    ("accessRequestId", &[Op::Eq, Op::In, Op::Sw]),
    ("accountActivityItemId", &[Op::Eq, Op::In, Op::Sw]),
];

/// Fields `sorters` accepts.
const SORTABLE: [&str; 4] = ["created", "modified", "accountActivityItemId", "name"];

/// One `sorters` entry: a field and whether it is descending (`-field`).
struct Sorter {
    field: &'static str,
    descending: bool,
}

fn sorters(raw: Option<&String>) -> Result<Vec<Sorter>, IdnError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|entry| {
            let entry = entry.trim();
            let (descending, name) = match entry.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, entry),
            };
            SORTABLE
                .iter()
                .find(|field| **field == name)
                .map(|field| Sorter { field, descending })
                .ok_or_else(|| IdnError::BadRequest(format!("Invalid sorter: {entry}")))
        })
        .collect()
}

fn sort_key<'a>(record: &'a RequestedItem, field: &str) -> &'a str {
    match field {
        "created" => &record.created,
        "modified" => &record.modified,
        "accountActivityItemId" => &record.id,
        _ => &record.item_name,
    }
}

/// Order `(position, record)` pairs by `sorters`. Timestamps have one-second precision, so
/// ties fall back to submission order in the direction of the first sorter; without sorters
/// the newest come first.
fn sort(found: &mut [(usize, &RequestedItem)], sorters: &[Sorter]) {
    let newest_first = sorters.first().is_none_or(|sorter| sorter.descending);
    found.sort_by(|(a_at, a), (b_at, b)| {
        let by_fields = sorters.iter().fold(Ordering::Equal, |order, sorter| {
            order.then_with(|| {
                let order = sort_key(a, sorter.field).cmp(sort_key(b, sorter.field));
                if sorter.descending {
                    order.reverse()
                } else {
                    order
                }
            })
        });
        let by_position = if newest_first {
            b_at.cmp(a_at)
        } else {
            a_at.cmp(b_at)
        };
        by_fields.then(by_position)
    });
}

/// An identity parameter: `me` means the service identity the client acts as.
fn identity_param(
    params: &HashMap<String, String>,
    name: &str,
    me: &str,
) -> Result<Option<String>, IdnError> {
    match params.get(name).map(|value| value.trim()) {
        None => Ok(None),
        Some("") => Err(IdnError::BadRequest(format!(
            "Invalid value for {name}: ''"
        ))),
        Some("me") => Ok(Some(me.to_string())),
        Some(id) => Ok(Some(id.to_string())),
    }
}

/// `GET /v3/access-request-status`.
pub(crate) async fn status(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>, IdnError> {
    let filter = Filter::parse(params.get("filters").map(String::as_str), FILTERS)
        .map_err(|error| IdnError::BadRequest(error.to_string()))?;
    let sorters = sorters(params.get("sorters"))?;
    let me = shared.org.owner().identity_id.clone().unwrap_or_default();
    let requested_for = identity_param(&params, "requested-for", &me)?;
    let requested_by = identity_param(&params, "requested-by", &me)?;
    let regarding = identity_param(&params, "regarding-identity", &me)?;
    if regarding.is_some() && (requested_for.is_some() || requested_by.is_some()) {
        return Err(IdnError::BadRequest(
            "regarding-identity cannot be combined with requested-for or requested-by".into(),
        ));
    }
    // `me` as requester: what this client submitted; any other id: what that identity did.
    let by_me = params
        .get("requested-by")
        .is_some_and(|value| value == "me");
    if let Some(state) = params
        .get("request-state")
        .filter(|state| *state != "EXECUTING")
    {
        return Err(IdnError::BadRequest(format!(
            "Invalid request-state: {state}"
        )));
    }
    let only_executing = params.contains_key("request-state");

    let ledger = shared.ledger();
    let mut found: Vec<(usize, &RequestedItem)> = ledger
        .items
        .iter()
        .enumerate()
        .filter(|(_, record)| {
            requested_for
                .as_ref()
                .is_none_or(|id| *id == record.identity_id)
        })
        .filter(|(_, record)| match &requested_by {
            None => true,
            Some(_) if by_me => record.client_id == caller.client_id,
            Some(id) => *id == me,
        })
        .filter(|(_, record)| {
            regarding
                .as_ref()
                .is_none_or(|id| *id == record.identity_id || *id == me)
        })
        .filter(|(_, record)| !only_executing || record.state == ItemState::Executing)
        .filter(|(_, record)| {
            filter.matches(|field| match field {
                "accessRequestId" => Some(record.access_request_id.clone()),
                "accountActivityItemId" => Some(record.id.clone()),
                _ => None,
            })
        })
        .collect();
    sort(&mut found, &sorters);
    let rendered = found
        .into_iter()
        .map(|(_, record)| requested_item_status(&shared.org, record))
        .collect();
    page(&params, 250, rendered)
}

/// `POST /v3/access-requests/cancel`: 202 `{}` while cancelable.
pub(crate) async fn cancel(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), IdnError> {
    let body = json_body(&headers, &body, Schema::CancelAccessRequest)?;
    let id = body["accountActivityId"].as_str().unwrap_or_default();
    let comment = body["comment"].as_str().unwrap_or_default();

    let canceller = shared.org.owner().identity_id.clone().unwrap_or_default();
    match shared.advance(id, Step::Cancel(comment, &canceller)) {
        Ok(()) => Ok((StatusCode::ACCEPTED, Json(json!({})))),
        Err(Refusal::Unknown) => Err(IdnError::NotFound(format!("Access request {id} not found"))),
        Err(Refusal::NotAllowed) => Err(IdnError::BadRequest(format!(
            "Access request {id} can no longer be cancelled"
        ))),
    }
}
