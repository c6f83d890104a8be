//! The delivery guarantees end to end, against the machine's RabbitMQ with compressed
//! durations: a passing outage is retried through the wait queues and delivered once; a 429
//! waits in a tier long enough for its Retry-After; failing past the window holds the request
//! and tells people once per stage; a hold that runs out is recorded as "not delivered" on 4me,
//! also when 4me is down at that moment (and not forever when the request is gone); held
//! requests come back with a fresh window through RabbitMQ's "Move messages" and through the
//! admin API, each resent once even when it is refused again at once; a refusal is held
//! without retries.

mod support;

#[path = "delivery/admin.rs"]
mod admin;
#[path = "delivery/inbox.rs"]
mod inbox;
#[path = "delivery/management.rs"]
mod management;

use admin::AdminApi;
use inbox::NotificationInbox;
use management::Management;
use sandbox::fourme::RequestSpec;
use shared::topology::Route;
use std::time::Duration;
use support::{eventually, Options, World, ADMIN_TOKEN};

const SUBMITTED: &str = "[sailpoint-connector:submitted]";
const REFUSED: &str = "[sailpoint-connector:refused]";
const FAILING: &str = "[sailpoint-connector:failing:";
const HELD: &str = "[sailpoint-connector:held:";
const EXPIRED: &str = "[sailpoint-connector:expired:";

/// Retries every 300 ms, then every 600 ms, for 1.2 s: the fourth failure (at 1.5 s or later)
/// is the first past the window, and the third (at 0.9 s) is the one that tells people.
fn short_window() -> Options {
    Options {
        retry_tiers: vec![Duration::from_millis(300), Duration::from_millis(600)],
        window: Duration::from_millis(1200),
        notify_after: 3,
        ..Options::default()
    }
}

/// Failed attempts before a request is held with [`short_window`].
const ATTEMPTS_IN_SHORT_WINDOW: u64 = 4;

/// A counter's value: the one series of `name` carrying every label in `labels` (0 if none).
fn counter(page: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    page.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
        })
        .filter(|line| {
            labels
                .iter()
                .all(|(label, value)| line.contains(&format!("{label}=\"{value}\"")))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn count(world: &World, name: &str, labels: &[(&str, &str)]) -> f64 {
    counter(&world.dispatcher_metrics().await, name, labels)
}

/// Starts a world whose progress poller polls once at start and then keeps still, so the
/// faults a test injects into IdentityNow meet the deliveries, not the poller.
async fn start(options: Options) -> World {
    let world = World::start(Options {
        poll_interval: Duration::from_secs(3600),
        ..options
    })
    .await;
    eventually("the poller's first poll", || async {
        let calls = world.identitynow.calls_by_path();
        calls.contains_key("GET /v3/access-request-status")
    })
    .await;
    world
}

/// Creates a grant of a Salesforce access profile for the `index`-th seeded identity.
async fn grant(world: &World, index: usize) -> u64 {
    let salesforce = application(world, "Salesforce");
    let item = salesforce.access_profiles[0].name.clone();
    grant_of(world, index, salesforce.service_instance_id, &item).await
}

/// Creates a grant of a Workday role that IdentityNow does not have: always refused.
async fn grant_of_unknown_role(world: &World, index: usize) -> u64 {
    let workday = application(world, "Workday").service_instance_id;
    grant_of(world, index, workday, "Chief Astronaut").await
}

fn application<'a>(world: &'a World, source: &str) -> &'a sandbox::seed::Application {
    world
        .org
        .applications
        .iter()
        .find(|app| app.source_name == source)
        .expect("seeded application")
}

async fn grant_of(world: &World, index: usize, service_instance: u64, item: &str) -> u64 {
    let person = world.org.identities().nth(index).expect("seeded identity");
    world
        .request(RequestSpec::grant(person.fourme_id, service_instance, item))
        .await
}

/// Waits until `expected` messages sit in the hold queue.
async fn until_held(world: &World, expected: u32) {
    eventually("held", || async {
        world.queue_len(&Route::Hold).await == expected
    })
    .await;
}

