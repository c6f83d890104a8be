//! The read-only lookups: public identities, search, sources, roles, access profiles,
//! entitlements and requestable objects.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::Value;

use super::catalog;
use super::error::IdnError;
use super::filter::{Filter, Op};
use super::Shared;
use crate::body::json_body;
use crate::contract::Schema;
use crate::seed::{AccessItem, Application, Person};

type Params = Query<HashMap<String, String>>;
type Listing = Result<Json<Vec<Value>>, IdnError>;

const ID: (&str, &[Op]) = ("id", &[Op::Eq, Op::In]);
const NAME: (&str, &[Op]) = ("name", &[Op::Eq, Op::In, Op::Sw]);
const SOURCE_ID: (&str, &[Op]) = ("source.id", &[Op::Eq, Op::In]);

/// `limit`/`offset` applied to a full result, with the endpoint's maximum limit.
pub(crate) fn page(params: &HashMap<String, String>, max: usize, all: Vec<Value>) -> Listing {
    let number = |name: &str, default: usize| -> Result<usize, IdnError> {
        match params.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|_| IdnError::BadRequest(format!("Invalid value for {name}: {raw}"))),
        }
    };
    let limit = number("limit", max)?;
    if limit > max {
        return Err(IdnError::BadRequest(format!(
            "limit must be between 0 and {max}"
        )));
    }
    let offset = number("offset", 0)?;
    Ok(Json(all.into_iter().skip(offset).take(limit).collect()))
}

fn filter(params: &HashMap<String, String>, allowed: &[(&str, &[Op])]) -> Result<Filter, IdnError> {
    Filter::parse(params.get("filters").map(String::as_str), allowed)
        .map_err(|error| IdnError::BadRequest(error.to_string()))
}

fn person_field(person: &Person, field: &str) -> Option<String> {
    match field {
        "id" => person.identity_id.clone(),
        "alias" => Some(person.alias.clone()),
        "email" => Some(person.email.clone()),
        "firstname" => Some(person.first_name.clone()),
        "lastname" => Some(person.last_name.clone()),
        _ => None,
    }
}

fn item_field(app: &Application, item: &AccessItem, field: &str) -> Option<String> {
    match field {
        "id" => Some(item.id.clone()),
        "name" => Some(item.name.clone()),
        "source.id" => Some(app.source_id.clone()),
        _ => None,
    }
}

/// `GET /v3/public-identities`.
pub(crate) async fn public_identities(
    State(shared): State<Arc<Shared>>,
    Query(params): Params,
) -> Listing {
    let text: &[Op] = &[Op::Eq, Op::Sw];
    let allowed = [
        ID,
        ("alias", text),
        ("email", text),
        ("firstname", text),
        ("lastname", text),
    ];
    let filter = filter(&params, &allowed)?;
    let org = &shared.org;
    let found = org
        .identities()
        .filter(|person| filter.matches(|field| person_field(person, field)))
        .map(catalog::public_identity)
        .collect();
    page(&params, 250, found)
}

/// `POST /v3/search`: identities only, queries `field:"value"` joined by `AND`.
pub(crate) async fn search(
    State(shared): State<Arc<Shared>>,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Listing {
    let search = json_body(&headers, &body, Schema::Search)?;
    let indices = search["indices"].as_array().cloned().unwrap_or_default();
    if indices.is_empty() {
        return Err(IdnError::BadRequest(
            "indices must not be empty".to_string(),
        ));
    }
    if !indices.iter().any(|index| index == "identities") {
        return Ok(Json(Vec::new()));
    }
    let query = search["query"]["query"].as_str().unwrap_or("*");
    let terms = query_terms(query);
    let found = shared
        .org
        .identities()
        .map(catalog::identity_document)
        .filter(|document| {
            terms
                .iter()
                .all(|(field, value)| document_has(document, field, value))
        })
        .collect();
    page(&params, 10_000, found)
}

/// `a:"x" AND b:y` → `[("a","x"), ("b","y")]`; `*` matches everything.
fn query_terms(query: &str) -> Vec<(String, String)> {
    query
        .split(" AND ")
        .filter(|term| term.trim() != "*")
        .map(|term| {
            let (field, value) = term.split_once(':').unwrap_or((term, ""));
            let value = value.trim().trim_matches('"').replace("\\\"", "\"");
            (field.trim().to_string(), value)
        })
        .collect()
}

fn document_has(document: &Value, field: &str, wanted: &str) -> bool {
    let actual = field.split('.').fold(document, |node, key| &node[key]);
    actual
        .as_str()
        .is_some_and(|actual| actual.eq_ignore_ascii_case(wanted))
}

/// `GET /v3/sources`.
pub(crate) async fn sources(State(shared): State<Arc<Shared>>, Query(params): Params) -> Listing {
    let filter = filter(&params, &[ID, NAME])?;
    let org = &shared.org;
    let found = org
        .applications
        .iter()
        .filter(|app| {
            filter.matches(|field| match field {
                "id" => Some(app.source_id.clone()),
                "name" => Some(app.source_name.clone()),
                _ => None,
            })
        })
        .map(|app| catalog::source(org, app))
        .collect();
    page(&params, 250, found)
}

/// Items of one kind matching the request's filters, rendered by `render`.
fn items<'a>(
    shared: &'a Shared,
    params: &HashMap<String, String>,
    allowed: &[(&str, &[Op])],
    pick: impl Fn(&Application) -> &[AccessItem],
    render: impl Fn(&Application, &AccessItem) -> Value + 'a,
) -> Result<Vec<Value>, IdnError> {
    let filter = filter(params, allowed)?;
    Ok(shared
        .org
        .applications
        .iter()
        .flat_map(|app| pick(app).iter().map(move |item| (app, item)))
        .filter(|(app, item)| filter.matches(|field| item_field(app, item, field)))
        .map(|(app, item)| render(app, item))
        .collect())
}

