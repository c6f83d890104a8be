//! The simulated IdentityNow: tokens, lookups, access requests, strictness, limits.

mod common;

use std::time::Duration;

use reqwest::StatusCode;
use sandbox::contract::{check, check_exchanges, Schema};
use sandbox::identitynow::{IdentityNow, IdentityNowConfig, ItemState};
use sandbox::seed::Organisation;
use sandbox::RateLimit;
use serde_json::{json, Value};

use common::{identitynow_with, token};

async fn idn(org: &Organisation) -> IdentityNow {
    identitynow_with(org, IdentityNowConfig::default()).await
}

async fn get(
    client: &reqwest::Client,
    idn: &IdentityNow,
    token: &str,
    path_and_query: &str,
) -> (StatusCode, Value) {
    let answer = client
        .get(format!("{}{path_and_query}", idn.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.json().await.unwrap())
}

async fn post(
    client: &reqwest::Client,
    idn: &IdentityNow,
    token: &str,
    path: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let answer = client
        .post(format!("{}{path}", idn.base_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.json().await.unwrap())
}

#[tokio::test]
async fn issues_tokens_only_for_the_right_client() {
    let org = Organisation::generate();
    let idn = idn(&org).await;
    let client = reqwest::Client::new();

    let answer = client
        .post(format!("{}/oauth/token", idn.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client"),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(answer.json::<Value>().await.unwrap()["error"].is_string());

    let answer = client
        .post(format!("{}/oauth/token", idn.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = answer.json().await.unwrap();
    check(Schema::OAuthToken, &body).unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 749);
    check_exchanges(&idn.exchanges()).unwrap();
}

#[tokio::test]
async fn lookups_find_the_seed_and_match_the_schemas() {
    let org = Organisation::generate();
    let idn = idn(&org).await;
    let client = reqwest::Client::new();
    let token = token(&client, &idn).await;
    let person = &org.people[7];
    let app = &org.applications[0];

    let (_, found) = get(
        &client,
        &idn,
        &token,
        &format!(
            "/v3/public-identities?filters=email eq \"{}\"",
            person.email
        ),
    )
    .await;
    assert_eq!(found[0]["id"], json!(person.identity_id));

    let search = json!({"indices": ["identities"], "query": {"query": format!("employeeNumber:\"{}\"", person.employee_number)}});
    let (_, found) = post(&client, &idn, &token, "/v3/search", &search).await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["email"], person.email.as_str());

    let (_, found) = get(
        &client,
        &idn,
        &token,
        &format!("/v3/sources?filters=name eq \"{}\"", app.source_name),
    )
    .await;
    assert_eq!(found[0]["id"], app.source_id.as_str());
    let (_, found) = get(
        &client,
        &idn,
        &token,
        "/v3/roles?filters=name eq \"Sales Manager\"",
    )
    .await;
    assert_eq!(found[0]["id"], app.roles[0].id.as_str());
    let profile = &app.access_profiles[1];
    let query = format!(
        "/v3/access-profiles?filters=name eq \"{}\" and source.id eq \"{}\"",
        profile.name, app.source_id
    );
    let (_, found) = get(&client, &idn, &token, &query).await;
    assert_eq!(found[0]["id"], profile.id.as_str());
    let entitlement = &app.entitlements[2];
    let (_, found) = get(
        &client,
        &idn,
        &token,
        &format!("/v2025/entitlements?filters=id eq \"{}\"", entitlement.id),
    )
    .await;
    assert_eq!(found[0]["name"], entitlement.name.as_str());
    let (_, found) = get(
        &client,
        &idn,
        &token,
        "/v3/requestable-objects?types=ROLE,ACCESS_PROFILE&filters=name eq \"Sales Read Only\"",
    )
    .await;
    assert_eq!(found[0]["type"], "ACCESS_PROFILE");

    let (status, _) = get(&client, &idn, &token, "/v3/roles?limit=51").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = get(&client, &idn, &token, "/v3/roles?filters=colour eq \"red\"").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    check(Schema::ErrorResponseDto, &body).unwrap();

    check_exchanges(&idn.exchanges()).unwrap();
    assert_eq!(idn.calls_by_path()["GET /v3/roles"], 3);
}

#[tokio::test]
async fn accepts_tracks_deduplicates_and_cancels_access_requests() {
    let org = Organisation::generate();
    let idn = idn(&org).await;
    let client = reqwest::Client::new();
    let token = token(&client, &idn).await;
    let identity = org.people[3].identity_id.clone().unwrap();
    let role = &org.applications[0].roles[0];
    let body = json!({
        "requestedFor": [identity],
        "requestType": "GRANT_ACCESS",
        "requestedItems": [{"type": "ROLE", "id": role.id, "comment": "4me 70001",
                            "clientMetadata": {"fourmeRequestId": "70001"}}],
        "clientMetadata": {"source": "4me"},
    });

    let (status, answer) = post(&client, &idn, &token, "/v3/access-requests", &body).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = answer["newRequests"][0]["accessRequestIds"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(idn.access_requests()[0].body, body);

    let (_, again) = post(&client, &idn, &token, "/v3/access-requests", &body).await;
    assert_eq!(again["newRequests"], json!([]));
    assert_eq!(
        again["existingRequests"][0]["accessRequestIds"][0],
        id.as_str()
    );

    let query = format!(
        "/v3/access-request-status?requested-for={identity}&filters=accessRequestId in (\"{id}\")"
    );
    let (_, items) = get(&client, &idn, &token, &query).await;
    assert_eq!(items[0]["state"], "EXECUTING");
    assert_eq!(
        items[0]["clientMetadata"],
        json!({"fourmeRequestId": "70001"})
    );
    assert_eq!(items[0]["cancelable"], true);

    let cancel = json!({"accountActivityId": id, "comment": "withdrawn in 4me"});
    let (status, answer) = post(&client, &idn, &token, "/v3/access-requests/cancel", &cancel).await;
    assert_eq!((status, answer), (StatusCode::ACCEPTED, json!({})));
    let (status, _) = post(&client, &idn, &token, "/v3/access-requests/cancel", &cancel).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let unknown = json!({"accountActivityId": "0".repeat(32), "comment": "x"});
    let (status, _) = post(
        &client,
        &idn,
        &token,
        "/v3/access-requests/cancel",
        &unknown,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert!(idn.set_state(&id, ItemState::RequestCompleted));
    let (_, items) = get(&client, &idn, &token, &query).await;
    assert_eq!(items[0]["state"], "REQUEST_COMPLETED");
    check_exchanges(&idn.exchanges()).unwrap();
}

#[tokio::test]
async fn rejects_what_identitynow_rejects() {
    let org = Organisation::generate();
    let idn = idn(&org).await;
    let client = reqwest::Client::new();
    let token = token(&client, &idn).await;
    let identity = org.people[3].identity_id.clone().unwrap();
    let item = json!({"type": "ROLE", "id": org.applications[1].roles[0].id});

    let bare = json!({"requestedFor": identity, "requestedItems": [item]});
    let (status, body) = post(&client, &idn, &token, "/v3/access-requests", &bare).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["detailCode"], "400.1 Bad Request Content");
    assert_eq!(body["messages"][0]["localeOrigin"], "DEFAULT");
    check(Schema::ErrorResponseDto, &body).unwrap();

    let cases = [
        json!({"requestedFor": ["0".repeat(32)], "requestedItems": [item]}),
        json!({"requestedFor": [identity], "requestedItems": [{"type": "ROLE", "id": "f".repeat(32)}]}),
        json!({"requestedFor": [identity], "requestType": "REVOKE_ACCESS", "requestedItems": [item]}),
        json!({"requestedFor": [identity], "requestType": "REMOVE", "requestedItems": [item]}),
        json!({"requestedFor": [identity], "requestedItems": []}),
        json!({"requestedFor": [identity], "requestedItems": [item], "clientMetaData": {"a": "b"}}),
        json!({"requestedFor": [identity], "requestedItems": [item], "clientMetadata": {"a": 1}}),
    ];
    for case in &cases {
        let (status, _) = post(&client, &idn, &token, "/v3/access-requests", case).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}");
    }

    let answer = client
        .post(format!("{}/v3/access-requests", idn.base_url()))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(r#"{}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let answer = client
        .get(format!("{}/v3/sources", idn.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(idn.access_requests().is_empty());
}

#[tokio::test]
async fn rate_limits_expires_tokens_and_injects_faults() {
    let org = Organisation::generate();
    let config = IdentityNowConfig {
        rate_limit: Some(RateLimit {
            limit: 3,
            period: Duration::from_secs(10),
        }),
        ..IdentityNowConfig::default()
    };
    let idn = identitynow_with(&org, config).await;
    let client = reqwest::Client::new();
    let token = token(&client, &idn).await;

    for _ in 0..3 {
        assert_eq!(
            get(&client, &idn, &token, "/v3/sources").await.0,
            StatusCode::OK
        );
    }
    let answer = client
        .get(format!("{}/v3/sources", idn.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = answer.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry_after));
    assert_eq!(
        answer.json::<Value>().await.unwrap(),
        json!({"message": " Rate Limit Exceeded "})
    );

    idn.expire_tokens();
    let (status, body) = get(&client, &idn, &token, "/v3/sources").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"error": "JWT validation failed: JWT is expired"})
    );

    idn.fail_next(1, 429, Some(7));
    let answer = client
        .get(format!("{}/v3/sources", idn.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.headers()["retry-after"], "7");
    idn.set_down(true);
    let answer = client
        .get(format!("{}/v3/sources", idn.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn short_lived_tokens_expire_and_legacy_tenants_answer_empty() {
    let org = Organisation::generate();
    let config = IdentityNowConfig {
        token_lifetime: Duration::from_millis(300),
        respond_legacy_empty_202: true,
        ..IdentityNowConfig::default()
    };
    let idn = identitynow_with(&org, config).await;
    let client = reqwest::Client::new();
    let token = token(&client, &idn).await;

    let body = json!({"requestedFor": [org.people[0].identity_id], "requestedItems": [{"type": "ENTITLEMENT", "id": org.applications[2].entitlements[0].id}]});
    let (status, answer) = post(&client, &idn, &token, "/v3/access-requests", &body).await;
    assert_eq!((status, answer), (StatusCode::ACCEPTED, json!({})));
    assert_eq!(idn.access_requests()[0].access_request_ids.len(), 1);

    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        get(&client, &idn, &token, "/v3/sources").await.0,
        StatusCode::UNAUTHORIZED
    );
}
