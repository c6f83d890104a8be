//! The main job end to end: a signed 4me webhook becomes exactly one IdentityNow access
//! request with the right identity, item and type, and the outcome is noted on the 4me request.
//! Requests that cannot be submitted end with one clear note and no access request.

mod support;

use sandbox::contract::check_exchanges;
use sandbox::fourme::RequestSpec;
use sandbox::seed::{AccessItemKind, Application};
use shared::topology::Route;
use support::{eventually, metric, Options, World};

const SUBMITTED: &str = "[sailpoint-connector:submitted]";
const REFUSED: &str = "[sailpoint-connector:refused]";

fn app<'a>(world: &'a World, source: &str) -> &'a Application {
    world
        .org
        .applications
        .iter()
        .find(|app| app.source_name == source)
        .expect("seeded application")
}

fn person(world: &World, index: usize) -> (u64, String) {
    let person = world.org.identities().nth(index).expect("seeded identity");
    (
        person.fourme_id,
        person.identity_id.clone().expect("has an identity"),
    )
}

#[tokio::test]
async fn a_grant_becomes_one_access_request_and_a_note() {
    let world = World::start(Options::default()).await;
    let salesforce = app(&world, "Salesforce");
    let profile = &salesforce.access_profiles[0];
    let (fourme_id, identity_id) = person(&world, 1);

    let request_id = world
        .request(RequestSpec::grant(
            fourme_id,
            salesforce.service_instance_id,
            &profile.name,
        ))
        .await;

    eventually("note written", || async {
        world.notes_with(request_id, SUBMITTED) == 1
    })
    .await;
    let submissions = world.submissions_for(request_id);
    assert_eq!(submissions.len(), 1);
    let body = &submissions[0];
    assert_eq!(body["requestType"], "GRANT_ACCESS");
    assert_eq!(body["requestedFor"], serde_json::json!([identity_id]));
    assert_eq!(body["requestedItems"][0]["id"], profile.id.as_str());
    assert_eq!(body["requestedItems"][0]["type"], "ACCESS_PROFILE");
    assert_eq!(body["clientMetadata"]["fourmeAccount"], "example-corp");
    let note = &world.notes(request_id)[0];
    let ids = &world.identitynow.access_requests()[0].access_request_ids;
    assert!(
        note.contains(&ids[0]),
        "the note names the access request id: {note}"
    );
    check_exchanges(&world.identitynow.exchanges()).expect("IdentityNow contract");
    check_exchanges(&world.fourme.exchanges()).expect("4me contract");
    world.finish().await;
}

#[tokio::test]
async fn a_revoke_of_a_role_carries_a_comment() {
    let world = World::start(Options::default()).await;
    let workday = app(&world, "Workday");
    let role = &workday.roles[0];
    assert_eq!(role.kind, AccessItemKind::Role);
    let (fourme_id, identity_id) = person(&world, 2);
    let spec = RequestSpec::new(fourme_id, workday.service_instance_id)
        .custom_field("access_item", role.name.as_str())
        .custom_field("access_action", "revoke");

    let request_id = world.request(spec).await;

    eventually("note written", || async {
        world.notes_with(request_id, SUBMITTED) == 1
    })
    .await;
    let submissions = world.submissions_for(request_id);
    assert_eq!(submissions.len(), 1);
    let body = &submissions[0];
    assert_eq!(body["requestType"], "REVOKE_ACCESS");
    assert_eq!(body["requestedFor"][0], identity_id.as_str());
    assert_eq!(body["requestedItems"][0]["type"], "ROLE");
    assert_eq!(body["requestedItems"][0]["id"], role.id.as_str());
    assert!(body["requestedItems"][0]["comment"]
        .as_str()
        .unwrap()
        .contains(&request_id.to_string()));
    world.finish().await;
}

#[tokio::test]
async fn an_entitlement_can_be_asked_for_by_id() {
    let world = World::start(Options::default()).await;
    let github = app(&world, "GitHub Enterprise");
    let entitlement = &github.entitlements[1];
    let (fourme_id, _) = person(&world, 3);

    let request_id = world
        .request(RequestSpec::grant(
            fourme_id,
            github.service_instance_id,
            &entitlement.id,
        ))
        .await;

    eventually("note written", || async {
        world.notes_with(request_id, SUBMITTED) == 1
    })
    .await;
    let body = &world.submissions_for(request_id)[0];
    assert_eq!(body["requestedItems"][0]["type"], "ENTITLEMENT");
    assert_eq!(body["requestedItems"][0]["id"], entitlement.id.as_str());
    world.finish().await;
}

/// Each refusal ends with exactly one refusal note naming the cause, no access request, and
/// the message on hold for an operator.
async fn assert_refused(world: &World, request_id: u64, cause: &str) {
    eventually("refusal note", || async {
        world.notes_with(request_id, REFUSED) == 1
    })
    .await;
    let note = world.notes(request_id).join("\n");
    assert!(note.contains(cause), "the note says why ({cause}): {note}");
    assert!(world.submissions_for(request_id).is_empty());
    eventually("held", || async {
        world.queue_len(&Route::Hold).await == 1
    })
    .await;
    assert_eq!(world.notes(request_id).len(), 1);
}

