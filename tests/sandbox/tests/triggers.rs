//! Event triggers (Access Request Decision, Provisioning Completed) and the autopilot.

mod common;

use std::time::{Duration, Instant};

use sandbox::identitynow::{
    Autopilot, IdentityNow, IdentityNowConfig, Outcome, Provisioning, TriggerKind, TriggerTarget,
};
use sandbox::seed::Organisation;
use serde_json::{json, Value};

use common::{identitynow_with, status_of, submit_grant, token, TriggerReceiver};

const TOKEN: &str = "trigger-secret";

struct Setup {
    org: Organisation,
    idn: IdentityNow,
    client: reqwest::Client,
    token: String,
}

async fn setup() -> Setup {
    let org = Organisation::generate();
    let idn = identitynow_with(&org, IdentityNowConfig::default()).await;
    let client = reqwest::Client::new();
    let token = token(&client, &idn).await;
    Setup {
        org,
        idn,
        client,
        token,
    }
}

impl Setup {
    /// Submit a grant of the first GitHub entitlement to the n-th person.
    async fn submit(&self, n: usize) -> String {
        let identity = self.org.people[n].identity_id.clone().unwrap();
        let item = &self.org.applications[2].entitlements[0];
        let ticket = (70_000 + n).to_string();
        submit_grant(
            &self.client,
            &self.idn,
            &self.token,
            &identity,
            item,
            &ticket,
        )
        .await
    }

    fn subscribe(&self, url: &str) {
        self.idn.set_trigger_target(Some(TriggerTarget {
            url: url.to_string(),
            bearer_token: TOKEN.to_string(),
        }));
    }

    fn identity_ref(&self, n: usize) -> Value {
        let person = &self.org.people[n];
        json!({"type": "IDENTITY", "id": person.identity_id, "name": person.name})
    }
}

#[tokio::test]
async fn decisions_are_posted_with_the_bearer_token() {
    let s = setup().await;
    let mut receiver = TriggerReceiver::start().await;
    s.subscribe(&receiver.url);
    let (approved, rejected) = (s.submit(20).await, s.submit(21).await);

    assert!(s.idn.approve(&approved, "ok for the team"));
    let got = receiver.next().await;
    assert_eq!(got.authorization.as_deref(), Some("Bearer trigger-secret"));
    let body = got.body;
    assert_eq!(body["accessRequestId"], approved.as_str());
    assert_eq!(body["requestedFor"], json!([s.identity_ref(20)]));
    assert_eq!(body["requestedBy"], s.identity_ref(0));
    let item = &body["requestedItemsStatus"][0];
    let entitlement = &s.org.applications[2].entitlements[0];
    assert_eq!(item["id"], entitlement.id.as_str());
    assert_eq!(item["name"], entitlement.name.as_str());
    assert_eq!(item["type"], "ENTITLEMENT");
    assert_eq!(item["operation"], "Add");
    assert_eq!(item["comment"], "please");
    assert_eq!(item["clientMetadata"], json!({"fourmeRequestId": "70020"}));
    let info = &item["approvalInfo"][0];
    let identity = s.org.people[20].identity_id.clone().unwrap();
    let manager = s.org.manager(&identity).unwrap();
    assert_eq!(info["approvalDecision"], "APPROVED");
    assert_eq!(info["approvalComment"], "ok for the team");
    assert_eq!(info["approverName"], manager.alias.as_str());
    assert_eq!(info["approver"]["id"], json!(manager.identity_id));

    assert!(s.idn.reject(&rejected, "no"));
    let body = receiver.next().await.body;
    assert_eq!(body["accessRequestId"], rejected.as_str());
    let info = &body["requestedItemsStatus"][0]["approvalInfo"][0];
    assert_eq!(info["approvalDecision"], "DENIED");
    assert_eq!(info["approvalComment"], "no");

    assert_eq!(s.idn.triggers_sent(), 2);
    let kinds: Vec<TriggerKind> = s.idn.triggers().iter().map(|t| t.kind).collect();
    assert_eq!(kinds, vec![TriggerKind::AccessRequestDecision; 2]);
}

