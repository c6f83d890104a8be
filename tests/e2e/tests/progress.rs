//! Closing the loop: IdentityNow's progress on each submitted access request appears on the
//! 4me request, each step once, whether it is found by polling or prompted by an event
//! trigger; a request withdrawn in 4me is cancelled in IdentityNow while that is possible; and
//! with two dispatchers exactly one polls.

mod support;

use sandbox::fourme::RequestSpec;
use sandbox::identitynow::{Provisioning, TriggerTarget};
use serde_json::json;
use support::{eventually, metric, Options, World, TRIGGER_TOKEN};

const SUBMITTED: &str = "[sailpoint-connector:submitted]";

/// Raises a grant and waits until it is submitted; returns the 4me request and the IdentityNow
/// access request ids.
async fn submitted_grant(world: &World, person: usize) -> (u64, String) {
    let app = &world.org.applications[0];
    let who = world.org.identities().nth(person).unwrap().fourme_id;
    let request_id = world
        .request(RequestSpec::grant(
            who,
            app.service_instance_id,
            &app.access_profiles[0].name,
        ))
        .await;
    eventually("submitted", || async {
        world.notes_with(request_id, SUBMITTED) == 1
    })
    .await;
    let submitted = world.submissions_for(request_id);
    assert_eq!(submitted.len(), 1);
    let id = world
        .identitynow
        .access_requests()
        .into_iter()
        .find(|s| s.body == submitted[0])
        .unwrap()
        .access_request_ids[0]
        .clone();
    (request_id, id)
}

fn marker(access_request_id: &str, step: &str) -> String {
    format!("[sailpoint-connector:{access_request_id}:{step}")
}

fn status(world: &World, request_id: u64) -> (String, Option<String>) {
    let record = world.fourme.request(request_id).unwrap();
    (
        record["status"].as_str().unwrap_or_default().to_owned(),
        record["completion_reason"].as_str().map(str::to_owned),
    )
}

#[tokio::test]
async fn approval_then_provisioning_completes_the_request() {
    let world = World::start(Options::default()).await;
    let (request_id, ar) = submitted_grant(&world, 10).await;

    eventually("waiting note", || async {
        world.notes_with(request_id, &marker(&ar, "awaiting:")) == 1
    })
    .await;
    assert!(world.identitynow.approve(&ar, "fine by me"));
    eventually("approved note", || async {
        world.notes_with(request_id, &marker(&ar, "approved")) == 1
    })
    .await;
    assert!(world.identitynow.provision(&ar, Provisioning::Succeeded));
    eventually("completed", || async {
        world.notes_with(request_id, &marker(&ar, "completed")) == 1
    })
    .await;

    assert_eq!(
        status(&world, request_id),
        ("completed".into(), Some("solved".into()))
    );
    let notes = world.notes(request_id);
    assert_eq!(
        notes.len(),
        4,
        "submitted, waiting, approved, completed: {notes:#?}"
    );
    assert!(notes.iter().any(|n| n.contains("\"fine by me\"")));
    world.finish().await;
}

#[tokio::test]
async fn a_rejection_completes_the_request_as_rejected() {
    let world = World::start(Options::default()).await;
    let (request_id, ar) = submitted_grant(&world, 11).await;

    assert!(world.identitynow.reject(&ar, "not for contractors"));
    eventually("rejected", || async {
        world.notes_with(request_id, &marker(&ar, "rejected")) == 1
    })
    .await;

    assert_eq!(
        status(&world, request_id),
        ("completed".into(), Some("rejected".into()))
    );
    let rejected = world
        .notes(request_id)
        .into_iter()
        .find(|n| n.contains("Rejected"))
        .unwrap();
    assert!(rejected.contains("not for contractors"), "{rejected}");
    world.finish().await;
}

