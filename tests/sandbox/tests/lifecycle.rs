//! An access request's life in the simulated IdentityNow: approval, provisioning,
//! rejection, termination and cancellation, as `GET /v3/access-request-status` shows it.

mod common;

use reqwest::StatusCode;
use sandbox::contract::{check, check_exchanges, Schema};
use sandbox::identitynow::{IdentityNow, IdentityNowConfig, ItemState, Provisioning};
use sandbox::seed::Organisation;
use serde_json::{json, Value};

use common::{identitynow_with, status_of, submit_grant, token};

/// A simulator, a client, a token and the seed.
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
    /// Submit a grant of the n-th Salesforce role to the n-th person (n from 1).
    async fn submit(&self, n: usize) -> String {
        let identity = self.org.people[n].identity_id.clone().unwrap();
        let roles = &self.org.applications[0].roles;
        let role = &roles[n % roles.len()];
        let ticket = (70_000 + n).to_string();
        submit_grant(
            &self.client,
            &self.idn,
            &self.token,
            &identity,
            role,
            &ticket,
        )
        .await
    }

    /// The status item of a single-item request, checked against the schema.
    async fn status(&self, id: &str) -> Value {
        let item = status_of(&self.client, &self.idn, &self.token, id).await;
        check(Schema::RequestedItemStatus, &item).unwrap();
        item
    }

    async fn cancel(&self, id: &str) -> (StatusCode, Value) {
        let answer = self
            .client
            .post(format!("{}/v3/access-requests/cancel", self.idn.base_url()))
            .bearer_auth(&self.token)
            .json(&json!({"accountActivityId": id, "comment": "withdrawn in 4me"}))
            .send()
            .await
            .unwrap();
        (answer.status(), answer.json().await.unwrap())
    }
}

fn phase(item: &Value, index: usize) -> (String, String, Value) {
    let phase = &item["accessRequestPhases"][index];
    (
        phase["name"].as_str().unwrap().to_string(),
        phase["state"].as_str().unwrap().to_string(),
        phase["result"].clone(),
    )
}

#[tokio::test]
async fn a_new_request_waits_for_the_managers_approval() {
    let s = setup().await;
    let id = s.submit(3).await;
    let item = s.status(&id).await;

    let identity = s.org.people[3].identity_id.clone().unwrap();
    let manager = s.org.manager(&identity).unwrap();
    assert_eq!(item["state"], "EXECUTING");
    assert_eq!(item["cancelable"], true);
    let approval = &item["approvalDetails"][0];
    assert_eq!(approval["status"], "PENDING");
    assert_eq!(
        approval["currentOwner"],
        json!({"type": "IDENTITY", "id": manager.identity_id, "name": manager.name})
    );
    assert_eq!(item["approvalIds"][0], approval["approvalId"]);
    assert_eq!(
        phase(&item, 0),
        ("APPROVAL_PHASE".into(), "EXECUTING".into(), Value::Null)
    );
    assert_eq!(item["errorMessages"], Value::Null);
    assert_eq!(item["cancelledRequestDetails"], Value::Null);
    assert_eq!(item["clientMetadata"], json!({"fourmeRequestId": "70003"}));
    assert_eq!(item["requester"]["id"], json!(s.org.owner().identity_id));
}

