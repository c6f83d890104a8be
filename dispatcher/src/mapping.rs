//! The customer's mapping: which 4me requests become which IdentityNow access requests.
//!
//! One TOML file, checked at start-up. Parse errors name the line and key (the `toml` crate
//! reports both); the checks after parsing name the key of the offending entry. See
//! `config/mapping.example.toml` for a commented example.

use serde::Deserialize;
use shared::envelope::FOURME_EVENTS;
use std::collections::HashSet;

/// The whole mapping.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Which events and request statuses start a submission.
    #[serde(default)]
    pub trigger: Trigger,
    /// How a 4me person is matched to an IdentityNow identity.
    #[serde(default)]
    pub identity: IdentityMatch,
    /// Which request custom fields hold the access item and the action.
    pub fields: Fields,
    /// The 4me service instances that are IdentityNow applications.
    #[serde(rename = "service")]
    pub services: Vec<Service>,
    /// How IdentityNow's progress is written back on the 4me request.
    #[serde(default)]
    pub progress: Progress,
}

/// Where IdentityNow's progress takes the 4me request.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// The 4me team (id) that gets a request whose provisioning failed or partly failed;
    /// without it the request only gets an internal note.
    #[serde(default)]
    pub failure_team: Option<u64>,
    /// The 4me status after IdentityNow cancelled or terminated the request, optionally with a
    /// completion reason: `"completed/withdrawn"`; without it only a note is written.
    #[serde(default)]
    pub on_cancelled: Option<StatusChange>,
}

/// A 4me status, with a completion reason when the status is `completed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The 4me request status.
    pub status: String,
    /// The completion reason.
    pub completion_reason: Option<String>,
}

const STATUSES: [&str; 11] = [
    "declined",
    "on_backlog",
    "assigned",
    "accepted",
    "in_progress",
    "waiting_for",
    "waiting_for_customer",
    "reservation_pending",
    "workflow_pending",
    "project_pending",
    "completed",
];
const COMPLETION_REASONS: [&str; 10] = [
    "solved",
    "workaround",
    "gone",
    "duplicate",
    "withdrawn",
    "no_reply",
    "rejected",
    "conflict",
    "declined",
    "unsolvable",
];

impl<'de> Deserialize<'de> for StatusChange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let (status, reason) = match text.split_once('/') {
            Some((status, reason)) => (status.trim(), Some(reason.trim())),
            None => (text.trim(), None),
        };
        if !STATUSES.contains(&status) {
            return Err(serde::de::Error::custom(format!(
                "{status:?} is not a 4me request status ({})",
                STATUSES.join(", ")
            )));
        }
        if let Some(reason) = reason {
            if !COMPLETION_REASONS.contains(&reason) {
                return Err(serde::de::Error::custom(format!(
                    "{reason:?} is not a 4me completion reason ({})",
                    COMPLETION_REASONS.join(", ")
                )));
            }
        }
        if status == "completed" && reason.is_none() {
            return Err(serde::de::Error::custom(
                "a completed request needs a completion reason, e.g. \"completed/withdrawn\"",
            ));
        }
        Ok(StatusChange {
            status: status.to_owned(),
            completion_reason: reason.map(str::to_owned),
        })
    }
}

/// When a request is submitted.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// 4me events that may submit, e.g. `request.create`, `automation_rule`.
    pub events: Vec<String>,
    /// Request statuses at which to submit; empty means any status.
    #[serde(default)]
    pub statuses: Vec<String>,
}

impl Default for Trigger {
    fn default() -> Self {
        Trigger {
            events: vec![
                "request.create".into(),
                "request.status-changed".into(),
                "automation_rule".into(),
            ],
            statuses: Vec::new(),
        }
    }
}

/// The 4me person attribute matched against IdentityNow.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct IdentityMatch {
    /// `email` (default) or `employee_number`.
    #[serde(default, rename = "match")]
    pub by: MatchBy,
}

/// How people are matched.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MatchBy {
    /// 4me `primary_email` = IdentityNow `email`.
    #[default]
    Email,
    /// 4me `employee_number` = IdentityNow `employeeNumber`.
    EmployeeNumber,
}

