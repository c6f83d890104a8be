//! Requests as tests describe them ([`RequestSpec`]) and as 4me prints them.

use serde_json::{json, Value};

use super::store::{Store, TEAMS};
use crate::clock::now_rfc3339;
use crate::ids::node_id;

/// The request template every access request uses.
const TEMPLATE: (u64, &str) = (310, "Request access to an application");

/// One custom field: `{"id":…,"value":…}` on the request.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomField {
    /// Field id as defined by the UI extension, e.g. `access_item`.
    pub id: String,
    /// Field value.
    pub value: Value,
}

/// What a new request should look like.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSpec {
    /// 4me person id the access is for.
    pub requested_for: u64,
    /// 4me person id who asked; defaults to `requested_for`.
    pub requested_by: Option<u64>,
    /// 4me service instance id (one per application).
    pub service_instance: u64,
    /// Subject line.
    pub subject: String,
    /// Initial status (default `assigned`).
    pub status: String,
    /// Custom fields, in order.
    pub custom_fields: Vec<CustomField>,
}

impl RequestSpec {
    /// A request for `requested_for` on `service_instance`, status `assigned`, no fields.
    pub fn new(requested_for: u64, service_instance: u64) -> Self {
        Self {
            requested_for,
            requested_by: None,
            service_instance,
            subject: "Request access to an application".to_string(),
            status: "assigned".to_string(),
            custom_fields: Vec::new(),
        }
    }

    /// A grant of `access_item` (the usual connector input).
    pub fn grant(requested_for: u64, service_instance: u64, access_item: &str) -> Self {
        Self::new(requested_for, service_instance)
            .custom_field("access_item", access_item)
            .custom_field("access_action", "grant")
    }

    /// Add a custom field.
    pub fn custom_field(mut self, id: &str, value: impl Into<Value>) -> Self {
        self.custom_fields.push(CustomField {
            id: id.to_string(),
            value: value.into(),
        });
        self
    }

    /// Set the subject.
    pub fn subject(mut self, subject: &str) -> Self {
        self.subject = subject.to_string();
        self
    }

    /// Set the initial status.
    pub fn status(mut self, status: &str) -> Self {
        self.status = status.to_string();
        self
    }

    /// Set who asked.
    pub fn requested_by(mut self, person: u64) -> Self {
        self.requested_by = Some(person);
        self
    }
}

/// The record for a new request `id`.
pub(crate) fn record(id: u64, store: &Store, spec: &RequestSpec) -> Value {
    let person = |id: u64| {
        let person = store
            .org
            .person(id)
            .unwrap_or_else(|| panic!("person {id} is not in the seed"));
        store.person_ref(person)
    };
    let service = store
        .org
        .application_for_service(spec.service_instance)
        .unwrap_or_else(|| {
            panic!(
                "service instance {} is not in the seed",
                spec.service_instance
            )
        });
    let now = now_rfc3339();
    let fields: Vec<Value> = spec
        .custom_fields
        .iter()
        .map(|field| json!({"id": field.id, "value": field.value}))
        .collect();
    json!({
        "id": id,
        "nodeID": node_id("Req", id),
        "sourceID": null,
        "source": "self service",
        "subject": spec.subject,
        "category": "rfc",
        "impact": "low",
        "status": spec.status,
        "completion_reason": null,
        "template": {"id": TEMPLATE.0, "nodeID": node_id("RequestTemplate", TEMPLATE.0), "subject": TEMPLATE.1},
        "service_instance": {
            "id": service.service_instance_id,
            "nodeID": node_id("ServiceInstance", service.service_instance_id),
            "name": service.service_instance_name,
        },
        "requested_by": person(spec.requested_by.unwrap_or(spec.requested_for)),
        "requested_for": person(spec.requested_for),
        "team": {"id": TEAMS[0].0, "name": TEAMS[0].1},
        "member": null,
        "custom_fields": fields,
        "created_at": now,
        "updated_at": now,
    })
}

/// The deliberately small payload of a request event (4me brief §1).
pub(crate) fn webhook_payload(store: &Store, event: &str, request_id: u64) -> Value {
    let record = store.requests.get(&request_id);
    let status = record.map(|r| r["status"].clone()).unwrap_or(Value::Null);
    let audit_line_id = 880_000 + request_id % 10_000;
    let mut payload = json!({
        "source": "self service",
        "sourceID": null,
        "status": status,
        "team": {
            "id": TEAMS[0].0, "nodeID": node_id("Team", TEAMS[0].0), "name": TEAMS[0].1,
            "sourceID": null, "disabled": false,
            "account": {"id": store.account_id, "name": "Example Corp"},
        },
        "member": null,
        "audit_line_id": audit_line_id,
        "audit_line_nodeID": node_id("AuditLine", audit_line_id),
    });
    if event.ends_with("status-changed") {
        let previous = store
            .history
            .get(&request_id)
            .and_then(|changes| changes.last());
        payload["previous_status"] = json!(previous.map(|change| change.from.clone()));
    }
    if event == "request.note-added" {
        if let Some(note) = store.notes.get(&request_id).and_then(|notes| notes.last()) {
            payload["note_id"] = json!(note.id);
            payload["note_nodeID"] = json!(node_id("Note", note.id));
        }
    }
    payload
}
