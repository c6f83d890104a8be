//! The demo's batch: which 4me requests to raise, and how each should end.
//!
//! Deterministic, from the seeded organisation: most are grants across the mapped
//! applications, some revokes, and some that must be refused (a person IdentityNow does not
//! know, a role that does not exist, an application that is not mapped) or ignored (a request
//! that asks for no access). Every ninth delivery is sent twice, as 4me does when it retries.

use sandbox::fourme::RequestSpec;
use sandbox::seed::{AccessItemKind, Application, Organisation};

/// How a request should end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Expected {
    /// One access request in IdentityNow, and a note saying so.
    Submitted,
    /// A refusal note: the person is not in IdentityNow.
    UnknownPerson,
    /// A refusal note: no such role, access profile or entitlement.
    UnknownItem,
    /// A refusal note: the application is not connected.
    Unmapped,
    /// Nothing: the request asks for no access.
    Ignored,
}

impl Expected {
    /// What the final table calls it.
    pub fn label(self) -> &'static str {
        match self {
            Expected::Submitted => "submitted to IdentityNow",
            Expected::UnknownPerson => "refused: person not in IdentityNow",
            Expected::UnknownItem => "refused: no such role or item",
            Expected::Unmapped => "refused: application not mapped",
            Expected::Ignored => "ignored: not an access request",
        }
    }

    /// Words the note must contain.
    pub fn note_says(self) -> Option<&'static str> {
        match self {
            Expected::Submitted => Some("[sailpoint-connector:submitted]"),
            Expected::UnknownPerson => Some("no IdentityNow identity"),
            Expected::UnknownItem => Some("IdentityNow has no requestable"),
            Expected::Unmapped => Some("is not mapped to an IdentityNow application"),
            Expected::Ignored => None,
        }
    }
}

/// One planned request.
pub struct Planned {
    /// What 4me records.
    pub spec: RequestSpec,
    /// How it should end.
    pub expected: Expected,
    /// Whether its webhook is delivered twice.
    pub repeated: bool,
    /// Grant or revoke, for the table.
    pub revoke: bool,
}

/// Applications the demo mapping connects, with the kind of item each is mapped to.
const MAPPED: [(&str, AccessItemKind); 5] = [
    ("Salesforce", AccessItemKind::AccessProfile),
    ("Workday", AccessItemKind::Role),
    ("GitHub Enterprise", AccessItemKind::Entitlement),
    ("Jira Software", AccessItemKind::AccessProfile),
    ("Microsoft 365", AccessItemKind::AccessProfile),
];

/// Plans `count` requests.
pub fn plan(org: &Organisation, count: usize) -> Vec<Planned> {
    let identities: Vec<_> = org.identities().collect();
    let strangers: Vec<_> = org.fourme_only().collect();
    let application = |name: &str| -> &Application {
        org.applications
            .iter()
            .find(|app| app.source_name == name)
            .expect("the seed has every demo application")
    };
    (0..count)
        .map(|i| {
            let person = identities[i % identities.len()].fourme_id;
            let (source, kind) = MAPPED[i % MAPPED.len()];
            let app = application(source);
            let items: Vec<_> = app.items().filter(|item| item.kind == kind).collect();
            let item = items[i % items.len()];
            let grant = |person: u64, app: &Application, item: &str| {
                RequestSpec::grant(person, app.service_instance_id, item)
                    .subject("Access to an application")
            };
            let (spec, expected, revoke) = match i % 20 {
                0..=13 => (grant(person, app, &item.name), Expected::Submitted, false),
                14 | 15 => {
                    let spec = RequestSpec::new(person, app.service_instance_id)
                        .subject("Remove access")
                        .custom_field("access_item", item.name.as_str())
                        .custom_field("access_action", "revoke");
                    (spec, Expected::Submitted, true)
                }
                16 => {
                    let stranger = strangers[i % strangers.len()].fourme_id;
                    (
                        grant(stranger, app, &item.name),
                        Expected::UnknownPerson,
                        false,
                    )
                }
                17 => (
                    grant(person, app, "Mainframe Night Operator"),
                    Expected::UnknownItem,
                    false,
                ),
                18 => {
                    let sap = application("SAP S/4HANA");
                    (
                        grant(person, sap, &sap.roles[0].name),
                        Expected::Unmapped,
                        false,
                    )
                }
                _ => {
                    let spec =
                        RequestSpec::new(person, app.service_instance_id).subject("Laptop is slow");
                    (spec, Expected::Ignored, false)
                }
            };
            Planned {
                spec,
                expected,
                repeated: i % 9 == 4,
                revoke,
            }
        })
        .collect()
}