/// The request custom fields (UI-extension field ids) the connector reads.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    /// The field holding the role, access profile or entitlement, by name or id.
    pub item: String,
    /// Optional field saying which kind the item is; else the service's `item_type`.
    #[serde(default)]
    pub item_type: Option<String>,
    /// Optional field holding `grant` or `revoke`; grant when absent.
    #[serde(default)]
    pub action: Option<String>,
}

/// One 4me service instance and the IdentityNow application it stands for.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The 4me service instance, by name (`"Salesforce - Production"`) or numeric id.
    pub fourme: ServiceRef,
    /// The IdentityNow source (application) name.
    pub source: String,
    /// The kind of item when the request does not say.
    #[serde(default)]
    pub item_type: ItemKind,
}

/// A 4me service instance reference.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Hash)]
#[serde(untagged)]
pub enum ServiceRef {
    /// By numeric id.
    Id(u64),
    /// By name.
    Name(String),
}

/// What is requested in IdentityNow.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A role.
    Role,
    /// An access profile (default).
    #[default]
    AccessProfile,
    /// An entitlement.
    Entitlement,
}

impl ItemKind {
    /// The `type` value IdentityNow uses.
    pub fn api_name(self) -> &'static str {
        match self {
            ItemKind::Role => "ROLE",
            ItemKind::AccessProfile => "ACCESS_PROFILE",
            ItemKind::Entitlement => "ENTITLEMENT",
        }
    }

    /// Reads a custom-field value such as `role`, `Access profile` or `ENTITLEMENT`.
    pub fn parse(text: &str) -> Option<ItemKind> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "role" => Some(ItemKind::Role),
            "access_profile" => Some(ItemKind::AccessProfile),
            "entitlement" => Some(ItemKind::Entitlement),
            _ => None,
        }
    }
}

/// The mapping could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// The file could not be read.
    #[error("cannot read mapping file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// Not valid TOML, or a key of the wrong type or unknown; the message names line and key.
    #[error("mapping file {path}: {message}")]
    Parse { path: String, message: String },
    /// Valid TOML with an inconsistent value.
    #[error("mapping file {path}: {key}: {reason}")]
    Invalid {
        path: String,
        key: String,
        reason: String,
    },
}

impl Mapping {
    /// Reads and checks a mapping file.
    pub fn load(path: &str) -> Result<Mapping, MappingError> {
        let text = std::fs::read_to_string(path).map_err(|source| MappingError::Read {
            path: path.into(),
            source,
        })?;
        Mapping::parse(&text, path)
    }

