//! The deterministic organisation both simulators serve.
//!
//! 300 people exist in both systems, 4 more only in 4me (so a request for them cannot be
//! resolved in IdentityNow). Six applications each become an IdentityNow source with roles,
//! access profiles and entitlements, and a 4me service instance mapped to it. The same call
//! always yields the same ids and names, so tests can hard-code them.

use crate::ids::SeedRng;

/// People known to both 4me and IdentityNow.
const SHARED_PEOPLE: usize = 300;
/// People known only to 4me.
const FOURME_ONLY_PEOPLE: usize = 4;
/// 4me id of the first person; later ones count up from here.
const FIRST_PERSON_ID: u64 = 501;
/// 4me id of the first service instance.
const FIRST_SERVICE_INSTANCE_ID: u64 = 126;

const FIRST_NAMES: [&str; 24] = [
    "Casey", "Jordan", "Alex", "Sam", "Robin", "Morgan", "Taylor", "Jamie", "Avery", "Riley",
    "Quinn", "Drew", "Harper", "Rowan", "Emery", "Finley", "Hayden", "Kendall", "Logan", "Parker",
    "Reese", "Sage", "Skyler", "Toni",
];
const LAST_NAMES: [&str; 24] = [
    "Sample",
    "Placeholder",
    "Example",
    "Tester",
    "Mockley",
    "Dummer",
    "Fakeson",
    "Stubbs",
    "Fixture",
    "Seedling",
    "Proto",
    "Draft",
    "Sketch",
    "Template",
    "Outline",
    "Pattern",
    "Model",
    "Replica",
    "Mirror",
    "Shadow",
    "Copley",
    "Ditto",
    "Echo",
    "Twin",
];
const DEPARTMENTS: [(u64, &str); 5] = [
    (7, "Sales EMEA"),
    (8, "Finance"),
    (9, "Engineering"),
    (10, "Human Resources"),
    (11, "Operations"),
];

/// Names of one application and its access; names are unique across the whole list.
struct AppSeed {
    name: &'static str,
    roles: &'static [&'static str],
    profiles: &'static [&'static str],
    entitlements: &'static [&'static str],
}

const APPLICATIONS: [AppSeed; 6] = [
    AppSeed {
        name: "Salesforce",
        roles: &["Sales Manager", "Sales Representative", "Sales Operations"],
        profiles: &["Sales Read Only", "Sales Reporting", "Sales Admin Console"],
        entitlements: &[
            "SF Profile Standard User",
            "SF Profile Manager",
            "SF Permission Set Reports",
            "SF Permission Set API",
        ],
    },
    AppSeed {
        name: "Workday",
        roles: &["HR Partner", "Payroll Specialist"],
        profiles: &[
            "Workday Self Service",
            "Workday Compensation Viewer",
            "Workday Recruiting",
        ],
        entitlements: &[
            "WD Security Group Employee",
            "WD Security Group Manager",
            "WD Security Group HR",
        ],
    },
    AppSeed {
        name: "GitHub Enterprise",
        roles: &[
            "Developer",
            "Maintainer",
            "Organisation Owner",
            "Security Reviewer",
        ],
        profiles: &["GitHub Read", "GitHub Write"],
        entitlements: &[
            "GH Team Platform",
            "GH Team Web",
            "GH Team Mobile",
            "GH Team Data",
            "GH Team Security",
        ],
    },
    AppSeed {
        name: "Jira Software",
        roles: &["Project Lead", "Agile Coach"],
        profiles: &[
            "Jira User",
            "Jira Project Admin",
            "Jira Service Agent",
            "Jira Viewer",
        ],
        entitlements: &[
            "JIRA Group Users",
            "JIRA Group Developers",
            "JIRA Group Admins",
        ],
    },
    AppSeed {
        name: "SAP S/4HANA",
        roles: &["Accounts Payable Clerk", "Controller", "Purchasing Agent"],
        profiles: &["SAP Display Only", "SAP Finance Posting", "SAP Procurement"],
        entitlements: &[
            "SAP_FI_AP_CLERK",
            "SAP_FI_GL_DISPLAY",
            "SAP_MM_PUR_AGENT",
            "SAP_CO_CONTROLLER",
            "SAP_BASIS_READ",
            "SAP_FI_AR_CLERK",
        ],
    },
    AppSeed {
        name: "Microsoft 365",
        roles: &["Knowledge Worker", "Teams Administrator"],
        profiles: &["M365 E3 Licence", "M365 Shared Mailbox Access"],
        entitlements: &[
            "M365 Group All Staff",
            "M365 Group Finance",
            "M365 Group Project Rooms",
        ],
    },
];

