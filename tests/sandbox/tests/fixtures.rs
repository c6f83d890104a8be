//! The 4me fixtures (copied from the shared reference) parse, match the schemas, and the
//! signed ones verify with the policy's public key.

use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use sandbox::contract::{check, Schema};
use sandbox::fourme::PUBLIC_KEY_PEM;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture is readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

#[test]
fn records_match_their_schemas() {
    check(
        Schema::FourMeRequest,
        &fixture("api-get-request-70001.json"),
    )
    .unwrap();
    check(Schema::FourMePerson, &fixture("api-get-person-502.json")).unwrap();
    check(Schema::FourMeError, &fixture("api-error-422.json")).unwrap();
    check(Schema::FourMeError, &fixture("api-error-429.json")).unwrap();
}

#[test]
fn signed_webhooks_verify_and_carry_the_plain_envelope() {
    let key = DecodingKey::from_rsa_pem(PUBLIC_KEY_PEM.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["sailpoint-connector"]);
    validation.set_issuer(&["https://example-corp.4me.com"]);

    for name in [
        "webhook-automation-rule",
        "webhook-request-create",
        "webhook-request-status-changed",
        "webhook-verify",
    ] {
        let plain = fixture(&format!("{name}.json"));
        check(Schema::FourMeWebhook, &plain).unwrap();

        let signed = fixture(&format!("{name}.jwt.json"));
        let jwt = signed["jwt"].as_str().unwrap();
        let claims = decode::<Value>(jwt, &key, &validation)
            .expect("fixture signature verifies")
            .claims;
        assert_eq!(claims["data"], plain, "{name}");
        assert_eq!(claims["sub"], "41");
    }
}
