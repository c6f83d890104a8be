//! Reading a 4me event as an access request: which request, which service, which item, for
//! whom, grant or revoke. Pure functions over JSON, so they are easy to test.

use crate::failure::Failure;
use crate::identitynow::access::Action;
use crate::mapping::{ItemKind, Mapping, MatchBy, Service};
use serde_json::Value;
use shared::envelope::Envelope;

/// What a 4me request asks for, before anything is looked up in IdentityNow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessIntent {
    /// The 4me request id.
    pub request_id: u64,
    /// The mapped IdentityNow application.
    pub service: Service,
    /// The item's name or id as typed in 4me.
    pub item: String,
    /// Role, access profile or entitlement.
    pub kind: ItemKind,
    /// Grant or revoke.
    pub action: Action,
}

/// The 4me request an event is about, when there is one.
pub fn request_id(envelope: &Envelope) -> Option<u64> {
    let data = &envelope.data;
    if envelope.event == "automation_rule" {
        let payload = data.get("payload")?;
        return payload
            .get("request_id")
            .or_else(|| payload.get("id"))
            .and_then(as_u64);
    }
    if envelope.event.starts_with("request.") {
        return data.get("object_id").and_then(as_u64);
    }
    // IdentityNow events carry the 4me request in the clientMetadata the connector sent.
    let metadata = match envelope.event.as_str() {
        "identitynow.status" => data.get("clientMetadata"),
        "identitynow.access-request-decision" => {
            data.pointer("/requestedItemsStatus/0/clientMetadata")
        }
        _ => None,
    };
    metadata?
        .get(crate::identitynow::access::META_REQUEST)
        .and_then(as_u64)
}

/// The status a status-changed event moved the request to, when the event says.
pub fn event_status(envelope: &Envelope) -> Option<&str> {
    envelope
        .data
        .pointer("/payload/status")
        .and_then(Value::as_str)
}

/// A request record's custom field value, by field id.
pub fn custom_field<'a>(record: &'a Value, id: &str) -> Option<&'a str> {
    record
        .get("custom_fields")?
        .as_array()?
        .iter()
        .find(|field| field.get("id").and_then(Value::as_str) == Some(id))?
        .get("value")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

/// Reads an access intent from a request record (or an automation-rule payload flattened into
/// the same shape). `Ok(None)` means the request does not ask for access at all.
pub fn from_record(
    mapping: &Mapping,
    request_id: u64,
    record: &Value,
) -> Result<Option<AccessIntent>, Failure> {
    let Some(item) = custom_field(record, &mapping.fields.item) else {
        return Ok(None);
    };
    let instance = record.get("service_instance");
    let instance_id = instance.and_then(|si| si.get("id")).and_then(as_u64);
    let instance_name = instance
        .and_then(|si| si.get("name"))
        .and_then(Value::as_str);
    let service = mapping.service(instance_id, instance_name).ok_or_else(|| {
        let named = instance_name
            .map(str::to_owned)
            .or(instance_id.map(|id| id.to_string()))
            .unwrap_or_else(|| "(none)".into());
        Failure::UnmappedService(named)
    })?;
    let kind = match mapping
        .fields
        .item_type
        .as_deref()
        .and_then(|f| custom_field(record, f))
    {
        Some(text) => ItemKind::parse(text).ok_or_else(|| {
            Failure::InvalidRequest(format!(
                "{text:?} is not a role, access profile or entitlement"
            ))
        })?,
        None => service.item_type,
    };
    let action = match mapping
        .fields
        .action
        .as_deref()
        .and_then(|f| custom_field(record, f))
    {
        None => Action::Grant,
        Some(text) => match text.to_ascii_lowercase().as_str() {
            "grant" | "add" | "request" => Action::Grant,
            "revoke" | "remove" => Action::Revoke,
            _ => {
                return Err(Failure::InvalidRequest(format!(
                    "{text:?} is neither grant nor revoke"
                )))
            }
        },
    };
    Ok(Some(AccessIntent {
        request_id,
        service: service.clone(),
        item: item.to_owned(),
        kind,
        action,
    }))
}