/// Waits until the request was submitted (its note is the last step of a delivery).
async fn until_submitted(world: &World, request_id: u64) {
    eventually("submitted note", || async {
        world.notes_with(request_id, SUBMITTED) == 1
    })
    .await;
}

fn admin(world: &World) -> AdminApi<'_> {
    AdminApi {
        url: world.dispatcher_url.as_deref().expect("a dispatcher runs"),
        http: &world.http,
    }
}

#[tokio::test]
async fn a_passing_outage_is_retried_through_the_wait_queues_and_delivered_once() {
    let world = start(Options::default()).await;
    // The first IdentityNow call of an attempt that fails ends the attempt, so four faults
    // fail four attempts: past notify_after (3), and the fifth attempt goes through.
    world.identitynow.fail_next(4, 500, None);

    let request_id = grant(&world, 1).await;

    until_submitted(&world, request_id).await;
    assert_eq!(world.submissions_for(request_id).len(), 1);
    assert_eq!(world.notes_with(request_id, FAILING), 1);
    let page = world.dispatcher_metrics().await;
    let retried = counter(&page, "connector_dispatch_total", &[("outcome", "retried")]);
    assert_eq!(retried, 4.0, "each failure waited in a wait queue");
    let server_errors = [("peer", "identitynow"), ("kind", "server_error")];
    assert_eq!(
        counter(&page, "connector_peer_failures_total", &server_errors),
        4.0
    );
    assert_eq!(counter(&page, "connector_delivery_failing_total", &[]), 1.0);
    assert_eq!(counter(&page, "connector_held_total", &[]), 0.0);
    for route in [
        Route::Work,
        Route::Hold,
        Route::Wait(Duration::from_millis(300)),
        Route::Wait(Duration::from_millis(600)),
    ] {
        assert_eq!(world.queue_len(&route).await, 0, "{route:?} is empty");
    }
    world.finish().await;
}

#[tokio::test]
async fn a_rate_limit_waits_in_the_tier_long_enough_for_retry_after() {
    let two_seconds = Duration::from_secs(2);
    let world = start(Options {
        retry_tiers: vec![Duration::from_millis(300), two_seconds],
        ..Options::default()
    })
    .await;
    world.identitynow.fail_next(1, 429, Some(2));

    let request_id = grant(&world, 2).await;

    // A first failure would wait 300 ms; Retry-After: 2 sends it to the 2 s queue instead.
    eventually("waiting in the 2 s queue", || async {
        world.queue_len(&Route::Wait(two_seconds)).await == 1
    })
    .await;
    assert!(world.submissions_for(request_id).is_empty());
    until_submitted(&world, request_id).await;
    assert_eq!(world.submissions_for(request_id).len(), 1);
    let page = world.dispatcher_metrics().await;
    let rate_limited = [("peer", "identitynow"), ("kind", "rate_limited")];
    assert_eq!(
        counter(&page, "connector_peer_failures_total", &rate_limited),
        1.0
    );
    assert_eq!(
        counter(&page, "connector_dispatch_total", &[("outcome", "retried")]),
        1.0
    );
    world.finish().await;
}

