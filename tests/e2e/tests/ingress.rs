//! The ingress over HTTP against the machine's RabbitMQ (127.0.0.1:5672), each test under its
//! own queue prefix.
//!
//! Covers: every 4me sample accepted (plain with unsigned bodies allowed, and re-signed with
//! the fixtures' policy key) and stored persistently under the right message id; the
//! `webhook.verify` handshake (callback called, nothing stored) and its refusals; every way a
//! 4me delivery is refused, each with its status, reason and metric, and nothing stored; events
//! the connector does not handle; a broker outage staged with a TCP relay (503, then accepted
//! again without a restart); and IdentityNow event triggers (credentials, shape, storage).

#[path = "ingress/broker_proxy.rs"]
mod broker_proxy;
#[path = "ingress/fourme.rs"]
mod fourme;
#[path = "ingress/harness.rs"]
mod harness;

use axum::http::StatusCode;
use broker_proxy::BrokerProxy;
use fourme::{
    claims_of, fresh_claims, now, policy_body, queued_samples, sign_as_policy,
    sign_hs256_with_public_key, sign_rs256, stranger_private_key, unsigned_token, verify_event,
    verify_sample, VerifyCallback,
};
use harness::{
    amqp_url, eventually, ingress_config, Answer, RunningIngress, StoredEvent, RABBITMQ,
    TRIGGER_TOKEN,
};
use serde_json::{json, Value};
use shared::envelope::Source;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Checks one stored message against what was delivered.
fn assert_stored(stored: &StoredEvent, delivery_id: &str, event: &str, data: &Value) {
    assert_eq!(stored.message_id.as_deref(), Some(delivery_id), "{event}");
    assert_eq!(stored.delivery_mode, Some(2), "{event}: not persistent");
    assert_eq!(stored.content_type.as_deref(), Some("application/json"));
    assert_eq!(stored.envelope.source, Source::Fourme);
    assert_eq!(stored.envelope.event, event);
    assert_eq!(stored.envelope.delivery_id, delivery_id);
    assert_eq!(&stored.envelope.data, data, "{event}: data differs");
}

fn accepted(delivery_id: &str) -> Value {
    json!({ "status": "accepted", "delivery_id": delivery_id })
}

#[tokio::test]
async fn every_plain_sample_is_stored_under_its_delivery_header() {
    let mut config = ingress_config(&amqp_url(RABBITMQ), vec![]);
    config.allow_unsigned = true;
    let ingress = RunningIngress::start(config).await;

    let samples = queued_samples();
    let mut delivered = Vec::new();
    for (sample, header) in samples
        .iter()
        .zip(["X-4me-Delivery", "x-xurrent-delivery"].iter().cycle())
    {
        let delivery_id = uuid::Uuid::new_v4().to_string();
        let request = ingress.fourme(&sample.plain).header(*header, &delivery_id);
        let answer = ingress.send(request).await;
        assert_eq!(answer.status, 200, "{}: {:?}", sample.event, answer.body);
        assert_eq!(answer.body, accepted(&delivery_id));
        delivered.push(delivery_id);
    }

    let stored = ingress.work.take_all().await;
    assert_eq!(stored.len(), samples.len());
    for ((stored, sample), delivery_id) in stored.iter().zip(&samples).zip(&delivered) {
        assert_stored(stored, delivery_id, sample.event, &sample.plain);
    }
    assert_eq!(ingress.webhooks_total("fourme", "accepted").await, 3);
    ingress.finish().await;
}

