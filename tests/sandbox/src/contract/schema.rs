//! The embedded schemas and validation against them.

use std::collections::HashMap;
use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::Validator;
use serde_json::Value;

/// Every shape the sandbox knows, IdentityNow first, then 4me.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Schema {
    /// IdentityNow `POST /v3/access-requests` body.
    AccessRequest,
    /// IdentityNow 202 answer to an access request.
    AccessRequestResponse,
    /// One item of `GET /v3/access-request-status`.
    RequestedItemStatus,
    /// IdentityNow `POST /v3/access-requests/cancel` body.
    CancelAccessRequest,
    /// One item of `GET /v3/public-identities`.
    PublicIdentity,
    /// One identity document from `POST /v3/search`.
    IdentityDocument,
    /// IdentityNow `POST /v3/search` body.
    Search,
    /// One item of `GET /v3/roles`.
    Role,
    /// One item of `GET /v3/access-profiles`.
    AccessProfile,
    /// One item of `GET /v3/sources`.
    Source,
    /// One item of `GET /v3/requestable-objects`.
    RequestableObject,
    /// One item of `GET /v2025/entitlements`.
    Entitlement,
    /// IdentityNow error body for 400/403/404/500.
    ErrorResponseDto,
    /// IdentityNow 401 body.
    Unauthorized,
    /// IdentityNow 429 body.
    TooManyRequests,
    /// `POST /oauth/token` answer.
    OAuthToken,
    /// 4me request record.
    FourMeRequest,
    /// 4me person record.
    FourMePerson,
    /// 4me note record.
    FourMeNote,
    /// 4me `POST /requests/:id/notes` body.
    FourMeNoteCreate,
    /// 4me 201 answer to a note.
    FourMeNoteCreated,
    /// 4me `PATCH /requests/:id` body.
    FourMeRequestPatch,
    /// 4me error body.
    FourMeError,
    /// 4me webhook envelope (the `data` claim when signed).
    FourMeWebhook,
}

impl Schema {
    /// Every schema, for tests that want to touch them all.
    pub const ALL: [Schema; 24] = [
        Schema::AccessRequest,
        Schema::AccessRequestResponse,
        Schema::RequestedItemStatus,
        Schema::CancelAccessRequest,
        Schema::PublicIdentity,
        Schema::IdentityDocument,
        Schema::Search,
        Schema::Role,
        Schema::AccessProfile,
        Schema::Source,
        Schema::RequestableObject,
        Schema::Entitlement,
        Schema::ErrorResponseDto,
        Schema::Unauthorized,
        Schema::TooManyRequests,
        Schema::OAuthToken,
        Schema::FourMeRequest,
        Schema::FourMePerson,
        Schema::FourMeNote,
        Schema::FourMeNoteCreate,
        Schema::FourMeNoteCreated,
        Schema::FourMeRequestPatch,
        Schema::FourMeError,
        Schema::FourMeWebhook,
    ];

    /// The schema document, as embedded at compile time.
    pub fn text(self) -> &'static str {
        match self {
            Schema::AccessRequest => include_str!("../../schemas/identitynow/AccessRequest.json"),
            Schema::AccessRequestResponse => {
                include_str!("../../schemas/identitynow/AccessRequestResponse.json")
            }
            Schema::RequestedItemStatus => {
                include_str!("../../schemas/identitynow/RequestedItemStatus.json")
            }
            Schema::CancelAccessRequest => {
                include_str!("../../schemas/identitynow/CancelAccessRequest.json")
            }
            Schema::PublicIdentity => include_str!("../../schemas/identitynow/PublicIdentity.json"),
            Schema::IdentityDocument => {
                include_str!("../../schemas/identitynow/IdentityDocument.json")
            }
            Schema::Search => include_str!("../../schemas/identitynow/Search.json"),
            Schema::Role => include_str!("../../schemas/identitynow/Role.json"),
            Schema::AccessProfile => include_str!("../../schemas/identitynow/AccessProfile.json"),
            Schema::Source => include_str!("../../schemas/identitynow/Source.json"),
            Schema::RequestableObject => {
                include_str!("../../schemas/identitynow/RequestableObject.json")
            }
            Schema::Entitlement => include_str!("../../schemas/identitynow/Entitlement.json"),
            Schema::ErrorResponseDto => {
                include_str!("../../schemas/identitynow/ErrorResponseDto.json")
            }
            Schema::Unauthorized => include_str!("../../schemas/identitynow/Unauthorized.json"),
            Schema::TooManyRequests => {
                include_str!("../../schemas/identitynow/TooManyRequests.json")
            }
            Schema::OAuthToken => include_str!("../../schemas/identitynow/OAuthToken.json"),
            Schema::FourMeRequest => include_str!("../../schemas/fourme/Request.json"),
            Schema::FourMePerson => include_str!("../../schemas/fourme/Person.json"),
            Schema::FourMeNote => include_str!("../../schemas/fourme/Note.json"),
            Schema::FourMeNoteCreate => include_str!("../../schemas/fourme/NoteCreate.json"),
            Schema::FourMeNoteCreated => include_str!("../../schemas/fourme/NoteCreated.json"),
            Schema::FourMeRequestPatch => include_str!("../../schemas/fourme/RequestPatch.json"),
            Schema::FourMeError => include_str!("../../schemas/fourme/Error.json"),
            Schema::FourMeWebhook => include_str!("../../schemas/fourme/Webhook.json"),
        }
    }
}