#[tokio::test]
async fn failing_past_the_window_holds_the_request_and_tells_people_once() {
    let inbox = NotificationInbox::start().await;
    let world = start(Options {
        notify_url: Some(inbox.url.clone()),
        ..short_window()
    })
    .await;
    world.identitynow.set_down(true);

    let request_id = grant(&world, 3).await;

    until_held(&world, 1).await;
    eventually("held note", || async {
        world.notes_with(request_id, HELD) == 1
    })
    .await;
    assert_eq!(world.notes_with(request_id, FAILING), 1);
    assert_eq!(world.notes_with(request_id, SUBMITTED), 0);
    assert!(world.submissions_for(request_id).is_empty());
    eventually("two notices", || async { inbox.notices().len() >= 2 }).await;
    assert_eq!(inbox.stages(), ["failing", "held"]);
    let held = &inbox.notices()[1];
    assert_eq!(held["fourme_request_id"], request_id);
    assert_eq!(held["fourme_account"], "example-corp");
    assert_eq!(held["attempts"], ATTEMPTS_IN_SHORT_WINDOW);
    assert!(
        held["reason"].as_str().unwrap_or_default().contains("503"),
        "the notice says why: {held}"
    );
    let page = world.dispatcher_metrics().await;
    assert_eq!(
        counter(&page, "connector_held_total", &[("cause", "transient")]),
        1.0
    );
    assert_eq!(counter(&page, "connector_delivery_failing_total", &[]), 1.0);
    assert_eq!(
        counter(&page, "connector_dispatch_total", &[("outcome", "retried")]),
        (ATTEMPTS_IN_SHORT_WINDOW - 1) as f64
    );
    world.finish().await;
}

#[tokio::test]
async fn a_request_held_past_the_hold_time_is_recorded_as_not_delivered() {
    let inbox = NotificationInbox::start().await;
    let world = start(Options {
        hold_time: Duration::from_secs(2),
        notify_url: Some(inbox.url.clone()),
        ..short_window()
    })
    .await;
    world.identitynow.set_down(true);

    let request_id = grant(&world, 4).await;

    eventually("held note", || async {
        world.notes_with(request_id, HELD) == 1
    })
    .await;
    eventually("expiry recorded", || async {
        count(&world, "connector_expired_total", &[]).await == 1.0
    })
    .await;
    assert_eq!(world.notes_with(request_id, EXPIRED), 1);
    let notes = world.notes(request_id).join("\n");
    assert!(notes.contains("NOT delivered"), "{notes}");
    assert_eq!(inbox.stages(), ["failing", "held", "expired"]);
    assert_eq!(world.queue_len(&Route::Hold).await, 0);
    assert_eq!(world.queue_len(&Route::Expired).await, 0);
    assert!(world.submissions_for(request_id).is_empty());
    world.finish().await;
}

#[tokio::test]
async fn an_expiry_is_recorded_once_fourme_is_back() {
    let world = start(Options {
        hold_time: Duration::from_secs(2),
        ..short_window()
    })
    .await;
    world.identitynow.set_down(true);
    let request_id = grant(&world, 5).await;
    until_held(&world, 1).await;

    world.fourme.set_down(true);
    eventually("an expiry note tried and failed", || async {
        count(&world, "connector_notes_failed_total", &[]).await >= 2.0
    })
    .await;
    assert_eq!(count(&world, "connector_expired_total", &[]).await, 0.0);
    assert_eq!(world.notes_with(request_id, EXPIRED), 0);
    world.fourme.set_down(false);

    eventually("expiry recorded", || async {
        count(&world, "connector_expired_total", &[]).await == 1.0
    })
    .await;
    assert_eq!(world.notes_with(request_id, EXPIRED), 1);
    assert_eq!(world.queue_len(&Route::Expired).await, 0);
    world.finish().await;
}

#[tokio::test]
async fn an_expiry_on_a_request_gone_from_fourme_is_not_tried_forever() {
    let world = start(Options {
        hold_time: Duration::from_secs(2),
        ..short_window()
    })
    .await;
    world.identitynow.set_down(true);
    let request_id = grant(&world, 13).await;
    until_held(&world, 1).await;

    // From now on 4me answers 404, as it does for a deleted request.
    world.fourme.fail_next(10_000, 404);

    eventually("expiry recorded", || async {
        count(&world, "connector_expired_total", &[]).await == 1.0
    })
    .await;
    assert_eq!(world.notes_with(request_id, EXPIRED), 0);
    assert_eq!(world.queue_len(&Route::Expired).await, 0);
    assert_eq!(
        count(&world, "connector_notes_failed_total", &[]).await,
        1.0
    );
    world.finish().await;
}

