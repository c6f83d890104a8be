//! Which schema applies to which exchange, and checking recorded exchanges against them.

use serde_json::Value;

use super::recording::{Exchange, System};
use super::schema::{check, Schema};

/// The schemas of one route: the request body, and a successful answer (`many` = an array of
/// the schema).
struct Route {
    request: Option<Schema>,
    response: Option<Schema>,
    many: bool,
}

const fn route(request: Option<Schema>, response: Option<Schema>, many: bool) -> Route {
    Route {
        request,
        response,
        many,
    }
}

fn identitynow_route(method: &str, path: &str) -> Option<Route> {
    let route = match (method, path) {
        ("POST", "/oauth/token") => route(None, Some(Schema::OAuthToken), false),
        ("GET", "/v3/public-identities") => route(None, Some(Schema::PublicIdentity), true),
        ("POST", "/v3/search") => route(Some(Schema::Search), Some(Schema::IdentityDocument), true),
        ("GET", "/v3/sources") => route(None, Some(Schema::Source), true),
        ("GET", "/v3/roles") => route(None, Some(Schema::Role), true),
        ("GET", "/v3/access-profiles") => route(None, Some(Schema::AccessProfile), true),
        ("GET", "/v2025/entitlements") => route(None, Some(Schema::Entitlement), true),
        ("GET", "/v3/requestable-objects") => route(None, Some(Schema::RequestableObject), true),
        ("POST", "/v3/access-requests") => route(
            Some(Schema::AccessRequest),
            Some(Schema::AccessRequestResponse),
            false,
        ),
        ("GET", "/v3/access-request-status") => {
            route(None, Some(Schema::RequestedItemStatus), true)
        }
        ("POST", "/v3/access-requests/cancel") => {
            route(Some(Schema::CancelAccessRequest), None, false)
        }
        _ => return None,
    };
    Some(route)
}

fn fourme_route(method: &str, path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let route = match (method, segments.as_slice()) {
        ("GET", ["v1", "requests", _]) => route(None, Some(Schema::FourMeRequest), false),
        ("PATCH" | "PUT", ["v1", "requests", _]) => route(
            Some(Schema::FourMeRequestPatch),
            Some(Schema::FourMeRequest),
            false,
        ),
        ("GET", ["v1", "people", _]) => route(None, Some(Schema::FourMePerson), false),
        ("POST", ["v1", "requests", _, "notes"]) => route(
            Some(Schema::FourMeNoteCreate),
            Some(Schema::FourMeNoteCreated),
            false,
        ),
        ("GET", ["v1", "requests", _, "notes"]) => route(None, Some(Schema::FourMeNote), true),
        ("GET" | "POST", ["webhooks", _, "verify"]) => route(None, None, false),
        _ => return None,
    };
    Some(route)
}

fn error_schema(system: System, status: u16) -> Schema {
    match (system, status) {
        (System::FourMe, _) => Schema::FourMeError,
        (System::IdentityNow, 401) => Schema::Unauthorized,
        (System::IdentityNow, 429) => Schema::TooManyRequests,
        (System::IdentityNow, _) => Schema::ErrorResponseDto,
    }
}

/// Check one exchange: the request body against its schema, and the answer against the
/// schema for its status. An exchange on a route the sandbox does not serve is a violation.
pub fn check_exchange(exchange: &Exchange) -> Result<(), Vec<String>> {
    let (method, path) = (exchange.method.as_str(), exchange.path.as_str());
    let found = match exchange.system {
        System::FourMe => fourme_route(method, path),
        System::IdentityNow => identitynow_route(method, path),
    };
    let Some(route) = found else {
        return Err(vec![format!(
            "{method} {path}: not a route of the simulated API"
        )]);
    };

    let mut problems = Vec::new();
    if let (Some(schema), Some(body)) = (route.request, &exchange.request_body) {
        problems.extend(violations("request", schema, body));
    }
    if let Some(body) = &exchange.response_body {
        if exchange.status >= 400 {
            problems.extend(violations(
                "response",
                error_schema(exchange.system, exchange.status),
                body,
            ));
        } else if let Some(schema) = route.response {
            problems.extend(answer_violations(schema, route.many, body));
        }
    }
    let label = format!("{method} {path} -> {}", exchange.status);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems
            .into_iter()
            .map(|problem| format!("{label}: {problem}"))
            .collect())
    }
}

/// Check many exchanges; every problem found, each prefixed with its route and status.
pub fn check_exchanges(exchanges: &[Exchange]) -> Result<(), Vec<String>> {
    let problems: Vec<String> = exchanges
        .iter()
        .filter_map(|exchange| check_exchange(exchange).err())
        .flatten()
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn answer_violations(schema: Schema, many: bool, body: &Value) -> Vec<String> {
    if !many {
        return violations("response", schema, body);
    }
    match body.as_array() {
        Some(items) => items
            .iter()
            .flat_map(|item| violations("response item", schema, item))
            .collect(),
        None => vec!["response: expected a JSON array".to_string()],
    }
}

fn violations(what: &str, schema: Schema, body: &Value) -> Vec<String> {
    match check(schema, body) {
        Ok(()) => Vec::new(),
        Err(found) => found
            .iter()
            .map(|violation| format!("{what} {violation}"))
            .collect(),
    }
}