#[tokio::test]
async fn provisioning_completed_reports_each_outcome() {
    let s = setup().await;
    let mut receiver = TriggerReceiver::start().await;
    let ids = [s.submit(30).await, s.submit(31).await, s.submit(32).await];
    for id in &ids {
        assert!(s.idn.approve(id, "ok"));
    }
    // Subscribed only now: the approvals above fired nothing.
    s.subscribe(&receiver.url);
    let errors = vec!["GitHub: team is full".to_string()];
    let outcomes = [
        Provisioning::Succeeded,
        Provisioning::PartlyFailed(errors.clone()),
        Provisioning::Failed(errors.clone()),
    ];
    let mut bodies = Vec::new();
    for (id, outcome) in ids.iter().zip(outcomes) {
        assert!(s.idn.provision(id, outcome));
        bodies.push(receiver.next().await.body);
    }

    let done = &bodies[0];
    let app = &s.org.applications[2];
    assert_eq!(done["trackingNumber"], ids[0].as_str());
    assert_eq!(done["sources"], app.source_name.as_str());
    assert_eq!(done["action"], "Access Request");
    assert_eq!(done["errors"], json!([]));
    assert_eq!(done["recipient"], s.identity_ref(30));
    assert_eq!(done["requester"], s.identity_ref(0));
    let account = &done["accountRequests"][0];
    assert_eq!(
        account["source"],
        json!({"id": app.source_id, "type": "SOURCE", "name": app.source_name})
    );
    assert_eq!(account["provisioningResult"], "SUCCESS");
    let results = |body: &Value| -> Vec<String> {
        body["accountRequests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|account| account["provisioningResult"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(results(&bodies[1]), ["SUCCESS", "FAILED"]);
    assert_eq!(bodies[1]["errors"], json!(errors));
    assert_eq!(results(&bodies[2]), ["FAILED"]);
    assert_eq!(s.idn.triggers_sent(), 3);
}

#[tokio::test]
async fn lost_triggers_are_neither_sent_nor_retried() {
    let s = setup().await;
    let ids = [s.submit(40).await, s.submit(41).await, s.submit(42).await];

    // Not subscribed: nothing fires.
    assert!(s.idn.approve(&ids[0], "ok"));
    assert!(s.idn.triggers().is_empty());

    let mut receiver = TriggerReceiver::start().await;
    s.subscribe(&receiver.url);
    s.idn.drop_triggers(true);
    assert!(s.idn.provision(&ids[0], Provisioning::Succeeded));
    assert!(receiver.stays_quiet(Duration::from_millis(300)).await);
    assert_eq!(s.idn.triggers_sent(), 0);
    assert!(s.idn.triggers()[0].dropped);
    s.idn.drop_triggers(false);

    // A subscriber that is not listening: the step still happens, once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/triggers", closed.local_addr().unwrap());
    drop(closed);
    s.subscribe(&url);
    assert!(s.idn.approve(&ids[1], "ok"));
    assert_eq!(s.idn.triggers_sent(), 1);
    let item = status_of(&s.client, &s.idn, &s.token, &ids[1]).await;
    assert_eq!(item["approvalDetails"][0]["status"], "APPROVED");

    // Back to the live subscriber: only the new decision arrives, nothing is resent.
    s.subscribe(&receiver.url);
    assert!(s.idn.reject(&ids[2], "no"));
    assert_eq!(
        receiver.next().await.body["accessRequestId"],
        ids[2].as_str()
    );
    assert!(receiver.stays_quiet(Duration::from_millis(300)).await);
    assert_eq!(s.idn.triggers_sent(), 2);
}

/// Request 2 is rejected, 3 partly fails, 4 fails, the rest succeed.
fn scripted(_item: &str, seq: u64) -> Outcome {
    match seq {
        2 => Outcome::Rejected("no budget".to_string()),
        3 => Outcome::Approved(Provisioning::PartlyFailed(vec!["half".to_string()])),
        4 => Outcome::Approved(Provisioning::Failed(vec!["none".to_string()])),
        _ => Outcome::Approved(Provisioning::Succeeded),
    }
}

#[tokio::test]
async fn the_autopilot_plays_requests_to_the_end() {
    let s = setup().await;
    let mut receiver = TriggerReceiver::start().await;
    s.subscribe(&receiver.url);
    s.idn.set_autopilot(Some(Autopilot {
        approval_delay: Duration::from_millis(50),
        provisioning_delay: Duration::from_millis(50),
        pick: scripted,
    }));
    let mut ids = Vec::new();
    for n in 50..54 {
        ids.push(s.submit(n).await);
    }

    let expected = [
        "REQUEST_COMPLETED",
        "REJECTED",
        "NOT_ALL_ITEMS_PROVISIONED",
        "PROVISIONING_FAILED",
    ];
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut states = Vec::new();
    while Instant::now() < deadline {
        states.clear();
        for id in &ids {
            let item = status_of(&s.client, &s.idn, &s.token, id).await;
            states.push(item["state"].as_str().unwrap().to_string());
        }
        if states == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(states, expected);
    let rejected = status_of(&s.client, &s.idn, &s.token, &ids[1]).await;
    assert_eq!(rejected["approvalDetails"][0]["comment"], "no budget");

    // Four decisions and three provisioning results.
    let mut kinds = Vec::new();
    for _ in 0..7 {
        let body = receiver.next().await.body;
        kinds.push(body.get("trackingNumber").is_some());
    }
    assert_eq!(
        kinds.iter().filter(|provisioning| **provisioning).count(),
        3
    );

    // Switched off, it leaves new requests alone.
    s.idn.set_autopilot(None);
    let idle = s.submit(60).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let item = status_of(&s.client, &s.idn, &s.token, &idle).await;
    assert_eq!(item["approvalDetails"][0]["status"], "PENDING");
}