#[tokio::test]
async fn every_resigned_sample_is_stored_under_its_token_id() {
    let ingress = RunningIngress::start(ingress_config(&amqp_url(RABBITMQ), vec![])).await;

    let samples = queued_samples();
    let mut delivered = Vec::new();
    for sample in &samples {
        let mut claims = fresh_claims(&claims_of(&sample.signed_jwt)["data"]);
        claims["jti"] = claims_of(&sample.signed_jwt)["jti"].clone();
        let jti = claims["jti"].as_str().unwrap().to_owned();
        let answer = ingress
            .send(ingress.fourme(&policy_body(&sign_as_policy(&claims))))
            .await;
        assert_eq!(answer.status, 200, "{}: {:?}", sample.event, answer.body);
        assert_eq!(answer.body, accepted(&jti));
        delivered.push(jti);
    }

    // A delivery header, when 4me sends one, wins over the token id.
    let sample = &samples[0];
    let token = sign_as_policy(&fresh_claims(&sample.plain));
    let request = ingress
        .fourme(&policy_body(&token))
        .header("X-4me-Delivery", "3a2f6c1e-delivery-header");
    assert_eq!(
        ingress.send(request).await.body,
        accepted("3a2f6c1e-delivery-header")
    );

    let stored = ingress.work.take_all().await;
    assert_eq!(stored.len(), samples.len() + 1);
    for ((stored, sample), jti) in stored.iter().zip(&samples).zip(&delivered) {
        assert_stored(stored, jti, sample.event, &sample.plain);
    }
    assert_stored(
        &stored[samples.len()],
        "3a2f6c1e-delivery-header",
        sample.event,
        &sample.plain,
    );
    assert_eq!(ingress.webhooks_total("fourme", "accepted").await, 4);
    ingress.finish().await;
}