/// `GET /v3/roles` (limit at most 50).
pub(crate) async fn roles(State(shared): State<Arc<Shared>>, Query(params): Params) -> Listing {
    let org = &shared.org;
    let found = items(
        &shared,
        &params,
        &[ID, NAME],
        |app| &app.roles,
        |app, item| catalog::role(org, app, item),
    )?;
    page(&params, 50, found)
}

/// `GET /v3/access-profiles`.
pub(crate) async fn access_profiles(
    State(shared): State<Arc<Shared>>,
    Query(params): Params,
) -> Listing {
    let org = &shared.org;
    let render = |app: &Application, item: &AccessItem| catalog::access_profile(org, app, item);
    let found = items(
        &shared,
        &params,
        &[ID, NAME, SOURCE_ID],
        |app| &app.access_profiles,
        render,
    )?;
    page(&params, 250, found)
}

/// `GET /v2025/entitlements`.
pub(crate) async fn entitlements(
    State(shared): State<Arc<Shared>>,
    Query(params): Params,
) -> Listing {
    let org = &shared.org;
    let render = |app: &Application, item: &AccessItem| catalog::entitlement(org, app, item);
    let found = items(
        &shared,
        &params,
        &[ID, NAME, SOURCE_ID],
        |app| &app.entitlements,
        render,
    )?;
    page(&params, 250, found)
}

/// `GET /v3/requestable-objects`: roles and access profiles; with `identity-id`, each carries
/// that identity's request status.
pub(crate) async fn requestable_objects(
    State(shared): State<Arc<Shared>>,
    Query(params): Params,
) -> Listing {
    let types: Vec<String> = match params.get("types") {
        Some(raw) => raw.split(',').map(|kind| kind.trim().to_string()).collect(),
        None => vec!["ROLE".to_string(), "ACCESS_PROFILE".to_string()],
    };
    if let Some(bad) = types
        .iter()
        .find(|kind| !matches!(kind.as_str(), "ROLE" | "ACCESS_PROFILE"))
    {
        return Err(IdnError::BadRequest(format!(
            "Invalid requestable object type: {bad}"
        )));
    }
    let filter = filter(&params, &[ID, NAME])?;
    let term = params.get("term").map(|term| term.to_lowercase());
    let identity = params.get("identity-id");
    let pending = identity
        .map(|id| shared.pending_items(id))
        .unwrap_or_default();

    let org = &shared.org;
    let found = org
        .applications
        .iter()
        .flat_map(|app| app.items().map(move |item| (app, item)))
        .filter(|(_, item)| catalog::is_requestable_object(item))
        .filter(|(_, item)| types.iter().any(|kind| kind == item.kind.as_str()))
        .filter(|(app, item)| match &term {
            Some(term) => item.name.to_lowercase().contains(term),
            None => filter.matches(|field| item_field(app, item, field)),
        })
        .map(|(_, item)| {
            let status = identity.map(|_| {
                if pending.contains(&item.id) {
                    "PENDING"
                } else {
                    "AVAILABLE"
                }
            });
            catalog::requestable_object(org, item, status)
        })
        .collect();
    page(&params, 250, found)
}