/// What kind of rule a value broke; the simulators word their errors by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// A required field is missing.
    Required,
    /// A field the schema does not know.
    Unknown,
    /// A value outside an enum.
    Enum,
    /// A value of the wrong JSON type.
    Type,
    /// Any other rule (lengths, bounds, combinators).
    Other,
}

/// One way a value fails its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer to the offending value (for a missing field, where it should be).
    pub pointer: String,
    /// The top-level field concerned, or "" for the document itself.
    pub field: String,
    /// What rule was broken.
    pub kind: ViolationKind,
    /// A readable explanation.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

static VALIDATORS: LazyLock<HashMap<Schema, Validator>> = LazyLock::new(|| {
    Schema::ALL
        .iter()
        .map(|&schema| {
            // The schemas are constants of this crate, checked by its tests; a broken one is a
            // bug in the sandbox, not bad input.
            let document: Value = serde_json::from_str(schema.text())
                .unwrap_or_else(|error| panic!("{schema:?} schema is not JSON: {error}"));
            let validator = jsonschema::validator_for(&document)
                .unwrap_or_else(|error| panic!("{schema:?} schema does not compile: {error}"));
            (schema, validator)
        })
        .collect()
});

/// Check `value` against `schema`; on failure, every violation found.
pub fn check(schema: Schema, value: &Value) -> Result<(), Vec<Violation>> {
    let validator = &VALIDATORS[&schema];
    let violations: Vec<Violation> = validator.iter_errors(value).map(violation).collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

fn violation(error: jsonschema::ValidationError<'_>) -> Violation {
    let pointer = error.instance_path().to_string();
    let top = pointer.split('/').nth(1).unwrap_or_default().to_string();
    let (kind, field) = match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default().to_string();
            (
                ViolationKind::Required,
                if top.is_empty() { name } else { top },
            )
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let name = unexpected.first().cloned().unwrap_or_default();
            (
                ViolationKind::Unknown,
                if top.is_empty() { name } else { top },
            )
        }
        ValidationErrorKind::Enum { .. } => (ViolationKind::Enum, top),
        ValidationErrorKind::Type { .. } => (ViolationKind::Type, top),
        _ => (ViolationKind::Other, top),
    };
    Violation {
        pointer,
        field,
        kind,
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_schema_compiles() {
        for schema in Schema::ALL {
            assert!(VALIDATORS.contains_key(&schema));
        }
    }

    #[test]
    fn bare_string_requested_for_is_a_type_violation() {
        let body = json!({"requestedFor": "abc", "requestedItems": [{"type": "ROLE", "id": "x"}]});
        let violations = check(Schema::AccessRequest, &body).unwrap_err();
        assert_eq!(violations[0].field, "requestedFor");
        assert_eq!(violations[0].kind, ViolationKind::Type);
    }

    #[test]
    fn missing_text_names_the_field() {
        let violations = check(Schema::FourMeNoteCreate, &json!({"internal": true})).unwrap_err();
        assert_eq!(violations[0].field, "text");
        assert_eq!(violations[0].kind, ViolationKind::Required);
    }
}
