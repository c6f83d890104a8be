//! The admin page in a real browser: an operator opens `/admin`, gives the token, sees the
//! held 4me request and its recent failures, clicks Resend, and the request is delivered
//! exactly once after IdentityNow is back.
//!
//! Drives headless Chromium through chromedriver's W3C WebDriver API (see `browser`).

mod admin_page {
    pub mod browser;
}
mod support;

use admin_page::browser::Browser;
use sandbox::fourme::RequestSpec;
use shared::topology::Route;
use std::time::Duration;
use support::{eventually, Options, World, ADMIN_TOKEN};

const SUBMITTED: &str = "[sailpoint-connector:submitted]";

/// Polls the page until `css` matches an element whose text contains `wanted`.
async fn wait_for_text(browser: &Browser, css: &str, wanted: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        for element in browser.find_all(css).await {
            let text = browser.text(&element).await;
            if text.contains(wanted) {
                return text;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page never showed {wanted:?} in {css}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_operator_resends_a_held_request_from_the_admin_page() {
    // Start the browser first: a missing Chromium fails the test before anything else.
    let browser = Browser::start().await;
    let world = World::start(Options {
        retry_tiers: vec![Duration::from_millis(200)],
        window: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let dispatcher = world.dispatcher_url.clone().expect("a dispatcher runs");

    // IdentityNow is down for longer than the retry window, so the request is held.
    world.identitynow.set_down(true);
    let person = world.org.identities().nth(1).expect("seeded identity");
    let app = &world.org.applications[0];
    let item = &app.access_profiles[0].name;
    let request_id = world
        .request(RequestSpec::grant(
            person.fourme_id,
            app.service_instance_id,
            item,
        ))
        .await;
    eventually("the request is held", || async {
        world.queue_len(&Route::Hold).await == 1
    })
    .await;

    // The operator logs in and sees the held request and why it failed.
    browser.open(&format!("{dispatcher}/admin")).await;
    let token = browser.find("#token").await;
    browser.type_into(&token, ADMIN_TOKEN).await;
    browser
        .click(&browser.find("#login button[type=submit]").await)
        .await;
    let marker = format!("#{request_id}");
    let row = wait_for_text(&browser, "#held tbody tr", &marker).await;
    assert!(row.contains("request.create"), "held row: {row}");
    let failure = wait_for_text(&browser, "#failures tbody tr", &marker).await;
    assert!(failure.contains("held"), "failure row: {failure}");

    // IdentityNow recovers; the operator clicks Resend on that row.
    world.identitynow.set_down(false);
    let mut resend = None;
    for row in browser.find_all("#held tbody tr").await {
        if browser.text(&row).await.contains(&marker) {
            resend = browser
                .find_in(&row, "button.resend")
                .await
                .into_iter()
                .next();
        }
    }
    browser
        .click(&resend.expect("a Resend button on the held row"))
        .await;
    wait_for_text(&browser, "#status", "Resent 1").await;

    // Delivered exactly once: one submission, one note, nothing left on hold.
    eventually("the resent request is submitted", || async {
        world.notes_with(request_id, SUBMITTED) == 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(world.submissions_for(request_id).len(), 1);
    assert_eq!(world.notes_with(request_id, SUBMITTED), 1);
    assert_eq!(world.queue_len(&Route::Hold).await, 0);
    assert_eq!(world.queue_len(&Route::Work).await, 0);

    browser.quit().await;
    world.finish().await;
}