#[tokio::test]
async fn moving_held_messages_in_the_management_ui_resends_them_with_a_fresh_window() {
    let management = Management::ready().await;
    let world = start(short_window()).await;
    world.identitynow.set_down(true);
    let request_id = grant(&world, 6).await;
    until_held(&world, 1).await;
    let retried_before = count(
        &world,
        "connector_dispatch_total",
        &[("outcome", "retried")],
    )
    .await;

    // IdentityNow is back but fails once more: with the old window that failure would hold
    // the request again at once; with a fresh one it waits and is retried.
    world.identitynow.set_down(false);
    world.identitynow.fail_next(1, 500, None);
    let shovel = management
        .move_messages(
            &world.topology.queue(&Route::Hold),
            &world.topology.queue(&Route::Work),
        )
        .await;

    until_submitted(&world, request_id).await;
    assert_eq!(world.submissions_for(request_id).len(), 1);
    let page = world.dispatcher_metrics().await;
    assert_eq!(
        counter(&page, "connector_resent_total", &[("via", "management_ui")]),
        1.0
    );
    assert_eq!(
        counter(&page, "connector_held_total", &[("cause", "transient")]),
        1.0,
        "not held again"
    );
    assert_eq!(
        counter(&page, "connector_dispatch_total", &[("outcome", "retried")]),
        retried_before + 1.0
    );
    assert_eq!(world.notes_with(request_id, HELD), 1);
    assert_eq!(world.queue_len(&Route::Hold).await, 0);
    eventually("the shovel removed itself", || async {
        !management.shovel_exists(&shovel).await
    })
    .await;
    management.delete_shovel(&shovel).await;
    world.finish().await;
}

#[tokio::test]
async fn the_admin_api_shows_nothing_without_the_token() {
    let world = start(short_window()).await;
    world.identitynow.set_down(true);
    let request_id = grant(&world, 7).await;
    until_held(&world, 1).await;
    let admin = admin(&world);

    for token in [None, Some("not-the-token"), Some("")] {
        let answer = admin.held(token).await;
        assert_eq!(answer.status, 401, "token {token:?}");
        assert!(answer.body.get("held").is_none(), "{}", answer.body);
        assert!(!answer.body.to_string().contains(&request_id.to_string()));
        assert_eq!(admin.resend_all(token).await.status, 401);
    }
    let listing = admin.listing().await;
    assert_eq!(listing.len(), 1, "still held");
    let message_id = listing[0]["message_id"].as_str().expect("an id");
    assert_eq!(admin.resend(message_id, None).await.status, 401);
    assert_eq!(world.queue_len(&Route::Hold).await, 1);
    world.finish().await;
}

#[tokio::test]
async fn the_admin_api_lists_a_held_request_and_resends_it_with_a_fresh_window() {
    let world = start(short_window()).await;
    world.identitynow.set_down(true);
    let request_id = grant(&world, 8).await;
    until_held(&world, 1).await;
    let admin = admin(&world);

    let listing = admin.listing().await;
    assert_eq!(listing.len(), 1, "{listing:?}");
    let held = &listing[0];
    assert_eq!(held["fourme_account"], "example-corp");
    assert_eq!(held["fourme_request_id"], request_id);
    assert_eq!(held["event"], "request.create");
    assert_eq!(held["attempts"], ATTEMPTS_IN_SHORT_WINDOW);
    let reason = held["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("IdentityNow") && reason.contains("503"),
        "{reason}"
    );
    let first_failure = held["first_failure_ms"].as_i64().expect("first failure");
    let held_at = held["held_at_ms"].as_i64().expect("held since");
    assert!(held_at - first_failure >= 1200, "held after the window");
    let hold_ms = Options::default().hold_time.as_millis() as i64;
    assert_eq!(held["expires_at_ms"].as_i64(), Some(held_at + hold_ms));

    world.identitynow.set_down(false);
    world.identitynow.fail_next(1, 500, None);
    let message_id = held["message_id"].as_str().expect("an id");
    assert_eq!(
        admin
            .resend("no-such-message", Some(ADMIN_TOKEN))
            .await
            .status,
        404
    );
    let answer = admin.resend(message_id, Some(ADMIN_TOKEN)).await;
    assert_eq!((answer.status, &answer.body["resent"]), (200, &1.into()));

    until_submitted(&world, request_id).await;
    assert_eq!(world.submissions_for(request_id).len(), 1);
    let page = world.dispatcher_metrics().await;
    assert_eq!(
        counter(&page, "connector_held_total", &[("cause", "transient")]),
        1.0,
        "the failure after the resend was retried, not held"
    );
    assert_eq!(
        counter(&page, "connector_resent_total", &[("via", "admin")]),
        1.0
    );
    assert!(admin.listing().await.is_empty());
    world.finish().await;
}