#[tokio::test]
async fn a_token_id_unfit_for_a_message_id_is_replaced_by_a_generated_one() {
    let ingress = RunningIngress::start(ingress_config(&amqp_url(RABBITMQ), vec![])).await;
    let data = queued_samples().remove(0).plain;

    // AMQP message ids are short strings (255 bytes at most); 4me's are 32 hex digits.
    let unfit = ["9".repeat(300), "two words".to_owned(), String::new()];
    let mut answered = Vec::new();
    for jti in &unfit {
        let mut claims = fresh_claims(&data);
        claims["jti"] = json!(jti);
        let answer = ingress
            .send(ingress.fourme(&policy_body(&sign_as_policy(&claims))))
            .await;
        assert_eq!(answer.status, 200, "jti {jti:.20}: {:?}", answer.body);
        let delivery_id = answer.body["delivery_id"].as_str().unwrap().to_owned();
        assert!(
            uuid::Uuid::parse_str(&delivery_id).is_ok(),
            "{delivery_id:.40}"
        );
        answered.push(delivery_id);
    }

    let stored = ingress.work.take_all().await;
    assert_eq!(stored.len(), unfit.len());
    for (stored, delivery_id) in stored.iter().zip(&answered) {
        assert_stored(stored, delivery_id, "request.create", &data);
    }
    ingress.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deliveries_are_each_stored_once() {
    let running = RunningIngress::start(ingress_config(&amqp_url(RABBITMQ), vec![])).await;
    let ingress = &running;

    let delivery_ids: Vec<String> = (0..64).map(|n| format!("concurrent-{n}")).collect();
    let answers = futures_util::future::join_all(
        delivery_ids
            .iter()
            .map(|delivery_id| deliver_request_create(ingress, delivery_id)),
    )
    .await;
    for (answer, delivery_id) in answers.iter().zip(&delivery_ids) {
        assert_eq!(answer.body, accepted(delivery_id), "{}", answer.status);
    }

    let stored = ingress.work.take_all().await;
    let mut stored_ids = message_ids(&stored);
    stored_ids.sort_unstable();
    let mut expected: Vec<&str> = delivery_ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(stored_ids, expected);
    running.finish().await;
}

#[tokio::test]
async fn without_a_work_queue_deliveries_are_answered_503_not_accepted() {
    let ingress = RunningIngress::start(ingress_config(&amqp_url(RABBITMQ), vec![])).await;

    // An operator deletes the queue: RabbitMQ returns the message as unroutable.
    ingress.work.delete_queue(ingress.work.name()).await;
    let answer = deliver_request_create(&ingress, "no-queue-to-take-it").await;
    assert_eq!(answer.status, 503, "{:?}", answer.body);
    assert_eq!(ingress.webhooks_total("fourme", "unavailable").await, 1);
    assert_eq!(ingress.webhooks_total("fourme", "accepted").await, 0);
    ingress.finish().await;
}

#[tokio::test]
async fn webhook_verify_calls_the_account_callback_and_stores_nothing() {
    let callback = VerifyCallback::start(StatusCode::OK).await;
    let mut config = ingress_config(&amqp_url(RABBITMQ), vec![callback.host.clone()]);
    config.allow_unsigned = true;
    let ingress = RunningIngress::start(config).await;

    let signed = sign_as_policy(&fresh_claims(&verify_event(&callback.url("signed-code"))));
    let answer = ingress.send(ingress.fourme(&policy_body(&signed))).await;
    assert_eq!(
        (answer.status, answer.body),
        (200, json!({ "status": "verified" }))
    );

    let plain = verify_event(&callback.url("plain-code"));
    let answer = ingress.send(ingress.fourme(&plain)).await;
    assert_eq!(
        (answer.status, answer.body),
        (200, json!({ "status": "verified" }))
    );

    assert_eq!(callback.calls(), ["signed-code", "plain-code"]);
    assert_eq!(ingress.work.len().await, 0);
    assert_eq!(ingress.webhooks_total("fourme", "verified").await, 2);
    ingress.finish().await;
}

#[tokio::test]
async fn verify_callbacks_go_only_to_the_account_and_their_failures_are_passed_on() {
    let callback = VerifyCallback::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    let config = ingress_config(&amqp_url(RABBITMQ), vec![callback.host.clone()]);
    let ingress = RunningIngress::start(config).await;
    let deliver = |data: Value| {
        let token = sign_as_policy(&fresh_claims(&data));
        ingress.send(ingress.fourme(&policy_body(&token)))
    };

    // The same listener under a name the account does not list: must not be called.
    let foreign_host = callback.host.replace("127.0.0.1", "localhost");
    let answer = deliver(verify_event(
        &callback.url_on(&foreign_host, "foreign-code"),
    ))
    .await;
    assert_eq!(answer.status, 400, "{:?}", answer.body);
    assert!(
        answer.reason().contains("does not belong"),
        "{}",
        answer.reason()
    );

    let mut no_callback = verify_sample().plain;
    no_callback["payload"] = json!({});
    let answer = deliver(no_callback).await;
    assert_eq!(answer.status, 400, "{:?}", answer.body);
    assert!(
        answer.reason().contains("no callback URL"),
        "{}",
        answer.reason()
    );

    let answer = deliver(verify_event(&callback.url("failing-code"))).await;
    assert_eq!(answer.status, 502, "{:?}", answer.body);
    assert!(answer.reason().contains("500"), "{}", answer.reason());

    assert_eq!(callback.calls(), ["failing-code"]);
    assert_eq!(ingress.work.len().await, 0);
    assert_eq!(ingress.webhooks_total("fourme", "rejected").await, 2);
    assert_eq!(ingress.webhooks_total("fourme", "unavailable").await, 1);
    ingress.finish().await;
}

/// One way a 4me delivery must be refused.
struct Refusal {
    case: &'static str,
    content_type: &'static str,
    body: String,
    status: u16,
    outcome: &'static str,
    reason: &'static str,
}

fn refusal(
    case: &'static str,
    body: String,
    status: u16,
    outcome: &'static str,
    reason: &'static str,
) -> Refusal {
    Refusal {
        case,
        content_type: "application/json; charset=utf-8",
        body,
        status,
        outcome,
        reason,
    }
}

/// A policy body carrying `token`, as text.
fn jwt_body(token: &str) -> String {
    policy_body(token).to_string()
}

fn refusals() -> Vec<Refusal> {
    let data = queued_samples().remove(0).plain;
    let valid = || fresh_claims(&data);
    let with = |changes: Value| {
        let mut claims = valid();
        for (claim, value) in changes.as_object().unwrap() {
            claims[claim] = value.clone();
        }
        claims
    };
    let token = sign_as_policy(&valid());
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = valid();
    forged["data"]["object_id"] = json!(1);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        base64_url(&forged.to_string()),
        parts[2]
    );
    let mut nameless = data.clone();
    nameless.as_object_mut().unwrap().remove("event");
    let mut idless = data.clone();
    idless["object_id"] = json!("70001; DROP");
    let hour = 3_600;

    vec![
        refusal(
            "signed with another key",
            jwt_body(&sign_rs256(&valid(), &stranger_private_key())),
            401,
            "rejected",
            "signature is invalid",
        ),
        refusal(
            "alg none",
            jwt_body(&unsigned_token(&valid())),
            401,
            "rejected",
            "configured algorithm",
        ),
        refusal(
            "HS256 keyed with the RSA public key",
            jwt_body(&sign_hs256_with_public_key(&valid())),
            401,
            "rejected",
            "configured algorithm",
        ),
        refusal(
            "expired",
            jwt_body(&sign_as_policy(&with(
                json!({ "iat": now() - 2 * hour, "nbf": now() - 2 * hour, "exp": now() - hour }),
            ))),
            401,
            "rejected",
            "expired",
        ),
        refusal(
            "not yet valid",
            jwt_body(&sign_as_policy(&with(
                json!({ "iat": now() + hour, "nbf": now() + hour, "exp": now() + 2 * hour }),
            ))),
            401,
            "rejected",
            "not valid yet",
        ),
        refusal(
            "another account",
            jwt_body(&sign_as_policy(&with(
                json!({ "iss": "https://other-corp.4me.com" }),
            ))),
            401,
            "rejected",
            "not issued by the configured",
        ),
        refusal(
            "account name as a prefix",
            jwt_body(&sign_as_policy(&with(
                json!({ "iss": "https://example-corp.4me.com.evil.test" }),
            ))),
            401,
            "rejected",
            "not issued by the configured",
        ),
        refusal(
            "another audience",
            jwt_body(&sign_as_policy(&with(
                json!({ "aud": "another-integration" }),
            ))),
            401,
            "rejected",
            "another audience",
        ),
        refusal(
            "tampered payload",
            jwt_body(&tampered),
            401,
            "rejected",
            "signature is invalid",
        ),
        refusal(
            "truncated signature",
            jwt_body(&token[..token.len() - 10]),
            401,
            "rejected",
            "signature is invalid",
        ),
        refusal(
            "token cut before its signature",
            jwt_body(&format!("{}.{}", parts[0], parts[1])),
            401,
            "rejected",
            "malformed",
        ),
        refusal(
            "oversized body",
            jwt_body(&"a".repeat(70 * 1024)),
            413,
            "too_large",
            "size limit",
        ),
        refusal(
            "not JSON",
            "jwt=eyJ0eXAiOiJKV1QifQ".into(),
            400,
            "malformed",
            "not JSON",
        ),
        refusal(
            "a JSON array",
            "[]".into(),
            400,
            "malformed",
            "not a JSON object",
        ),
        refusal(
            "jwt not a string",
            r#"{"jwt": 42}"#.into(),
            400,
            "malformed",
            "jwt must be a string",
        ),
        refusal(
            "signed event without a name",
            jwt_body(&sign_as_policy(&fresh_claims(&nameless))),
            400,
            "malformed",
            "no event name",
        ),
        refusal(
            "request event with a non-numeric object_id",
            jwt_body(&sign_as_policy(&fresh_claims(&idless))),
            400,
            "malformed",
            "positive numeric object_id",
        ),
        Refusal {
            content_type: "text/plain",
            ..refusal(
                "text/plain",
                jwt_body(&token),
                415,
                "malformed",
                "application/json",
            )
        },
        Refusal {
            content_type: "application/x-www-form-urlencoded",
            ..refusal(
                "form-encoded",
                jwt_body(&token),
                415,
                "malformed",
                "application/json",
            )
        },
        refusal(
            "unsigned body under a policy",
            data.to_string(),
            401,
            "rejected",
            "unsigned deliveries",
        ),
    ]
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn refused_deliveries_get_their_status_and_reason_and_nothing_is_stored() {
    let ingress = RunningIngress::start(ingress_config(&amqp_url(RABBITMQ), vec![])).await;

    for refusal in refusals() {
        let counted = ingress.webhooks_total("fourme", refusal.outcome).await;
        let request = ingress.fourme_raw(refusal.content_type, refusal.body);
        let answer = ingress.send(request).await;
        let case = refusal.case;
        assert_eq!(answer.status, refusal.status, "{case}: {:?}", answer.body);
        assert_eq!(answer.body["status"], "refused", "{case}");
        assert!(
            answer.reason().contains(refusal.reason),
            "{case}: reason {:?}",
            answer.reason()
        );
        assert_eq!(
            ingress.webhooks_total("fourme", refusal.outcome).await,
            counted + 1,
            "{case}: {} not counted",
            refusal.outcome
        );
        assert_eq!(ingress.work.len().await, 0, "{case}: something was stored");
    }

    // The same ingress still stores a good delivery, so the checks above could have failed.
    let token = sign_as_policy(&fresh_claims(&queued_samples().remove(0).plain));
    assert_eq!(
        ingress
            .send(ingress.fourme(&policy_body(&token)))
            .await
            .status,
        200
    );
    assert_eq!(ingress.work.len().await, 1);
    assert_eq!(ingress.webhooks_total("fourme", "accepted").await, 1);
    ingress.finish().await;
}

#[tokio::test]
async fn events_the_connector_does_not_handle_are_answered_200_and_ignored() {
    let mut config = ingress_config(&amqp_url(RABBITMQ), vec![]);
    config.events = vec!["request.create".into()];
    let ingress = RunningIngress::start(config).await;

    let mut note_added = queued_samples().remove(0).plain;
    note_added["event"] = json!("request.note-added");
    let automation_rule = queued_samples().remove(2).plain;
    for data in [note_added, automation_rule] {
        let token = sign_as_policy(&fresh_claims(&data));
        let answer = ingress.send(ingress.fourme(&policy_body(&token))).await;
        assert_eq!(
            (answer.status, answer.body),
            (200, json!({ "status": "ignored" }))
        );
    }

    assert_eq!(ingress.work.len().await, 0);
    assert_eq!(ingress.webhooks_total("fourme", "ignored").await, 2);
    assert_eq!(ingress.webhooks_total("fourme", "accepted").await, 0);
    ingress.finish().await;
}

#[tokio::test]
async fn a_request_head_that_never_completes_is_cut_off_at_the_deadline() {
    let mut config = ingress_config(&amqp_url(RABBITMQ), vec![]);
    config.request_deadline = std::time::Duration::from_secs(1);
    let ingress = RunningIngress::start(config).await;
    let address = ingress.base_url.trim_start_matches("http://").to_owned();

    // Half a request head, then silence: the ingress must not keep the connection for ever.
    let slow = send_until_closed(
        &address,
        b"POST /webhooks/4me HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
    )
    .await;
    let answer = slow
        .expect("the ingress still holds a connection whose head never came")
        .unwrap_or_default();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "no other answer than a timeout: {answer}"
    );

    // A kept-alive connection that goes quiet after its answer is closed too, but it is not
    // a slow client: it is not counted.
    let idle = send_until_closed(&address, b"GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await;
    let answered = idle
        .expect("the idle connection is closed")
        .expect("and closed cleanly");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert_eq!(ingress.connections_closed("head_timeout").await, 1);

    // Others are served as before, and nothing was stored for the cut-off request.
    let delivery_id = uuid::Uuid::new_v4().to_string();
    let answer = deliver_request_create(&ingress, &delivery_id).await;
    assert_eq!((answer.status, answer.body), (200, accepted(&delivery_id)));
    assert_eq!(ingress.work.len().await, 1);
    ingress.finish().await;
}

/// Opens a connection, sends `bytes` and reads until the ingress closes it: `None` if it is
/// still open after 30 s, else what was read (an error if the close was a reset).
async fn send_until_closed(address: &str, bytes: &[u8]) -> Option<std::io::Result<String>> {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut answer),
    )
    .await
    .ok()?;
    Some(closed.map(|_| String::from_utf8_lossy(&answer).into_owned()))
}