/// A person as both systems know them.
#[derive(Debug, Clone)]
pub struct Person {
    /// 4me person id.
    pub fourme_id: u64,
    /// IdentityNow identity id (32 hex), `None` for people who exist only in 4me.
    pub identity_id: Option<String>,
    /// Display name, "First Last".
    pub name: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Login alias in IdentityNow (`first.last`).
    pub alias: String,
    /// E-mail address, the same in both systems.
    pub email: String,
    /// Employee number, the same in both systems.
    pub employee_number: String,
    /// 4me organization (id, name); also the `department` attribute in IdentityNow.
    pub organization: (u64, String),
}

/// Which kind of IdentityNow access object an [`AccessItem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessItemKind {
    /// A role (not tied to a source in IdentityNow).
    Role,
    /// An access profile on the application's source.
    AccessProfile,
    /// An entitlement on the application's source.
    Entitlement,
}

impl AccessItemKind {
    /// The type name used on the wire: `ROLE`, `ACCESS_PROFILE` or `ENTITLEMENT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Role => "ROLE",
            Self::AccessProfile => "ACCESS_PROFILE",
            Self::Entitlement => "ENTITLEMENT",
        }
    }
}

/// A requestable thing in IdentityNow.
#[derive(Debug, Clone)]
pub struct AccessItem {
    /// 32-hex id.
    pub id: String,
    /// Name, unique across the organisation.
    pub name: String,
    /// Role, access profile or entitlement.
    pub kind: AccessItemKind,
}

/// An application: an IdentityNow source plus the 4me service instance mapped to it.
#[derive(Debug, Clone)]
pub struct Application {
    /// IdentityNow source id (32 hex).
    pub source_id: String,
    /// IdentityNow source name, e.g. "Salesforce".
    pub source_name: String,
    /// 4me service instance id.
    pub service_instance_id: u64,
    /// 4me service instance name, e.g. "Salesforce - Production".
    pub service_instance_name: String,
    /// Roles (2-4) granting this application's access.
    pub roles: Vec<AccessItem>,
    /// Access profiles (2-4) on this source.
    pub access_profiles: Vec<AccessItem>,
    /// Entitlements (3-6) on this source.
    pub entitlements: Vec<AccessItem>,
}

impl Application {
    /// Every access item of this application, roles first.
    pub fn items(&self) -> impl Iterator<Item = &AccessItem> {
        self.roles
            .iter()
            .chain(&self.access_profiles)
            .chain(&self.entitlements)
    }
}

/// The whole seed: people and applications.
#[derive(Debug, Clone)]
pub struct Organisation {
    /// Everyone; the last four have no IdentityNow identity.
    pub people: Vec<Person>,
    /// The six applications.
    pub applications: Vec<Application>,
}

impl Organisation {
    /// Build the organisation. Deterministic: every call returns the same data.
    pub fn generate() -> Organisation {
        let mut rng = SeedRng::new(0x4D45_5341_494C_5054);
        let people = (0..SHARED_PEOPLE + FOURME_ONLY_PEOPLE)
            .map(|index| person(index, index < SHARED_PEOPLE, &mut rng))
            .collect();
        let applications = APPLICATIONS
            .iter()
            .zip(0u64..)
            .map(|(app, offset)| Application {
                source_id: rng.hex32(),
                source_name: app.name.to_string(),
                service_instance_id: FIRST_SERVICE_INSTANCE_ID + offset,
                service_instance_name: format!("{} - Production", app.name),
                roles: items(app.roles, AccessItemKind::Role, &mut rng),
                access_profiles: items(app.profiles, AccessItemKind::AccessProfile, &mut rng),
                entitlements: items(app.entitlements, AccessItemKind::Entitlement, &mut rng),
            })
            .collect();
        Organisation {
            people,
            applications,
        }
    }