    /// Parses and checks mapping text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Mapping, MappingError> {
        let mapping: Mapping = toml::from_str(text).map_err(|error| MappingError::Parse {
            path: origin.into(),
            message: error.to_string(),
        })?;
        mapping.check(origin)?;
        Ok(mapping)
    }

    fn check(&self, origin: &str) -> Result<(), MappingError> {
        let invalid = |key: String, reason: &str| MappingError::Invalid {
            path: origin.into(),
            key,
            reason: reason.into(),
        };
        if self.services.is_empty() {
            return Err(invalid(
                "service".into(),
                "at least one [[service]] is needed",
            ));
        }
        if self.trigger.events.is_empty() {
            return Err(invalid(
                "trigger.events".into(),
                "at least one event is needed",
            ));
        }
        for (index, event) in self.trigger.events.iter().enumerate() {
            if !FOURME_EVENTS.contains(&event.as_str()) {
                return Err(invalid(
                    format!("trigger.events[{index}]"),
                    &format!("{event:?} is not one of {}", FOURME_EVENTS.join(", ")),
                ));
            }
        }
        for (index, status) in self.trigger.statuses.iter().enumerate() {
            if !STATUSES.contains(&status.as_str()) {
                return Err(invalid(
                    format!("trigger.statuses[{index}]"),
                    &format!(
                        "{status:?} is not a 4me request status ({})",
                        STATUSES.join(", ")
                    ),
                ));
            }
        }
        if self.fields.item.trim().is_empty() {
            return Err(invalid("fields.item".into(), "must name a custom field"));
        }
        let mut seen = HashSet::new();
        for (index, service) in self.services.iter().enumerate() {
            if service.source.trim().is_empty() {
                return Err(invalid(
                    format!("service[{index}].source"),
                    "must not be empty",
                ));
            }
            if !seen.insert(&service.fourme) {
                return Err(invalid(
                    format!("service[{index}].fourme"),
                    "this service instance is mapped twice",
                ));
            }
        }
        Ok(())
    }

    /// The service entry for a 4me service instance, by id or by name.
    pub fn service(&self, id: Option<u64>, name: Option<&str>) -> Option<&Service> {
        self.services.iter().find(|service| match &service.fourme {
            ServiceRef::Id(mapped) => Some(*mapped) == id,
            ServiceRef::Name(mapped) => name.is_some_and(|name| name.eq_ignore_ascii_case(mapped)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[trigger]
events = ["request.create"]
statuses = ["assigned"]

[identity]
match = "employee_number"

[fields]
item = "access_item"
action = "access_action"

[[service]]
fourme = "Salesforce - Production"
source = "Salesforce"

[[service]]
fourme = 4711
source = "Active Directory"
item_type = "entitlement"
"#;

    #[test]
    fn a_good_mapping_reads() {
        let mapping = Mapping::parse(GOOD, "test").unwrap();
        assert_eq!(mapping.identity.by, MatchBy::EmployeeNumber);
        let ad = mapping.service(Some(4711), None).unwrap();
        assert_eq!(ad.item_type, ItemKind::Entitlement);
        let sf = mapping
            .service(None, Some("salesforce - production"))
            .unwrap();
        assert_eq!(sf.source, "Salesforce");
        assert!(mapping.service(Some(1), Some("Printer")).is_none());
    }

    #[test]
    fn errors_name_line_and_key() {
        let bad = GOOD.replace("item_type = \"entitlement\"", "item_type = \"group\"");
        let message = Mapping::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(message.contains("line 20"), "{message}");
        assert!(message.contains("group"), "{message}");
        let unknown = GOOD.replace("source = \"Salesforce\"", "sorce = \"Salesforce\"");
        let message = Mapping::parse(&unknown, "m.toml").unwrap_err().to_string();
        assert!(message.contains("sorce"), "{message}");
        assert!(message.contains("line"), "{message}");
    }

    #[test]
    fn misspelt_triggers_are_named() {
        let event = GOOD.replace(
            "events = [\"request.create\"]",
            "events = [\"request.creat\"]",
        );
        let message = Mapping::parse(&event, "m.toml").unwrap_err().to_string();
        assert!(
            message.contains("trigger.events[0]") && message.contains("request.creat"),
            "{message}"
        );
        let status = GOOD.replace("statuses = [\"assigned\"]", "statuses = [\"asigned\"]");
        let message = Mapping::parse(&status, "m.toml").unwrap_err().to_string();
        assert!(
            message.contains("trigger.statuses[0]") && message.contains("asigned"),
            "{message}"
        );
    }

    #[test]
    fn duplicates_are_named() {
        let twice = GOOD.replace("fourme = 4711", "fourme = \"Salesforce - Production\"");
        let message = Mapping::parse(&twice, "m.toml").unwrap_err().to_string();
        assert!(message.contains("service[1].fourme"), "{message}");
    }

    #[test]
    fn progress_settings_are_checked() {
        let with = format!(
            "{GOOD}\n[progress]\nfailure_team = 7\non_cancelled = \"completed/withdrawn\"\n"
        );
        let mapping = Mapping::parse(&with, "m.toml").unwrap();
        assert_eq!(mapping.progress.failure_team, Some(7));
        let change = mapping.progress.on_cancelled.unwrap();
        assert_eq!(change.completion_reason.as_deref(), Some("withdrawn"));
        let bad = format!("{GOOD}\n[progress]\non_cancelled = \"completed/oops\"\n");
        let message = Mapping::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(
            message.contains("oops") && message.contains("line"),
            "{message}"
        );
    }

    #[test]
    fn item_kinds_read_loosely() {
        assert_eq!(
            ItemKind::parse("Access profile"),
            Some(ItemKind::AccessProfile)
        );
        assert_eq!(ItemKind::parse("ROLE"), Some(ItemKind::Role));
        assert_eq!(ItemKind::parse("group"), None);
    }
}
