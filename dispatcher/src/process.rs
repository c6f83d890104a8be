//! Carrying out one event: read the 4me request, apply the mapping, resolve in IdentityNow,
//! submit once, and record the outcome on the 4me request.
//!
//! Returns what happened; whether a failure is retried or held is decided in [`crate::delivery`].

use crate::failure::Failure;
use crate::fourme::FourmeClient;
use crate::identitynow::access::{
    belongs_to, earlier_submission, status_of, statuses_for, submit, Action, Submission, Submitted,
};
use crate::identitynow::client::IdentityNowClient;
use crate::identitynow::lookup::Directory;
use crate::intent::{self, AccessIntent};
use crate::mapping::Mapping;
use crate::notes::{NoteBook, Stage};
use crate::tracking::poller::STATUS_EVENT;
use crate::tracking::{cancel, writeback};
use serde_json::Value;
use shared::envelope::{Envelope, Source};
use std::sync::Arc;

/// What the dispatcher needs to carry out events.
pub struct Worker {
    /// The customer's mapping.
    pub mapping: Arc<Mapping>,
    /// 4me.
    pub fourme: FourmeClient,
    /// IdentityNow.
    pub identitynow: IdentityNowClient,
    /// IdentityNow look-ups.
    pub directory: Directory,
    /// Notes on 4me requests.
    pub notes: Arc<NoteBook>,
}

/// What a 4me request record says.
enum Reading {
    /// An access request at a status that submits, with the person's match value.
    Access(AccessIntent, String),
    /// An access request at another status.
    NotNow(AccessIntent, String),
    /// Not an access request.
    NotAccess,
}

/// How an event ended when nothing failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Handled {
    /// A new access request was submitted.
    Submitted { request_id: u64, ids: Vec<String> },
    /// IdentityNow already had an access request for this 4me request.
    AlreadySubmitted { request_id: u64, ids: Vec<String> },
    /// Nothing to do: not an access request, not a trigger, or not yet the right status.
    Ignored(&'static str),
    /// IdentityNow's progress was written to 4me for this many status records.
    Progressed(usize),
    /// The 4me request was withdrawn; this many IdentityNow access requests were cancelled.
    Withdrawn(usize),
}

impl Worker {
    /// Carries out one event.
    ///
    /// `again` says this event was tried before (a retry, a redelivery or a resend): then a
    /// request that has since moved past the trigger statuses is still followed up, so a
    /// submission made by the earlier try gets its note.
    pub async fn handle(&self, envelope: &Envelope, again: bool) -> Result<Handled, Failure> {
        if envelope.source == Source::Identitynow {
            return self.progress(envelope).await;
        }
        let Some(request_id) = intent::request_id(envelope) else {
            return Ok(Handled::Ignored("no_request"));
        };
        if let Some(status) = intent::event_status(envelope) {
            if envelope.event.starts_with("request.") && cancel::ends_request(status) {
                return self.withdrawn(request_id).await;
            }
        }
        if !self.mapping.trigger.events.contains(&envelope.event) {
            return Ok(Handled::Ignored("not_a_trigger_event"));
        }
        if let Some(status) = intent::event_status(envelope) {
            if !self.status_triggers(status) {
                return Ok(Handled::Ignored("status_not_a_trigger"));
            }
        }

        let (intent, person, submittable) = match self.read_from_payload(envelope, request_id)? {
            Some((intent, person)) => (intent, person, true),
            None => match self.read_from_api(request_id).await? {
                Reading::Access(intent, person) => (intent, person, true),
                Reading::NotNow(intent, person) if again => (intent, person, false),
                Reading::NotNow(..) => return Ok(Handled::Ignored("status_not_a_trigger")),
                Reading::NotAccess => return Ok(Handled::Ignored("not_an_access_request")),
            },
        };

        let submission = match self.resolve(&intent, &person).await {
            Ok(submission) => submission,
            Err(_) if !submittable => return Ok(Handled::Ignored("status_not_a_trigger")),
            Err(failure) => return Err(failure),
        };
        if let Some(ids) = earlier_submission(&self.identitynow, &submission).await? {
            self.record_submitted(&intent, &ids, true).await?;
            return Ok(Handled::AlreadySubmitted { request_id, ids });
        }
        if !submittable {
            return Ok(Handled::Ignored("status_not_a_trigger"));
        }
        let ids = match submit(&self.identitynow, &submission).await? {
            Submitted::New(ids) | Submitted::Existing(ids) => ids,
            Submitted::AcceptedWithoutIds => Vec::new(),
        };
        tracing::info!(
            fourme.request_id = request_id,
            identitynow.access_request_ids = ?ids,
            item.kind = intent.kind.api_name(),
            "access request submitted"
        );
        self.record_submitted(&intent, &ids, false).await?;
        Ok(Handled::Submitted { request_id, ids })
    }

    /// An IdentityNow status record (from the poller) or trigger: write the progress on 4me.
    async fn progress(&self, envelope: &Envelope) -> Result<Handled, Failure> {
        let data = &envelope.data;
        let statuses = match envelope.event.as_str() {
            STATUS_EVENT => vec![data.clone()],
            "identitynow.access-request-decision" | "identitynow.provisioning-completed" => {
                let id = data
                    .get("accessRequestId")
                    .or_else(|| data.get("trackingNumber"))
                    .and_then(Value::as_str);
                match id {
                    Some(id) => status_of(&self.identitynow, id).await?,
                    None => return Ok(Handled::Ignored("trigger_without_id")),
                }
            }
            _ => return Ok(Handled::Ignored("unknown_identitynow_event")),
        };
        let mut written = 0;
        for status in &statuses {
            let Some(request_id) =
                belongs_to(status, self.fourme.account()).and_then(|id| id.parse().ok())
            else {
                continue;
            };
            let applied = writeback::apply(&self.notes, &self.mapping.progress, request_id, status)
                .await
                .map_err(|failure| match failure {
                    Failure::Peer(error) => gone_if_not_found(error, request_id),
                    other => other,
                })?;
            written += usize::from(applied == writeback::Applied::Written);
        }
        Ok(Handled::Progressed(written))
    }