    /// The person with this 4me id.
    pub fn person(&self, fourme_id: u64) -> Option<&Person> {
        self.people.iter().find(|p| p.fourme_id == fourme_id)
    }

    /// The person with this IdentityNow identity id.
    pub fn identity(&self, identity_id: &str) -> Option<&Person> {
        self.people
            .iter()
            .find(|p| p.identity_id.as_deref() == Some(identity_id))
    }

    /// People who have an IdentityNow identity.
    pub fn identities(&self) -> impl Iterator<Item = &Person> {
        self.people.iter().filter(|p| p.identity_id.is_some())
    }

    /// People who exist only in 4me.
    pub fn fourme_only(&self) -> impl Iterator<Item = &Person> {
        self.people.iter().filter(|p| p.identity_id.is_none())
    }

    /// The application whose 4me service instance has this id.
    pub fn application_for_service(&self, service_instance_id: u64) -> Option<&Application> {
        self.applications
            .iter()
            .find(|a| a.service_instance_id == service_instance_id)
    }

    /// The access item with this id, with the application it belongs to.
    pub fn item(&self, id: &str) -> Option<(&Application, &AccessItem)> {
        self.applications.iter().find_map(|app| {
            app.items()
                .find(|item| item.id == id)
                .map(|item| (app, item))
        })
    }

    /// The identity that owns every source, role and access profile (the first person).
    pub fn owner(&self) -> &Person {
        &self.people[0]
    }

    /// The manager of the identity `identity_id`: the first other identity in the same
    /// department. Stable, and never the person themself; `None` for an unknown identity.
    pub fn manager(&self, identity_id: &str) -> Option<&Person> {
        let person = self.identity(identity_id)?;
        self.identities().find(|other| {
            other.organization == person.organization && other.fourme_id != person.fourme_id
        })
    }
}

fn person(index: usize, in_identitynow: bool, rng: &mut SeedRng) -> Person {
    let first = FIRST_NAMES[index % FIRST_NAMES.len()];
    let last = LAST_NAMES[(index / FIRST_NAMES.len()) % LAST_NAMES.len()];
    let alias = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
    let (org_id, org_name) = DEPARTMENTS[rng.below(DEPARTMENTS.len())];
    let identity_id = rng.hex32();
    Person {
        fourme_id: FIRST_PERSON_ID + index as u64,
        identity_id: in_identitynow.then_some(identity_id),
        name: format!("{first} {last}"),
        first_name: first.to_string(),
        last_name: last.to_string(),
        email: format!("{alias}@example.com"),
        alias,
        employee_number: (10_000 + index).to_string(),
        organization: (org_id, org_name.to_string()),
    }
}

fn items(names: &[&str], kind: AccessItemKind, rng: &mut SeedRng) -> Vec<AccessItem> {
    names
        .iter()
        .map(|name| AccessItem {
            id: rng.hex32(),
            name: (*name).to_string(),
            kind,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn is_deterministic_and_unique() {
        let a = Organisation::generate();
        let b = Organisation::generate();
        assert_eq!(a.people[42].identity_id, b.people[42].identity_id);
        assert_eq!(a.identities().count(), 300);
        assert_eq!(a.fourme_only().count(), 4);

        let emails: HashSet<_> = a.people.iter().map(|p| &p.email).collect();
        assert_eq!(emails.len(), a.people.len());
        let names: HashSet<_> = a
            .applications
            .iter()
            .flat_map(|app| app.items())
            .map(|i| &i.name)
            .collect();
        let count = a.applications.iter().flat_map(|app| app.items()).count();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn every_identity_has_a_manager_in_its_department() {
        let org = Organisation::generate();
        for person in org.identities() {
            let id = person.identity_id.as_deref().unwrap();
            let manager = org.manager(id).unwrap();
            assert_ne!(manager.fourme_id, person.fourme_id);
            assert_eq!(manager.organization, person.organization);
            assert!(manager.identity_id.is_some());
        }
    }
}
