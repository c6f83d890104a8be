//! The 4me side of the tests: the sample deliveries, a webhook policy that signs like 4me's
//! (with the fixtures' throwaway key), and a stand-in for 4me's `webhook.verify` callback.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ingress::account::Account;
use ingress::signature::{PolicyKey, WebhookPolicy};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// The fixtures' account.
pub const ACCOUNT_URL: &str = "https://example-corp.4me.com";
/// The fixtures' policy audience.
pub const AUDIENCE: &str = "sailpoint-connector";

const PUBLIC_KEY: &str = include_str!("../../fixtures/4me/webhook-policy-public-key.pem");
const PRIVATE_KEY: &str = include_str!("../../fixtures/4me/webhook-policy-private-key.pem");

/// One sample delivery, plain and as 4me signed it.
pub struct Sample {
    /// The event name.
    pub event: &'static str,
    /// The plain body: the webhook envelope.
    pub plain: Value,
    /// The signed body's token.
    pub signed_jwt: String,
}

/// The samples that are queued (every one but `webhook.verify`).
pub fn queued_samples() -> Vec<Sample> {
    vec![
        sample(
            "request.create",
            include_str!("../../fixtures/4me/webhook-request-create.json"),
            include_str!("../../fixtures/4me/webhook-request-create.jwt.json"),
        ),
        sample(
            "request.status-changed",
            include_str!("../../fixtures/4me/webhook-request-status-changed.json"),
            include_str!("../../fixtures/4me/webhook-request-status-changed.jwt.json"),
        ),
        sample(
            "automation_rule",
            include_str!("../../fixtures/4me/webhook-automation-rule.json"),
            include_str!("../../fixtures/4me/webhook-automation-rule.jwt.json"),
        ),
    ]
}

/// The `webhook.verify` sample; its callback points at the real 4me, so tests replace it.
pub fn verify_sample() -> Sample {
    sample(
        "webhook.verify",
        include_str!("../../fixtures/4me/webhook-verify.json"),
        include_str!("../../fixtures/4me/webhook-verify.jwt.json"),
    )
}

fn sample(event: &'static str, plain: &str, signed: &str) -> Sample {
    let signed: Value = serde_json::from_str(signed).unwrap();
    Sample {
        event,
        plain: serde_json::from_str(plain).unwrap(),
        signed_jwt: signed["jwt"].as_str().unwrap().to_owned(),
    }
}

/// The ingress's policy for the fixtures: RS256 with their public key and audience.
pub fn fixture_policy(account: Account) -> WebhookPolicy {
    let key = PolicyKey::PublicKeyPem(PUBLIC_KEY.into());
    WebhookPolicy::new("RS256", key, account, Some(AUDIENCE.into())).unwrap()
}

/// The claims of a signed sample (no signature check).
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(elapsed.as_secs()).unwrap()
}

/// Claims as 4me issues them now for `data`, valid for five minutes, with a fresh `jti`.
pub fn fresh_claims(data: &Value) -> Value {
    let now = now();
    json!({
        "data": data,
        "iss": ACCOUNT_URL,
        "sub": "41",
        "aud": AUDIENCE,
        "jti": uuid::Uuid::new_v4().simple().to_string(),
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    })
}

/// Signs `claims` with RS256 and `key` (PEM, PKCS#8).
pub fn sign_rs256(claims: &Value, private_key_pem: &str) -> String {
    let key = EncodingKey::from_rsa_pem(private_key_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).unwrap()
}

/// Signs `claims` as the fixtures' webhook policy does.
pub fn sign_as_policy(claims: &Value) -> String {
    sign_rs256(claims, PRIVATE_KEY)
}

/// Signs `claims` with HS256 using the policy's *public* key PEM as the secret.
pub fn sign_hs256_with_public_key(claims: &Value) -> String {
    let key = EncodingKey::from_secret(PUBLIC_KEY.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

/// A token with `alg: none` and no signature.
pub fn unsigned_token(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"none"}"#);
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// A fresh RSA private key unknown to the ingress, as a PKCS#8 PEM.
pub fn stranger_private_key() -> String {
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let der = STANDARD.encode(AsDer::as_der(&pair).unwrap().as_ref());
    let lines: Vec<String> = der
        .as_bytes()
        .chunks(64)
        .map(|line| String::from_utf8(line.to_vec()).unwrap())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

/// The `{"jwt": ...}` body 4me posts for a token.
pub fn policy_body(token: &str) -> Value {
    json!({ "jwt": token })
}

/// The verify sample's envelope with its callback moved to `callback`.
pub fn verify_event(callback: &str) -> Value {
    let mut data = verify_sample().plain;
    data["payload"]["callback"] = json!(callback);
    data
}

/// A stand-in for 4me's verify callback on 127.0.0.1: records each code it is called with.
pub struct VerifyCallback {
    /// `127.0.0.1:<port>`, for the account's extra callback hosts.
    pub host: String,
    codes: Arc<Mutex<Vec<String>>>,
}

impl VerifyCallback {
    /// Starts the callback; it answers `status` to every call.
    pub async fn start(status: StatusCode) -> VerifyCallback {
        let codes = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/webhooks/{id}/verify", get(called))
            .with_state((codes.clone(), status));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move { axum::serve(listener, app).await });
        VerifyCallback { host, codes }
    }

    /// The callback URL 4me would send, for `code`, on `host`.
    pub fn url_on(&self, host: &str, code: &str) -> String {
        format!("http://{host}/webhooks/41/verify?code={code}&expires_at=1796483743")
    }

    /// The callback URL for `code` on this callback's own host.
    pub fn url(&self, code: &str) -> String {
        self.url_on(&self.host, code)
    }

    /// The codes it was called with, in order.
    pub fn calls(&self) -> Vec<String> {
        self.codes.lock().unwrap().clone()
    }
}

type CallbackState = (Arc<Mutex<Vec<String>>>, StatusCode);

async fn called(
    State((codes, status)): State<CallbackState>,
    Query(query): Query<HashMap<String, String>>,
) -> StatusCode {
    let code = query.get("code").cloned().unwrap_or_default();
    codes.lock().unwrap().push(code);
    status
}