    /// The 4me request ended before IdentityNow finished: cancel what can be cancelled.
    async fn withdrawn(&self, request_id: u64) -> Result<Handled, Failure> {
        let record = match self.fourme.request_record(request_id).await {
            Ok(record) => record,
            Err(error) => return Err(gone_if_not_found(error, request_id)),
        };
        let Some(person_id) = record.pointer("/requested_for/id").and_then(Value::as_u64) else {
            return Ok(Handled::Ignored("no_requested_for"));
        };
        let person = self.fourme.person(person_id).await?;
        let Ok(key) = intent::person_key(self.mapping.identity.by, &person) else {
            return Ok(Handled::Ignored("no_identity"));
        };
        let identity = match self
            .directory
            .identity(self.mapping.identity.by, &key)
            .await
        {
            Ok(identity) => identity,
            Err(Failure::UnknownIdentity(_)) => return Ok(Handled::Ignored("never_submitted")),
            Err(other) => return Err(other),
        };
        let statuses = statuses_for(
            &self.identitynow,
            &identity,
            self.fourme.account(),
            request_id,
        )
        .await?;
        if statuses.is_empty() {
            return Ok(Handled::Ignored("never_submitted"));
        }
        Ok(Handled::Withdrawn(
            cancel::withdraw(self, request_id, &statuses).await?,
        ))
    }

    fn status_triggers(&self, status: &str) -> bool {
        let statuses = &self.mapping.trigger.statuses;
        statuses.is_empty() || statuses.iter().any(|s| s == status)
    }

    /// An automation-rule payload that carries everything needs no API reads.
    fn read_from_payload(
        &self,
        envelope: &Envelope,
        request_id: u64,
    ) -> Result<Option<(AccessIntent, String)>, Failure> {
        let Some((record, person)) = intent::from_rule_payload(&self.mapping, envelope) else {
            return Ok(None);
        };
        Ok(intent::from_record(&self.mapping, request_id, &record)?.map(|i| (i, person)))
    }

    async fn read_from_api(&self, request_id: u64) -> Result<Reading, Failure> {
        let record = self
            .fourme
            .request_record(request_id)
            .await
            .map_err(|error| gone_if_not_found(error, request_id))?;
        let Some(intent) = intent::from_record(&self.mapping, request_id, &record)? else {
            return Ok(Reading::NotAccess);
        };
        let status = record.get("status").and_then(Value::as_str);
        let submittable = status.is_none_or(|status| self.status_triggers(status));
        let person_id = record
            .pointer("/requested_for/id")
            .and_then(Value::as_u64)
            .ok_or(Failure::MissingIdentity("requested-for person"))?;
        let person = self.fourme.person(person_id).await?;
        let key = intent::person_key(self.mapping.identity.by, &person)?;
        Ok(if submittable {
            Reading::Access(intent, key)
        } else {
            Reading::NotNow(intent, key)
        })
    }

    async fn resolve(&self, intent: &AccessIntent, person: &str) -> Result<Submission, Failure> {
        let identity_id = self
            .directory
            .identity(self.mapping.identity.by, person)
            .await?;
        let source_name = intent.service.source.as_str();
        let source_id = self.directory.source(source_name).await?;
        let item = self
            .directory
            .item(intent.kind, &intent.item, (source_name, &source_id))
            .await?;
        Ok(Submission {
            identity_id,
            item,
            action: intent.action,
            account: self.fourme.account().to_owned(),
            request_id: intent.request_id,
        })
    }

    async fn record_submitted(
        &self,
        intent: &AccessIntent,
        ids: &[String],
        maybe_written: bool,
    ) -> Result<(), Failure> {
        let verb = match intent.action {
            Action::Grant => "grant",
            Action::Revoke => "revoke",
        };
        let reference = if ids.is_empty() {
            "IdentityNow accepted it without returning an id.".to_owned()
        } else {
            format!("IdentityNow access request: {}.", ids.join(", "))
        };
        let text = format!(
            "Submitted to SailPoint IdentityNow: {verb} {} \"{}\" on {}. {reference} \
             Approval and provisioning now follow in IdentityNow.",
            kind_text(intent),
            intent.item,
            intent.service.source,
        );
        let written = if maybe_written {
            self.notes
                .write_once(intent.request_id, &Stage::Submitted, &text)
                .await
        } else {
            self.notes
                .write(intent.request_id, &Stage::Submitted, &text)
                .await
        };
        written.map_err(|error| gone_if_not_found(error, intent.request_id))
    }
}

fn kind_text(intent: &AccessIntent) -> &'static str {
    match intent.kind {
        crate::mapping::ItemKind::Role => "role",
        crate::mapping::ItemKind::AccessProfile => "access profile",
        crate::mapping::ItemKind::Entitlement => "entitlement",
    }
}

fn gone_if_not_found(error: crate::failure::PeerError, request_id: u64) -> Failure {
    use crate::failure::StatusClass;
    match error.status_class() {
        Some(StatusClass::NotFound) => Failure::RequestGone(request_id),
        _ => Failure::Peer(error),
    }
}
