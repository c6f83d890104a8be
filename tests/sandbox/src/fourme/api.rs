//! The 4me REST endpoints: requests, people, notes, and the webhook verify callback.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::error::FourMeError;
use super::store::{Store, TEAMS};
use super::Shared;
use crate::body::json_body;
use crate::clock::now_rfc3339;
use crate::contract::Schema;
use crate::ids::node_id;

/// Longest note text 4me accepts, in bytes.
const MAX_NOTE_BYTES: usize = 64 * 1024;

fn numeric(id: &str) -> Result<u64, FourMeError> {
    id.parse().map_err(|_| FourMeError::NotFound)
}

/// `GET /v1/requests/{id}`.
pub(crate) async fn get_request(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, FourMeError> {
    let id = numeric(&id)?;
    shared
        .store()
        .requests
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(FourMeError::NotFound)
}

/// `GET /v1/people/{id}`.
pub(crate) async fn get_person(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, FourMeError> {
    let id = numeric(&id)?;
    let store = shared.store();
    let person = store.org.person(id).ok_or(FourMeError::NotFound)?;
    Ok(Json(json!({
        "id": person.fourme_id,
        "nodeID": node_id("Person", person.fourme_id),
        "name": person.name,
        "primary_email": person.email,
        "employee_id": person.employee_number,
        "disabled": false,
        "organization": {"id": person.organization.0, "name": person.organization.1},
        "created_at": "2024-02-01T08:00:00Z",
        "updated_at": "2024-02-01T08:00:00Z",
    })))
}

/// `POST /v1/requests/{id}/notes`: 201 `{"id":…}`.
pub(crate) async fn post_note(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FourMeError> {
    let id = numeric(&id)?;
    let note = json_body(&headers, &body, Schema::FourMeNoteCreate)?;
    let text = note["text"].as_str().unwrap_or_default().to_string();
    check_length("text", &text)?;

    let mut store = shared.store();
    if !store.requests.contains_key(&id) {
        return Err(FourMeError::NotFound);
    }
    let internal = note["internal"].as_bool().unwrap_or(false);
    let note_id = store.add_note(id, text, internal);
    touch(&mut store, id);
    Ok((StatusCode::CREATED, Json(json!({"id": note_id}))).into_response())
}

/// `GET /v1/requests/{id}/notes`.
pub(crate) async fn get_notes(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, FourMeError> {
    let id = numeric(&id)?;
    let store = shared.store();
    if !store.requests.contains_key(&id) {
        return Err(FourMeError::NotFound);
    }
    let notes = store.notes.get(&id).map(Vec::as_slice).unwrap_or_default();
    Ok(Json(notes.iter().map(|note| note.to_json()).collect()))
}

/// `PATCH` (or `PUT`) `/v1/requests/{id}`: 200 with the full record.
pub(crate) async fn patch_request(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, FourMeError> {
    let id = numeric(&id)?;
    let patch = json_body(&headers, &body, Schema::FourMeRequestPatch)?;
    for field in ["note", "internal_note"] {
        if let Some(text) = patch[field].as_str() {
            check_length(field, text)?;
        }
    }

    let mut store = shared.store();
    let record = store.requests.get(&id).ok_or(FourMeError::NotFound)?;

    // 4me insists on a completion reason for a completed request.
    let completing = patch["status"] == "completed";
    if completing && patch["completion_reason"].is_null() && record["completion_reason"].is_null() {
        return Err(FourMeError::invalid("completion_reason", "can't be blank"));
    }
    let team = match patch["team_id"].as_u64() {
        Some(team_id) => Some(
            TEAMS
                .iter()
                .find(|(id, _)| *id == team_id)
                .ok_or_else(|| FourMeError::invalid("team", "is invalid"))?,
        ),
        None => None,
    };

    apply(&mut store, id, &patch, team.copied());
    Ok(Json(store.requests[&id].clone()))
}

fn apply(store: &mut Store, id: u64, patch: &Value, team: Option<(u64, &str)>) {
    if let Some(status) = patch["status"].as_str() {
        store.change_status(id, status);
    }
    if let Some(record) = store.requests.get_mut(&id) {
        for field in ["completion_reason", "custom_fields", "waiting_until"] {
            if !patch[field].is_null() {
                record[field] = patch[field].clone();
            }
        }
        if let Some((team_id, name)) = team {
            record["team"] = json!({"id": team_id, "name": name});
        }
    }
    for (field, internal) in [("note", false), ("internal_note", true)] {
        if let Some(text) = patch[field].as_str() {
            store.add_note(id, text.to_string(), internal);
        }
    }
    touch(store, id);
}

fn touch(store: &mut Store, id: u64) {
    if let Some(record) = store.requests.get_mut(&id) {
        record["updated_at"] = json!(now_rfc3339());
    }
}

fn check_length(field: &str, text: &str) -> Result<(), FourMeError> {
    if text.len() > MAX_NOTE_BYTES {
        return Err(FourMeError::invalid(
            field,
            "is too long (maximum is 64 KB)",
        ));
    }
    Ok(())
}

/// `GET|POST /webhooks/{id}/verify?code=…`: no authentication; 200 when the code matches.
pub(crate) async fn verify(
    State(shared): State<Arc<Shared>>,
    Path(webhook_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, FourMeError> {
    let mut store = shared.store();
    let matches = webhook_id == shared.config.webhook_id.to_string()
        && store.verify_code.is_some()
        && query.get("code") == store.verify_code.as_ref();
    if !matches {
        return Err(FourMeError::NotFound);
    }
    store.verified = true;
    Ok(Json(json!({"message": "Webhook verified"})))
}
