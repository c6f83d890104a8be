//! The simulated 4me: records, notes, patches, auth, rate limits, faults and webhooks.

mod common;

use std::time::Duration;

use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use reqwest::{Method, StatusCode};
use sandbox::contract::{check, check_exchanges, Schema};
use sandbox::fourme::{FourMeConfig, RequestSpec, PUBLIC_KEY_PEM};
use sandbox::seed::Organisation;
use sandbox::RateLimit;
use serde_json::{json, Value};

use common::{fourme, fourme_call, fourme_with};

#[tokio::test]
async fn serves_requests_people_and_notes_that_match_the_schemas() {
    let org = Organisation::generate();
    let four = fourme(&org).await;
    let person = &org.people[1];
    let app = &org.applications[0];
    let id = four.create_request(RequestSpec::grant(
        person.fourme_id,
        app.service_instance_id,
        "Sales Manager",
    ));
    let client = reqwest::Client::new();

    let record: Value = fourme_call(&client, &four, Method::GET, &format!("/requests/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(record["requested_for"]["id"], person.fourme_id);
    assert_eq!(
        record["service_instance"]["name"],
        "Salesforce - Production"
    );
    assert_eq!(
        record["custom_fields"][0],
        json!({"id": "access_item", "value": "Sales Manager"})
    );

    let answer = fourme_call(
        &client,
        &four,
        Method::GET,
        &format!("/people/{}", person.fourme_id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.json::<Value>().await.unwrap()["primary_email"],
        person.email.as_str()
    );

    let answer = fourme_call(
        &client,
        &four,
        Method::POST,
        &format!("/requests/{id}/notes"),
    )
    .json(&json!({"text": "Submitted to IdentityNow", "internal": true}))
    .send()
    .await
    .unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED);
    let notes: Value = fourme_call(
        &client,
        &four,
        Method::GET,
        &format!("/requests/{id}/notes"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(notes[0]["text"], "Submitted to IdentityNow");
    assert!(four.notes(id)[0].internal);

    let missing = fourme_call(&client, &four, Method::GET, "/requests/99999")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"message": "Not Found"})
    );

    check_exchanges(&four.exchanges()).unwrap();
}

#[tokio::test]
async fn rejects_bad_bodies_like_4me() {
    let org = Organisation::generate();
    let four = fourme(&org).await;
    let id = four.create_request(RequestSpec::new(org.people[0].fourme_id, 126));
    let client = reqwest::Client::new();
    let notes = format!("/requests/{id}/notes");

    let answer = fourme_call(&client, &four, Method::POST, &notes)
        .json(&json!({"internal": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "Validation Failed", "errors": [["text", "Text can't be blank"]]})
    );
    check(Schema::FourMeError, &body).unwrap();

    let long = "x".repeat(64 * 1024 + 1);
    let answer = fourme_call(&client, &four, Method::POST, &notes)
        .json(&json!({"text": long}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let answer = fourme_call(&client, &four, Method::POST, &notes)
        .header("content-type", "text/plain")
        .body(r#"{"text":"hi"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let path = format!("/requests/{id}");
    let answer = fourme_call(&client, &four, Method::PATCH, &path)
        .json(&json!({"status": "done"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body["errors"],
        json!([["status", "Status is not included in the list"]])
    );

    let answer = fourme_call(&client, &four, Method::PATCH, &path)
        .json(&json!({"status": "completed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let patch =
        json!({"status": "completed", "completion_reason": "solved", "note": "Access granted"});
    let answer = fourme_call(&client, &four, Method::PATCH, &path)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let history = four.status_history(id);
    assert_eq!(
        (history[0].from.as_str(), history[0].to.as_str()),
        ("assigned", "completed")
    );
    assert_eq!(four.request(id).unwrap()["completion_reason"], "solved");
    assert_eq!(four.notes(id)[0].text, "Access granted");
}

#[tokio::test]
async fn requires_token_and_account() {
    let org = Organisation::generate();
    let four = fourme(&org).await;
    let id = four.create_request(RequestSpec::new(org.people[0].fourme_id, 126));
    let client = reqwest::Client::new();
    let url = format!("{}/requests/{id}", four.api_url());

    let answer = client
        .get(&url)
        .header("X-4me-Account", "example-corp")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(answer.json::<Value>().await.unwrap()["message"].is_string());

    let answer = client
        .get(&url)
        .bearer_auth("sandbox-4me-token")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);

    let answer = client
        .get(&url)
        .bearer_auth("sandbox-4me-token")
        .header("X-Xurrent-Account", "example-corp")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.headers().contains_key("x-ratelimit-limit"));
    assert!(answer.headers().contains_key("x-ratelimit-remaining"));
    assert!(answer.headers().contains_key("x-ratelimit-reset"));
}

#[tokio::test]
async fn throttles_bursts_and_injects_faults() {
    let org = Organisation::generate();
    let burst = RateLimit {
        limit: 3,
        period: Duration::from_secs(2),
    };
    let four = fourme_with(
        &org,
        FourMeConfig {
            burst_limit: Some(burst),
            ..FourMeConfig::default()
        },
    )
    .await;
    let client = reqwest::Client::new();
    let path = format!("/people/{}", org.people[0].fourme_id);

    for _ in 0..3 {
        let answer = fourme_call(&client, &four, Method::GET, &path)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let answer = fourme_call(&client, &four, Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.headers().contains_key("retry-after"));
    assert_eq!(
        answer.json::<Value>().await.unwrap()["message"],
        "Too Many Requests"
    );

    four.fail_next(1, 502);
    let answer = fourme_call(&client, &four, Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    four.set_down(true);
    let answer = fourme_call(&client, &four, Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(four.calls(), 6);
}

#[tokio::test]
async fn signs_webhooks_and_answers_the_verify_callback() {
    let org = Organisation::generate();
    let four = fourme(&org).await;
    let id = four.create_request(RequestSpec::new(org.people[0].fourme_id, 126));

    let delivery = four.webhook("request.create", id, true);
    assert_eq!(delivery.content_type, "application/json; charset=utf-8");
    let body: Value = serde_json::from_str(&delivery.body).unwrap();
    let key = DecodingKey::from_rsa_pem(PUBLIC_KEY_PEM.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["sailpoint-connector"]);
    validation.set_issuer(&["https://example-corp.4me.com"]);
    validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub", "jti"]);
    let claims = decode::<Value>(body["jwt"].as_str().unwrap(), &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "41");
    assert_eq!(claims["data"]["object_id"], id);
    check(Schema::FourMeWebhook, &claims["data"]).unwrap();

    let plain: Value =
        serde_json::from_str(&four.webhook("request.status-changed", id, false).body).unwrap();
    assert_eq!(plain["event"], "request.status-changed");
    assert!(plain["payload"].get("previous_status").is_some());

    let verify: Value = serde_json::from_str(&four.verify_webhook(false).body).unwrap();
    let callback = verify["payload"]["callback"].as_str().unwrap();
    assert!(!four.verified());
    let wrong = reqwest::get(callback.replace("code=", "code=x"))
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let answer = reqwest::Client::new().post(callback).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(four.verified());
}

#[tokio::test]
async fn patch_records_the_team_and_only_4me_completion_reasons() {
    let org = Organisation::generate();
    let four = fourme(&org).await;
    let id = four.create_request(RequestSpec::new(org.people[2].fourme_id, 127));
    let client = reqwest::Client::new();
    let path = format!("/requests/{id}");
    let patch = |body: Value| {
        let request = fourme_call(&client, &four, Method::PATCH, &path).json(&body);
        async move { request.send().await.unwrap() }
    };

    let answer = patch(json!({"team_id": 13, "internal_note": "to the service desk"})).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let expected_team = json!({"id": 13, "name": "Service Desk"});
    assert_eq!(answer.json::<Value>().await.unwrap()["team"], expected_team);
    assert_eq!(four.request(id).unwrap()["team"], expected_team);
    assert!(four.notes(id)[0].internal);

    let answer = patch(json!({"team_id": 99})).await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(four.request(id).unwrap()["team"], expected_team);

    // Not 4me's words: "approved", "failed" and "cancelled" are not completion reasons.
    for reason in ["approved", "failed", "cancelled"] {
        let answer = patch(json!({"status": "completed", "completion_reason": reason})).await;
        assert_eq!(
            answer.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{reason}"
        );
    }
    assert!(four.status_history(id).is_empty());

    let answer = patch(json!({"status": "completed", "completion_reason": "rejected"})).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let record = four.request(id).unwrap();
    assert_eq!(record["completion_reason"], "rejected");
    check(Schema::FourMeRequest, &record).unwrap();
    let history = four.status_history(id);
    assert_eq!(
        (history[0].from.as_str(), history[0].to.as_str()),
        ("assigned", "completed")
    );
    // The refused bodies are invalid on purpose; everything accepted must be valid.
    let accepted: Vec<_> = four
        .exchanges()
        .into_iter()
        .filter(|exchange| exchange.status < 400)
        .collect();
    check_exchanges(&accepted).unwrap();
}
