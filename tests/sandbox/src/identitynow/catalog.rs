//! The seed as IdentityNow prints it: identities, sources, roles, access profiles,
//! entitlements and requestable objects.

use serde_json::{json, Value};

use crate::seed::{AccessItem, AccessItemKind, Application, Organisation, Person};

/// When every seeded object was created and last modified.
const CREATED: &str = "2024-02-01T08:00:00.000Z";

/// `{type: IDENTITY, id, name}` for the owner of everything.
pub(crate) fn owner_ref(org: &Organisation) -> Value {
    let owner = org.owner();
    json!({"type": "IDENTITY", "id": owner.identity_id, "name": owner.alias})
}

/// `{type: IDENTITY, id, name}` for any identity; the name is empty for an unknown id.
pub(crate) fn identity_ref(org: &Organisation, id: &str) -> Value {
    let name = org
        .identity(id)
        .map(|person| person.name.clone())
        .unwrap_or_default();
    json!({"type": "IDENTITY", "id": id, "name": name})
}

/// A public identity (`GET /v3/public-identities`).
pub(crate) fn public_identity(person: &Person) -> Value {
    json!({
        "id": person.identity_id,
        "name": person.name,
        "alias": person.alias,
        "email": person.email,
        "status": "Active",
        "identityState": "ACTIVE",
        "manager": null,
        "attributes": [
            {"key": "department", "name": "Department", "value": person.organization.1},
            {"key": "employeeNumber", "name": "Employee Number", "value": person.employee_number},
        ],
    })
}

/// An identity search document (`POST /v3/search` on `identities`).
pub(crate) fn identity_document(person: &Person) -> Value {
    json!({
        "id": person.identity_id,
        "name": person.alias,
        "displayName": person.name,
        "firstName": person.first_name,
        "lastName": person.last_name,
        "email": person.email,
        "employeeNumber": person.employee_number,
        "created": CREATED,
        "modified": CREATED,
        "inactive": false,
        "protected": false,
        "status": "UNREGISTERED",
        "processingState": null,
        "isManager": false,
        "identityProfile": {"id": "5b5b1f1c3c0f4b6e9d1a2c3b4a5f6e7d", "name": "Employees"},
        "attributes": {
            "uid": person.alias,
            "firstname": person.first_name,
            "lastname": person.last_name,
            "displayName": person.name,
            "email": person.email,
            "employeeNumber": person.employee_number,
            "department": person.organization.1,
            "cloudLifecycleState": "active",
        },
        "_type": "identity",
        "type": "identity",
        "_version": "v7",
    })
}

/// A source (`GET /v3/sources`).
pub(crate) fn source(org: &Organisation, app: &Application) -> Value {
    json!({
        "id": app.source_id,
        "name": app.source_name,
        "description": format!("{} production tenant", app.source_name),
        "owner": owner_ref(org),
        "connector": "web-services",
        "connectorName": "Web Services",
        "type": "Web Services",
        "authoritative": false,
        "healthy": true,
        "status": "SOURCE_STATE_HEALTHY",
        "features": ["PROVISIONING", "SYNC_PROVISIONING"],
        "created": CREATED,
        "modified": CREATED,
    })
}

fn reference(item: &AccessItem) -> Value {
    json!({"type": item.kind.as_str(), "id": item.id, "name": item.name})
}

fn source_ref(app: &Application) -> Value {
    json!({"type": "SOURCE", "id": app.source_id, "name": app.source_name})
}

/// A role (`GET /v3/roles`): grants the application's first access profile.
pub(crate) fn role(org: &Organisation, app: &Application, item: &AccessItem) -> Value {
    json!({
        "id": item.id,
        "name": item.name,
        "description": format!("{} for {}", item.name, app.source_name),
        "owner": owner_ref(org),
        "accessProfiles": app.access_profiles.iter().take(1).map(reference).collect::<Vec<_>>(),
        "entitlements": [],
        "enabled": true,
        "requestable": true,
        "dimensional": false,
        "segments": [],
        "created": CREATED,
        "modified": CREATED,
    })
}

/// An access profile (`GET /v3/access-profiles`): bundles the source's first entitlement.
pub(crate) fn access_profile(org: &Organisation, app: &Application, item: &AccessItem) -> Value {
    json!({
        "id": item.id,
        "name": item.name,
        "description": format!("{} on {}", item.name, app.source_name),
        "owner": owner_ref(org),
        "source": source_ref(app),
        "entitlements": app.entitlements.iter().take(1).map(reference).collect::<Vec<_>>(),
        "enabled": true,
        "requestable": true,
        "segments": [],
        "created": CREATED,
        "modified": CREATED,
    })
}

/// An entitlement (`GET /v2025/entitlements`).
pub(crate) fn entitlement(org: &Organisation, app: &Application, item: &AccessItem) -> Value {
    json!({
        "id": item.id,
        "name": item.name,
        "attribute": "groups",
        "value": item.name,
        "sourceSchemaObjectType": "group",
        "description": format!("{} group on {}", item.name, app.source_name),
        "privileged": false,
        "cloudGoverned": false,
        "requestable": true,
        "owner": owner_ref(org),
        "source": source_ref(app),
        "attributes": {"groupType": "security"},
        "segments": [],
        "created": CREATED,
        "modified": CREATED,
    })
}

/// A requestable object (`GET /v3/requestable-objects`); roles and access profiles only.
pub(crate) fn requestable_object(
    org: &Organisation,
    item: &AccessItem,
    status: Option<&str>,
) -> Value {
    let owner = org.owner();
    json!({
        "id": item.id,
        "name": item.name,
        "type": item.kind.as_str(),
        "description": null,
        "created": CREATED,
        "modified": CREATED,
        "requestStatus": status,
        "identityRequestId": null,
        "ownerRef": {"type": "IDENTITY", "id": owner.identity_id, "name": owner.alias, "email": owner.email},
        "requestCommentsRequired": false,
    })
}

/// Whether an item is served by `/v3/requestable-objects`.
pub(crate) fn is_requestable_object(item: &AccessItem) -> bool {
    matches!(
        item.kind,
        AccessItemKind::Role | AccessItemKind::AccessProfile
    )
}
