//! What the simulated 4me holds: requests, their notes and status history, and the pending
//! webhook verification code.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::clock::now_rfc3339;
use crate::ids::node_id;
use crate::seed::{Organisation, Person};

/// Id of the first request the sandbox creates.
const FIRST_REQUEST_ID: u64 = 70001;
/// Id of the first note.
const FIRST_NOTE_ID: u64 = 3455;
/// Teams a request can be assigned to.
pub(crate) const TEAMS: [(u64, &str); 2] = [(12, "Identity & Access"), (13, "Service Desk")];
/// The person the API token belongs to; notes written through the API are theirs.
pub(crate) const API_USER: (u64, &str) = (500, "SailPoint Connector");

/// A note on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Note id.
    pub id: u64,
    /// Note text.
    pub text: String,
    /// Whether only specialists see it.
    pub internal: bool,
    /// When it was added (RFC 3339).
    pub created_at: String,
}

impl Note {
    /// The note as `GET /requests/:id/notes` lists it.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "nodeID": node_id("Note", self.id),
            "text": self.text,
            "internal": self.internal,
            "person": {"id": API_USER.0, "name": API_USER.1},
            "created_at": self.created_at,
        })
    }
}

/// One status transition of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// Status before.
    pub from: String,
    /// Status after.
    pub to: String,
    /// When (RFC 3339).
    pub at: String,
}

/// The mutable state behind the simulated 4me.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) org: Organisation,
    pub(crate) account_id: String,
    pub(crate) requests: BTreeMap<u64, Value>,
    pub(crate) notes: BTreeMap<u64, Vec<Note>>,
    pub(crate) history: BTreeMap<u64, Vec<StatusChange>>,
    pub(crate) verify_code: Option<String>,
    pub(crate) verified: bool,
    next_request_id: u64,
    next_note_id: u64,
}

impl Store {
    /// An empty store serving `org` for account `account_id`.
    pub(crate) fn new(org: Organisation, account_id: String) -> Self {
        Self {
            org,
            account_id,
            requests: BTreeMap::new(),
            notes: BTreeMap::new(),
            history: BTreeMap::new(),
            verify_code: None,
            verified: false,
            next_request_id: FIRST_REQUEST_ID,
            next_note_id: FIRST_NOTE_ID,
        }
    }

    /// A person as a `{id, nodeID, name, account}` reference inside a request.
    pub(crate) fn person_ref(&self, person: &Person) -> Value {
        json!({
            "id": person.fourme_id,
            "nodeID": node_id("Person", person.fourme_id),
            "name": person.name,
            "account": {"id": self.account_id, "name": "Example Corp"},
        })
    }

    /// Store a new request record and return its id.
    pub(crate) fn insert_request(&mut self, build: impl FnOnce(u64, &Self) -> Value) -> u64 {
        let id = self.next_request_id;
        self.next_request_id += 1;
        let record = build(id, self);
        self.requests.insert(id, record);
        id
    }

    /// Add a note to request `request_id` and return its id.
    pub(crate) fn add_note(&mut self, request_id: u64, text: String, internal: bool) -> u64 {
        let id = self.next_note_id;
        self.next_note_id += 1;
        let note = Note {
            id,
            text,
            internal,
            created_at: now_rfc3339(),
        };
        self.notes.entry(request_id).or_default().push(note);
        id
    }

    /// Record a status transition (no-op when the status does not change).
    pub(crate) fn change_status(&mut self, request_id: u64, to: &str) {
        let Some(record) = self.requests.get_mut(&request_id) else {
            return;
        };
        let from = record["status"].as_str().unwrap_or_default().to_string();
        if from == to {
            return;
        }
        record["status"] = json!(to);
        let change = StatusChange {
            from,
            to: to.to_string(),
            at: now_rfc3339(),
        };
        self.history.entry(request_id).or_default().push(change);
    }
}
