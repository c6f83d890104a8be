//! `GET /v3/access-request-status`: who, filters, sorters, paging, and the 400s.

mod common;

use std::time::Duration;

use reqwest::StatusCode;
use sandbox::contract::{check, check_exchanges, Schema};
use sandbox::identitynow::IdentityNowConfig;
use sandbox::seed::Organisation;
use serde_json::Value;

use common::{identitynow_with, status, submit_grant, token};

fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["accessRequestId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_filters_sorts_and_pages_like_identitynow() {
    let org = Organisation::generate();
    let idn = identitynow_with(&org, IdentityNowConfig::default()).await;
    let client = reqwest::Client::new();
    let token = token(&client, &idn).await;
    let identities: Vec<String> = (10..13)
        .map(|n| org.people[n].identity_id.clone().unwrap())
        .collect();
    let role = &org.applications[1].roles[0];
    let mut submitted = Vec::new();
    for (n, identity) in identities.iter().enumerate() {
        let ticket = format!("7000{n}");
        submitted.push(submit_grant(&client, &idn, &token, identity, role, &ticket).await);
    }
    let get = |query: String| {
        let (client, idn, token) = (&client, &idn, &token);
        async move { status(client, idn, token, &query).await }
    };

    // Who: everything this client submitted, or one identity's requests.
    let (code, mine) = get("requested-by=me&sorters=created".into()).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(ids(&mine), submitted);
    for (n, item) in mine.as_array().unwrap().iter().enumerate() {
        check(Schema::RequestedItemStatus, item).unwrap();
        assert_eq!(
            item["clientMetadata"]["fourmeRequestId"],
            format!("7000{n}")
        );
    }
    let owner = org.owner().identity_id.clone().unwrap();
    assert_eq!(ids(&get(format!("requested-by={owner}")).await.1).len(), 3);
    assert!(ids(&get(format!("requested-by={}", identities[0])).await.1).is_empty());
    let (_, one) = get(format!("requested-for={}", identities[1])).await;
    assert_eq!(ids(&one), vec![submitted[1].clone()]);
    let (_, regarding) = get(format!("regarding-identity={}", identities[2])).await;
    assert_eq!(ids(&regarding), vec![submitted[2].clone()]);

    // Filters: eq and in on accessRequestId.
    let (_, found) = get(format!("filters=accessRequestId eq \"{}\"", submitted[0])).await;
    assert_eq!(ids(&found), vec![submitted[0].clone()]);
    let query = format!(
        "requested-by=me&sorters=created&filters=accessRequestId in (\"{}\",\"{}\")",
        submitted[2], submitted[0]
    );
    let (_, found) = get(query).await;
    assert_eq!(
        ids(&found),
        vec![submitted[0].clone(), submitted[2].clone()]
    );

    // Sorters and paging.
    let newest_first: Vec<String> = submitted.iter().rev().cloned().collect();
    assert_eq!(ids(&get("sorters=-created".into()).await.1), newest_first);
    let (_, page) = get("sorters=created&limit=1&offset=1".into()).await;
    assert_eq!(ids(&page), vec![submitted[1].clone()]);
    assert!(ids(&get("limit=0".into()).await.1).is_empty());

    // Timestamps have one-second precision: wait past it so `modified` differs.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(idn.approve(&submitted[0], "ok"));
    let (_, by_modified) = get("sorters=-modified".into()).await;
    assert_eq!(ids(&by_modified)[0], submitted[0]);
    let (_, by_modified) = get("sorters=modified".into()).await;
    assert_eq!(ids(&by_modified)[2], submitted[0]);

    // Refused like the real API, with an ErrorResponseDto.
    let bad = [
        "limit=251".to_string(),
        "limit=-1".to_string(),
        "offset=first".to_string(),
        "sorters=colour".to_string(),
        "sorters=created,-priority".to_string(),
        "filters=state eq \"EXECUTING\"".to_string(),
        "filters=accessRequestId gt \"a\"".to_string(),
        "filters=accessRequestId in (\"a\"".to_string(),
        "request-state=REJECTED".to_string(),
        "requested-for=".to_string(),
        format!("regarding-identity={owner}&requested-for=me"),
    ];
    for query in bad {
        let (code, body) = get(query.clone()).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{query}");
        check(Schema::ErrorResponseDto, &body).unwrap();
    }
    check_exchanges(&idn.exchanges()).unwrap();
}