/// Posts a freshly signed `request.create` under `delivery_id`.
async fn deliver_request_create(ingress: &RunningIngress, delivery_id: &str) -> Answer {
    let token = sign_as_policy(&fresh_claims(&queued_samples().remove(0).plain));
    let request = ingress
        .fourme(&policy_body(&token))
        .header("X-4me-Delivery", delivery_id);
    ingress.send(request).await
}

fn message_ids(stored: &[StoredEvent]) -> Vec<&str> {
    stored
        .iter()
        .filter_map(|event| event.message_id.as_deref())
        .collect()
}

#[tokio::test]
async fn a_broker_outage_is_answered_503_and_recovers_without_a_restart() {
    let proxy = BrokerProxy::start(RABBITMQ).await;
    let config = ingress_config(&amqp_url(&proxy.address.to_string()), vec![]);
    let running = RunningIngress::start(config).await;
    let ingress = &running;

    let answer = deliver_request_create(ingress, "before-the-outage").await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(ingress.broker_connected().await, 1);

    proxy.cut();
    eventually("/ready to say 503", || async move {
        (ingress.ready_status().await == 503).then_some(())
    })
    .await;
    let answer = deliver_request_create(ingress, "during-the-outage").await;
    assert_eq!(answer.status, 503, "{:?}", answer.body);
    assert!(
        answer.reason().contains("retry later"),
        "{}",
        answer.reason()
    );
    assert_eq!(ingress.webhooks_total("fourme", "unavailable").await, 1);
    eventually("the connected gauge to drop to 0", || async move {
        (ingress.broker_connected().await == 0).then_some(())
    })
    .await;
    assert_eq!(
        message_ids(&ingress.work.take_all().await),
        ["before-the-outage"]
    );

    proxy.restore();
    let recovered = eventually("a delivery to be accepted again", || async move {
        let delivery_id = uuid::Uuid::new_v4().to_string();
        let answer = deliver_request_create(ingress, &delivery_id).await;
        match answer.status {
            200 => Some(delivery_id),
            503 => None,
            other => panic!("unexpected {other} while recovering: {:?}", answer.body),
        }
    })
    .await;
    assert_eq!(ingress.ready_status().await, 200);
    eventually("the connected gauge to return to 1", || async move {
        (ingress.broker_connected().await == 1).then_some(())
    })
    .await;

    // Every delivery answered 503 while recovering left nothing behind.
    assert_eq!(
        message_ids(&ingress.work.take_all().await),
        [recovered.as_str()]
    );
    assert_eq!(ingress.webhooks_total("fourme", "accepted").await, 2);
    running.finish().await;
}