#[tokio::test]
async fn an_unknown_person_is_refused_with_a_note() {
    let world = World::start(Options::default()).await;
    let salesforce = app(&world, "Salesforce");
    let stranger = world
        .org
        .fourme_only()
        .next()
        .expect("a 4me-only person")
        .fourme_id;

    let request_id = world
        .request(RequestSpec::grant(
            stranger,
            salesforce.service_instance_id,
            &salesforce.access_profiles[0].name,
        ))
        .await;

    assert_refused(&world, request_id, "no IdentityNow identity").await;
    let page = world.dispatcher_metrics().await;
    assert_eq!(
        metric(
            &page,
            "connector_refusals_total{reason=\"unknown_identity\"}"
        ),
        1.0
    );
    world.finish().await;
}

#[tokio::test]
async fn an_unknown_role_is_refused_with_a_note() {
    let world = World::start(Options::default()).await;
    let workday = app(&world, "Workday");
    let (fourme_id, _) = person(&world, 4);

    let request_id = world
        .request(RequestSpec::grant(
            fourme_id,
            workday.service_instance_id,
            "Chief Astronaut",
        ))
        .await;

    assert_refused(
        &world,
        request_id,
        "no requestable role named \"Chief Astronaut\"",
    )
    .await;
    world.finish().await;
}

#[tokio::test]
async fn an_unmapped_service_instance_is_refused_with_a_note() {
    let world = World::start(Options::default()).await;
    let sap = app(&world, "SAP S/4HANA");
    let (fourme_id, _) = person(&world, 5);

    let request_id = world
        .request(RequestSpec::grant(
            fourme_id,
            sap.service_instance_id,
            &sap.roles[0].name,
        ))
        .await;

    assert_refused(
        &world,
        request_id,
        "is not mapped to an IdentityNow application",
    )
    .await;
    world.finish().await;
}

#[tokio::test]
async fn a_request_that_asks_for_no_access_is_left_alone() {
    let world = World::start(Options::default()).await;
    let salesforce = app(&world, "Salesforce");
    let (fourme_id, _) = person(&world, 6);

    let request_id = world
        .request(RequestSpec::new(fourme_id, salesforce.service_instance_id).subject("Printer jam"))
        .await;

    eventually("ignored", || async {
        metric(
            &world.dispatcher_metrics().await,
            "connector_dispatch_total{outcome=\"ignored\"}",
        ) == 1.0
    })
    .await;
    assert!(world.notes(request_id).is_empty());
    assert!(world.submissions_for(request_id).is_empty());
    world.finish().await;
}

#[tokio::test]
async fn the_same_delivery_twice_submits_once() {
    let world = World::start(Options::default()).await;
    let jira = app(&world, "Jira Software");
    let (fourme_id, _) = person(&world, 7);
    let request_id = world.fourme.create_request(RequestSpec::grant(
        fourme_id,
        jira.service_instance_id,
        &jira.access_profiles[0].name,
    ));
    let delivery = world.fourme.webhook("request.create", request_id, true);

    assert_eq!(world.send(&delivery).await, 200);
    assert_eq!(world.send(&delivery).await, 200);
    let update = world
        .fourme
        .webhook("request.status-changed", request_id, true);
    assert_eq!(world.send(&update).await, 200);

    eventually("three events handled", || async {
        let page = world.dispatcher_metrics().await;
        metric(&page, "connector_dispatch_total{outcome=\"submitted\"}")
            + metric(
                &page,
                "connector_dispatch_total{outcome=\"already_submitted\"}",
            )
            + metric(&page, "connector_dispatch_total{outcome=\"ignored\"}")
            == 3.0
    })
    .await;
    assert_eq!(world.submissions_for(request_id).len(), 1);
    assert_eq!(world.notes_with(request_id, SUBMITTED), 1);
    world.finish().await;
}

#[tokio::test]
async fn a_request_gone_from_4me_is_held_at_once_without_retries() {
    let world = World::start(Options::default()).await;
    let delivery = world.fourme.webhook("request.create", 99_999, true);

    assert_eq!(world.send(&delivery).await, 200);

    eventually("held", || async {
        world.queue_len(&Route::Hold).await == 1
    })
    .await;
    let page = world.dispatcher_metrics().await;
    assert_eq!(
        metric(&page, "connector_refusals_total{reason=\"request_gone\"}"),
        1.0
    );
    assert_eq!(
        metric(&page, "connector_dispatch_total{outcome=\"retried\"}"),
        0.0
    );
    assert_eq!(metric(&page, "connector_notes_failed_total"), 0.0);
    world.finish().await;
}