/// An automation-rule payload that already carries everything, as a request-shaped record and
/// the person's match value; `None` when something is missing and the API must be read.
///
/// Expected payload keys: `request_id`, `service_instance` (name or id), `requested_for_email`
/// or `requested_for_employee_number`, and the mapping's custom field ids.
pub fn from_rule_payload(mapping: &Mapping, envelope: &Envelope) -> Option<(Value, String)> {
    let payload = envelope.data.get("payload")?.as_object()?;
    let person_key = match mapping.identity.by {
        MatchBy::Email => "requested_for_email",
        MatchBy::EmployeeNumber => "requested_for_employee_number",
    };
    let person = payload.get(person_key).and_then(as_text)?;
    let instance = payload.get("service_instance")?;
    let instance = match instance {
        Value::Number(id) => serde_json::json!({ "id": id }),
        Value::String(name) => serde_json::json!({ "name": name }),
        _ => return None,
    };
    let mut fields = Vec::new();
    for id in [
        Some(&mapping.fields.item),
        mapping.fields.item_type.as_ref(),
        mapping.fields.action.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(value) = payload.get(id).and_then(as_text) {
            fields.push(serde_json::json!({ "id": id, "value": value }));
        }
    }
    let record = serde_json::json!({ "service_instance": instance, "custom_fields": fields });
    Some((record, person))
}

/// The person's value to match on, from a 4me person record.
pub fn person_key(by: MatchBy, person: &Value) -> Result<String, Failure> {
    // 4me's person record names the employee number `employee_id`.
    let (field, label) = match by {
        MatchBy::Email => ("primary_email", "e-mail address"),
        MatchBy::EmployeeNumber => ("employee_id", "employee number"),
    };
    person
        .get(field)
        .and_then(as_text)
        .ok_or(Failure::MissingIdentity(label))
}

fn as_u64(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()))
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping() -> Mapping {
        Mapping::parse(
            r#"
[fields]
item = "access_item"
item_type = "access_type"
action = "access_action"

[[service]]
fourme = "Salesforce - Production"
source = "Salesforce"
"#,
            "test",
        )
        .unwrap()
    }

    fn record(service: &str, fields: Value) -> Value {
        json!({"id": 70001, "service_instance": {"id": 12, "name": service}, "custom_fields": fields})
    }

    #[test]
    fn a_grant_is_read() {
        let fields = json!([{"id": "access_item", "value": "Sales Manager"}, {"id": "access_type", "value": "role"}]);
        let intent = from_record(
            &mapping(),
            70001,
            &record("Salesforce - Production", fields),
        )
        .unwrap()
        .unwrap();
        assert_eq!(intent.item, "Sales Manager");
        assert_eq!(intent.kind, ItemKind::Role);
        assert_eq!(intent.action, Action::Grant);
    }

    #[test]
    fn a_revoke_is_read() {
        let fields = json!([{"id": "access_item", "value": "Reports"}, {"id": "access_action", "value": "Revoke"}]);
        let intent = from_record(&mapping(), 1, &record("Salesforce - Production", fields))
            .unwrap()
            .unwrap();
        assert_eq!(intent.action, Action::Revoke);
        assert_eq!(intent.kind, ItemKind::AccessProfile);
    }

    #[test]
    fn requests_without_access_fields_are_not_access_requests() {
        let none = from_record(&mapping(), 1, &record("Printer", json!([]))).unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn an_unmapped_service_is_named() {
        let fields = json!([{"id": "access_item", "value": "X"}]);
        let error = from_record(&mapping(), 1, &record("Workday", fields)).unwrap_err();
        assert!(error.to_string().contains("Workday"));
    }

    #[test]
    fn a_full_rule_payload_needs_no_reads() {
        let envelope = Envelope {
            source: shared::envelope::Source::Fourme,
            event: "automation_rule".into(),
            delivery_id: "d".into(),
            received_at_ms: 0,
            data: json!({"payload": {"request_id": "70001", "service_instance": "Salesforce - Production",
                "requested_for_email": "jane@example.com", "access_item": "Sales Manager"}}),
        };
        assert_eq!(request_id(&envelope), Some(70001));
        let (record, person) = from_rule_payload(&mapping(), &envelope).unwrap();
        assert_eq!(person, "jane@example.com");
        let intent = from_record(&mapping(), 70001, &record).unwrap().unwrap();
        assert_eq!(intent.service.source, "Salesforce");
    }
}