#[tokio::test]
async fn resend_all_sends_every_held_request_again() {
    let world = start(short_window()).await;
    world.identitynow.set_down(true);
    let mut requests = Vec::new();
    for index in 9..12 {
        requests.push(grant(&world, index).await);
    }
    until_held(&world, 3).await;
    let admin = admin(&world);
    assert_eq!(admin.listing().await.len(), 3);

    world.identitynow.set_down(false);
    let answer = admin.resend_all(Some(ADMIN_TOKEN)).await;
    assert_eq!((answer.status, &answer.body["resent"]), (200, &3.into()));

    for &request_id in &requests {
        until_submitted(&world, request_id).await;
        assert_eq!(world.submissions_for(request_id).len(), 1);
    }
    assert!(admin.listing().await.is_empty());
    assert_eq!(
        count(&world, "connector_resent_total", &[("via", "admin")]).await,
        3.0
    );
    world.finish().await;
}

#[tokio::test]
async fn a_refusal_is_held_without_retries_and_refused_again_once() {
    let world = start(Options::default()).await;
    let request_id = grant_of_unknown_role(&world, 12).await;

    until_held(&world, 1).await;
    assert_eq!(world.notes_with(request_id, REFUSED), 1);
    let page = world.dispatcher_metrics().await;
    assert_eq!(
        counter(&page, "connector_dispatch_total", &[("outcome", "retried")]),
        0.0
    );
    assert_eq!(
        counter(&page, "connector_held_total", &[("cause", "permanent")]),
        1.0
    );

    let answer = admin(&world).resend_all(Some(ADMIN_TOKEN)).await;
    assert_eq!((answer.status, &answer.body["resent"]), (200, &1.into()));

    eventually("refused again", || async {
        count(&world, "connector_held_total", &[("cause", "permanent")]).await == 2.0
    })
    .await;
    until_held(&world, 1).await;
    assert_eq!(world.notes_with(request_id, REFUSED), 1, "one refusal note");
    assert_eq!(world.notes(request_id).len(), 1);
    assert!(world.submissions_for(request_id).is_empty());
    assert_eq!(
        count(
            &world,
            "connector_dispatch_total",
            &[("outcome", "retried")]
        )
        .await,
        0.0
    );
    world.finish().await;
}

#[tokio::test]
async fn resend_all_sends_each_held_request_once_even_when_it_is_refused_again_at_once() {
    let world = start(Options::default()).await;
    let mut requests = Vec::new();
    for index in 20..30 {
        requests.push(grant_of_unknown_role(&world, index).await);
    }
    until_held(&world, 10).await;

    let answer = admin(&world).resend_all(Some(ADMIN_TOKEN)).await;

    assert_eq!((answer.status, &answer.body["resent"]), (200, &10.into()));
    eventually("all refused again", || async {
        count(&world, "connector_held_total", &[("cause", "permanent")]).await >= 20.0
    })
    .await;
    until_held(&world, 10).await;
    assert_eq!(
        count(&world, "connector_held_total", &[("cause", "permanent")]).await,
        20.0
    );
    for request_id in requests {
        assert_eq!(world.notes_with(request_id, REFUSED), 1);
    }
    world.finish().await;
}