#[tokio::test]
async fn failed_provisioning_goes_to_the_team_with_the_errors() {
    let world = World::start(Options::default()).await;
    let (partly, partly_ar) = submitted_grant(&world, 12).await;
    let (failed, failed_ar) = submitted_grant(&world, 13).await;

    assert!(world.identitynow.approve(&partly_ar, ""));
    assert!(world.identitynow.provision(
        &partly_ar,
        Provisioning::PartlyFailed(vec!["Mailbox quota exceeded".into()])
    ));
    assert!(world.identitynow.approve(&failed_ar, ""));
    assert!(world.identitynow.provision(
        &failed_ar,
        Provisioning::Failed(vec!["Target system unreachable".into()])
    ));

    for (request_id, ar, state, error) in [
        (
            partly,
            &partly_ar,
            "not_all_items_provisioned",
            "Mailbox quota exceeded",
        ),
        (
            failed,
            &failed_ar,
            "provisioning_failed",
            "Target system unreachable",
        ),
    ] {
        eventually("failure note", || async {
            world.notes_with(request_id, &marker(ar, state)) == 1
        })
        .await;
        let record = world.fourme.request(request_id).unwrap();
        assert_eq!(record["team"]["id"], 12, "handed to the failure team");
        let note = world
            .fourme
            .notes(request_id)
            .into_iter()
            .find(|n| n.text.contains(state))
            .unwrap();
        assert!(note.internal, "errors go in an internal note");
        assert!(note.text.contains(error), "{}", note.text);
    }
    world.finish().await;
}

#[tokio::test]
async fn a_trigger_and_a_poll_for_the_same_change_write_one_note() {
    let world = World::start(Options::default()).await;
    world.identitynow.set_trigger_target(Some(TriggerTarget {
        url: format!("{}/webhooks/identitynow", world.ingress_url),
        bearer_token: TRIGGER_TOKEN.into(),
    }));
    let (request_id, ar) = submitted_grant(&world, 14).await;

    assert!(world.identitynow.approve(&ar, "ok"));
    eventually("trigger handled", || async {
        metric(
            &world.dispatcher_metrics().await,
            "connector_dispatch_total{outcome=\"progress\"}",
        ) >= 2.0
    })
    .await;
    eventually("approved note", || async {
        world.notes_with(request_id, &marker(&ar, "approved")) == 1
    })
    .await;
    // Let several more polls pass over the same change.
    let polls = world.identitynow.calls();
    eventually("more polls", || async {
        world.identitynow.calls() >= polls + 4
    })
    .await;
    assert_eq!(world.notes_with(request_id, &marker(&ar, "approved")), 1);
    assert!(world.identitynow.triggers_sent() >= 1);
    world.finish().await;
}

#[tokio::test]
async fn a_lost_trigger_is_caught_by_polling() {
    let world = World::start(Options::default()).await;
    world.identitynow.set_trigger_target(Some(TriggerTarget {
        url: format!("{}/webhooks/identitynow", world.ingress_url),
        bearer_token: TRIGGER_TOKEN.into(),
    }));
    world.identitynow.drop_triggers(true);
    let (request_id, ar) = submitted_grant(&world, 15).await;

    assert!(world.identitynow.reject(&ar, "no"));
    eventually("rejected by polling", || async {
        world.notes_with(request_id, &marker(&ar, "rejected")) == 1
    })
    .await;
    world.finish().await;
}

#[tokio::test]
async fn a_status_change_while_4me_is_down_lands_once_later() {
    let world = World::start(Options::default()).await;
    let (request_id, ar) = submitted_grant(&world, 16).await;
    eventually("waiting note", || async {
        world.notes_with(request_id, &marker(&ar, "awaiting:")) == 1
    })
    .await;

    world.fourme.set_down(true);
    assert!(world.identitynow.approve(&ar, ""));
    eventually("retried", || async {
        metric(
            &world.dispatcher_metrics().await,
            "connector_dispatch_total{outcome=\"retried\"}",
        ) >= 1.0
    })
    .await;
    world.fourme.set_down(false);
    world.fourme.fail_next(2, 429);

    eventually("approved note", || async {
        world.notes_with(request_id, &marker(&ar, "approved")) == 1
    })
    .await;
    let polls = world.identitynow.calls();
    eventually("more polls", || async {
        world.identitynow.calls() >= polls + 4
    })
    .await;
    assert_eq!(world.notes_with(request_id, &marker(&ar, "approved")), 1);
    world.finish().await;
}