#[tokio::test]
async fn approval_then_provisioning_ends_in_each_outcome() {
    let s = setup().await;
    let ids = [s.submit(1).await, s.submit(2).await, s.submit(3).await];
    let created = s.status(&ids[0]).await;

    for id in &ids {
        assert!(s.idn.approve(id, "fine by me"));
    }
    let item = s.status(&ids[0]).await;
    assert_eq!(item["state"], "EXECUTING");
    assert_eq!(item["cancelable"], false);
    assert_eq!(item["approvalDetails"][0]["status"], "APPROVED");
    assert_eq!(item["approvalDetails"][0]["comment"], "fine by me");
    assert_eq!(
        phase(&item, 0),
        (
            "APPROVAL_PHASE".into(),
            "COMPLETED".into(),
            json!("SUCCESSFUL")
        )
    );
    assert_eq!(
        phase(&item, 1),
        ("PROVISIONING_PHASE".into(), "EXECUTING".into(), Value::Null)
    );
    assert!(item["modified"].as_str() >= created["modified"].as_str());

    // Decided already: neither a second decision nor a cancel.
    assert!(!s.idn.approve(&ids[0], "again"));
    assert!(!s.idn.reject(&ids[0], "changed my mind"));
    let (status, body) = s.cancel(&ids[0]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    check(Schema::ErrorResponseDto, &body).unwrap();

    let errors = vec!["Salesforce: profile not found".to_string()];
    assert!(s.idn.provision(&ids[0], Provisioning::Succeeded));
    assert!(s
        .idn
        .provision(&ids[1], Provisioning::PartlyFailed(errors.clone())));
    assert!(s.idn.provision(&ids[2], Provisioning::Failed(errors)));
    assert!(!s.idn.provision(&ids[0], Provisioning::Succeeded));

    let done = s.status(&ids[0]).await;
    assert_eq!(done["state"], "REQUEST_COMPLETED");
    assert_eq!(done["errorMessages"], Value::Null);
    assert_eq!(
        phase(&done, 1),
        (
            "PROVISIONING_PHASE".into(),
            "COMPLETED".into(),
            json!("SUCCESSFUL")
        )
    );
    let partly = s.status(&ids[1]).await;
    assert_eq!(partly["state"], "NOT_ALL_ITEMS_PROVISIONED");
    assert_eq!(
        partly["errorMessages"],
        json!([[{"locale": "en-US", "localeOrigin": "DEFAULT",
                 "text": "Salesforce: profile not found"}]])
    );
    let failed = s.status(&ids[2]).await;
    assert_eq!(failed["state"], "PROVISIONING_FAILED");
    assert_eq!(phase(&failed, 1).2, json!("FAILED"));
    check_exchanges(&s.idn.exchanges()).unwrap();
}

#[tokio::test]
async fn rejection_termination_and_cancellation_end_a_request() {
    let s = setup().await;
    let ids = [s.submit(4).await, s.submit(5).await, s.submit(6).await];

    assert!(s.idn.reject(&ids[0], "not needed for the job"));
    let rejected = s.status(&ids[0]).await;
    assert_eq!(rejected["state"], "REJECTED");
    assert_eq!(rejected["cancelable"], false);
    assert_eq!(rejected["approvalDetails"][0]["status"], "REJECTED");
    assert_eq!(
        rejected["approvalDetails"][0]["comment"],
        "not needed for the job"
    );
    assert_eq!(phase(&rejected, 0).2, json!("FAILED"));
    assert!(!s.idn.provision(&ids[0], Provisioning::Succeeded));
    assert!(!s.idn.terminate(&ids[0], "too late"));

    assert!(s.idn.terminate(&ids[1], "closed by the administrator"));
    let terminated = s.status(&ids[1]).await;
    assert_eq!(terminated["state"], "TERMINATED");
    assert_eq!(terminated["approvalDetails"][0]["status"], "CANCELLED");
    assert_eq!(phase(&terminated, 0).1, "CANCELLED");
    assert_eq!(
        terminated["errorMessages"][0][0]["text"],
        "closed by the administrator"
    );

    let (status, body) = s.cancel(&ids[2]).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, json!({})));
    let cancelled = s.status(&ids[2]).await;
    assert_eq!(cancelled["state"], "CANCELLED");
    assert_eq!(cancelled["cancelable"], false);
    let details = &cancelled["cancelledRequestDetails"];
    assert_eq!(details["comment"], "withdrawn in 4me");
    assert_eq!(details["owner"]["id"], json!(s.org.owner().identity_id));
    assert_eq!(details["modified"], cancelled["modified"]);
    assert!(!s.idn.approve(&ids[2], "too late"));

    let unknown = "0".repeat(32);
    assert!(!s.idn.approve(&unknown, "x"));
    assert!(!s.idn.reject(&unknown, "x"));
    assert!(!s.idn.provision(&unknown, Provisioning::Succeeded));
    assert!(!s.idn.terminate(&unknown, "x"));
    assert!(!s.idn.set_state(&unknown, ItemState::Error));
    check_exchanges(&s.idn.exchanges()).unwrap();
}

#[tokio::test]
async fn set_state_still_overrides_only_the_state() {
    let s = setup().await;
    let id = s.submit(7).await;
    assert!(s
        .idn
        .set_state(&id, ItemState::ProvisioningVerificationPending));
    let item = s.status(&id).await;
    assert_eq!(item["state"], "PROVISIONING_VERIFICATION_PENDING");
    assert_eq!(item["approvalDetails"][0]["status"], "PENDING");
    // Not cancelable outside EXECUTING, even with the approval pending.
    assert_eq!(item["cancelable"], false);
}