/// An "Access Request Decision" trigger as IdentityNow sends it.
fn access_request_decision() -> Value {
    json!({
        "accessRequestId": "2c91808b7c28b350017c2a2ec5790aa1",
        "requestedFor": [{ "type": "IDENTITY", "id": "2c918084660f45d6016617daa9210584", "name": "Casey Sample" }],
        "requestedBy": { "type": "IDENTITY", "id": "2c918084660f45d6016617daa9210585", "name": "Jordan Placeholder" },
        "requestedItemsStatus": [{
            "id": "2c9180837ca6693d017ca8d097500149",
            "name": "Sales Read Only",
            "type": "ACCESS_PROFILE",
            "operation": "Add",
            "comment": "Needed for the quarterly review",
            "clientMetadata": { "ticket": "70002" },
            "approvalInfo": [{
                "approvalDecision": "APPROVED",
                "approverName": "avery.approver",
                "approvalComment": "ok",
                "approver": { "type": "IDENTITY", "id": "2c918084660f45d6016617daa9210586", "name": "Avery Approver" }
            }]
        }]
    })
}

fn bearer() -> String {
    format!("Bearer {TRIGGER_TOKEN}")
}

#[tokio::test]
async fn identitynow_triggers_without_the_configured_credentials_are_refused() {
    let ingress = RunningIngress::start(ingress_config(&amqp_url(RABBITMQ), vec![])).await;
    let body = access_request_decision().to_string();

    let basic = {
        use base64::Engine;
        let pair = format!("identitynow:{TRIGGER_TOKEN}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    let wrong = [
        None,
        Some("Bearer not-the-trigger-token".to_owned()),
        Some(format!("Bearer {TRIGGER_TOKEN}x")),
        Some(TRIGGER_TOKEN.to_owned()),
        Some(basic),
    ];
    for (count, authorization) in (1..).zip(wrong) {
        let mut request = ingress.identitynow().body(body.clone());
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let answer = ingress.send(request).await;
        assert_eq!(answer.status, 401, "{authorization:?}: {:?}", answer.body);
        assert_eq!(answer.reason(), "missing or wrong credentials");
        assert_eq!(
            ingress.webhooks_total("identitynow", "unauthorized").await,
            count
        );
    }

    assert_eq!(ingress.work.len().await, 0);
    ingress.finish().await;
}

#[tokio::test]
async fn malformed_identitynow_triggers_are_refused() {
    let ingress = RunningIngress::start(ingress_config(&amqp_url(RABBITMQ), vec![])).await;
    let submitted = json!({
        "accessRequestId": "2c91808b7c28b350017c2a2ec5790aa1",
        "requestedFor": [{ "type": "IDENTITY", "id": "2c918084660f45d6016617daa9210584" }],
        "requestedItems": [{ "id": "2c9180837ca6693d017ca8d097500149", "type": "ACCESS_PROFILE", "operation": "Add" }],
    });
    let cases = [
        (
            "not JSON",
            "accessRequestId=1".to_owned(),
            "not a JSON object",
        ),
        ("a JSON array", "[]".to_owned(), "not a JSON object"),
        (
            "another trigger",
            submitted.to_string(),
            "not a known IdentityNow trigger",
        ),
        (
            "an empty object",
            "{}".to_owned(),
            "not a known IdentityNow trigger",
        ),
    ];
    for (count, (case, body, reason)) in (1..).zip(cases) {
        let request = ingress
            .identitynow()
            .header("authorization", bearer())
            .body(body);
        let answer = ingress.send(request).await;
        assert_eq!(answer.status, 400, "{case}: {:?}", answer.body);
        assert!(
            answer.reason().contains(reason),
            "{case}: {}",
            answer.reason()
        );
        assert_eq!(
            ingress.webhooks_total("identitynow", "malformed").await,
            count
        );
    }

    assert_eq!(ingress.work.len().await, 0);
    ingress.finish().await;
}

#[tokio::test]
async fn an_access_request_decision_trigger_is_stored() {
    let ingress = RunningIngress::start(ingress_config(&amqp_url(RABBITMQ), vec![])).await;

    let request = ingress
        .identitynow()
        .header("authorization", bearer())
        .body(access_request_decision().to_string());
    let answer = ingress.send(request).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["status"], "accepted");
    let delivery_id = answer.body["delivery_id"].as_str().unwrap();

    let stored = ingress.work.take_all().await;
    assert_eq!(stored.len(), 1);
    let stored = &stored[0];
    assert_eq!(stored.message_id.as_deref(), Some(delivery_id));
    assert_eq!(stored.delivery_mode, Some(2));
    assert_eq!(stored.envelope.source, Source::Identitynow);
    assert_eq!(stored.envelope.event, "identitynow.access-request-decision");
    assert_eq!(stored.envelope.delivery_id, delivery_id);
    assert_eq!(stored.envelope.data, access_request_decision());
    assert_eq!(ingress.webhooks_total("identitynow", "accepted").await, 1);
    ingress.finish().await;
}