/// Completes the 4me request as withdrawn, as a requester would, and delivers the webhook.
async fn withdraw_in_fourme(world: &World, request_id: u64) {
    let response = world
        .http
        .patch(format!("{}/requests/{request_id}", world.fourme.api_url()))
        .bearer_auth(&world.fourme.config().api_token)
        .header("X-4me-Account", &world.fourme.config().account_id)
        .json(&json!({"status": "completed", "completion_reason": "withdrawn"}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let delivery = world
        .fourme
        .webhook("request.status-changed", request_id, true);
    assert_eq!(world.send(&delivery).await, 200);
}

#[tokio::test]
async fn withdrawing_in_4me_cancels_in_identitynow() {
    let world = World::start(Options::default()).await;
    let (request_id, ar) = submitted_grant(&world, 17).await;

    withdraw_in_fourme(&world, request_id).await;

    eventually("cancel note", || async {
        world.notes_with(request_id, &marker(&ar, "cancel-requested")) == 1
    })
    .await;
    eventually("cancelled in IdentityNow, noted", || async {
        world.notes_with(request_id, &marker(&ar, "cancelled")) == 1
    })
    .await;
    assert_eq!(world.submissions_for(request_id).len(), 1);
    world.finish().await;
}

#[tokio::test]
async fn withdrawing_too_late_is_reported() {
    let world = World::start(Options::default()).await;
    let (request_id, ar) = submitted_grant(&world, 18).await;
    assert!(world.identitynow.approve(&ar, ""));
    eventually("approved note", || async {
        world.notes_with(request_id, &marker(&ar, "approved")) == 1
    })
    .await;

    withdraw_in_fourme(&world, request_id).await;

    eventually("too late note", || async {
        world.notes_with(request_id, &marker(&ar, "cancel-too-late")) == 1
    })
    .await;
    let note = world
        .notes(request_id)
        .into_iter()
        .find(|n| n.contains("cancel-too-late"))
        .unwrap();
    assert!(note.contains("can no longer be cancelled"), "{note}");
    world.finish().await;
}

#[tokio::test]
async fn two_dispatchers_poll_one_at_a_time_and_hand_over() {
    let mut world = World::start(Options::default()).await;
    let (second_url, second_stop) = world.start_dispatcher_stoppable().await;
    let first_url = world.dispatcher_url.clone().unwrap();
    let active = |url: String| {
        let http = world.http.clone();
        async move {
            let page = http
                .get(format!("{url}/metrics"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            metric(&page, "connector_poller_active")
        }
    };
    eventually("one poller", || async {
        active(first_url.clone()).await + active(second_url.clone()).await == 1.0
    })
    .await;
    let (request_id, ar) = submitted_grant(&world, 19).await;
    eventually("waiting note", || async {
        world.notes_with(request_id, &marker(&ar, "awaiting:")) == 1
    })
    .await;
    assert!(world.identitynow.approve(&ar, ""));
    eventually("approved note", || async {
        world.notes_with(request_id, &marker(&ar, "approved")) == 1
    })
    .await;

    // Stop whichever polls; the other takes over.
    let second_polls = active(second_url.clone()).await == 1.0;
    if second_polls {
        second_stop.cancel();
        eventually("first takes over", || async {
            active(first_url.clone()).await == 1.0
        })
        .await;
    } else {
        world.stop_first_dispatcher();
        eventually("second takes over", || async {
            active(second_url.clone()).await == 1.0
        })
        .await;
    }
    assert!(world.identitynow.provision(&ar, Provisioning::Succeeded));
    eventually("completed after hand-over", || async {
        world.notes_with(request_id, &marker(&ar, "completed")) == 1
    })
    .await;
    assert_eq!(world.notes_with(request_id, &marker(&ar, "approved")), 1);
    assert_eq!(world.notes(request_id).len(), 4);
    world.finish().await;
}
