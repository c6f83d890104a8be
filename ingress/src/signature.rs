//! Verifying 4me webhook-policy JWTs.
//!
//! With a webhook policy, 4me posts `{"jwt": "<compact JWS>"}` and the event is the token's
//! `data` claim. 4me offers RS256/384/512, ES256/384/512 and HS256/384/512. The algorithm is
//! pinned by configuration and compared with the token's header before any key is used, so a
//! token that names another algorithm (`none`, or HS256 "signed" with the RSA public key) is
//! refused. `iss` must be the account, `aud` is checked when configured, and `exp`, `nbf` and
//! `iat` are checked with a small clock skew.
//!
//! The signature check uses aws-lc-rs directly, with the public key parsed once at start-up.

use crate::account::Account;
use aws_lc_rs::{hmac, signature};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The clock skew allowed on `exp`, `nbf` and `iat` (4me's docs allow "a couple of minutes").
const LEEWAY_SECONDS: i64 = 120;

/// Tokens longer than this are refused unread (the body limit caps them anyway).
const MAX_TOKEN_BYTES: usize = 256 * 1024;

/// The verification key as configured.
pub enum PolicyKey {
    /// A PEM public key (`BEGIN PUBLIC KEY`), for RS* and ES*.
    PublicKeyPem(String),
    /// A shared secret, for HS*.
    Secret(SecretString),
}

enum Verifier {
    PublicKey(signature::ParsedPublicKey),
    Hmac(hmac::Key),
}

/// The configured webhook policy: how tokens must be signed.
pub struct WebhookPolicy {
    algorithm: &'static str,
    verifier: Verifier,
    account: Account,
    audience: Option<String>,
}

impl std::fmt::Debug for WebhookPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookPolicy")
            .field("algorithm", &self.algorithm)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// The policy could not be set up from configuration.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The algorithm is not one 4me offers (or is `none`).
    #[error("FOURME_JWT_ALG: {0:?} is not one of RS256/384/512, ES256/384/512, HS256/384/512")]
    Algorithm(String),
    /// The key does not suit the algorithm (a private key, garbage, or the wrong kind).
    #[error("the webhook policy key does not suit {algorithm}: {reason}")]
    Key {
        algorithm: &'static str,
        reason: String,
    },
}

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not a well-formed compact JWS.
    #[error("the token is malformed")]
    Malformed,
    /// Signed with another algorithm than the policy's.
    #[error("the token is not signed with the configured algorithm")]
    WrongAlgorithm,
    /// The signature does not match the key.
    #[error("the token signature is invalid")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` or `iat` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` is missing or not the configured account.
    #[error("the token was not issued by the configured 4me account")]
    WrongIssuer,
    /// `aud` is not the configured audience.
    #[error("the token is meant for another audience")]
    WrongAudience,
    /// The token carries no `data` object.
    #[error("the token has no data claim")]
    NoData,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    data: Option<serde_json::Value>,
    iss: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// A verified token: the event and the token id.
#[derive(Debug)]
pub struct VerifiedEvent {
    /// The webhook envelope from the `data` claim.
    pub data: serde_json::Value,
    /// The token id, used as delivery id when 4me sent no delivery header.
    pub jti: Option<String>,
}

impl WebhookPolicy {
    /// Sets up the policy; `audience` is checked only when given.
    pub fn new(
        algorithm: &str,
        key: PolicyKey,
        account: Account,
        audience: Option<String>,
    ) -> Result<Self, PolicyError> {
        let (name, verifier) = verifier_for(&algorithm.to_ascii_uppercase(), key)?;
        Ok(WebhookPolicy {
            algorithm: name,
            verifier,
            account,
            audience,
        })
    }

    /// Verifies a token at `now` (Unix seconds) and returns its event.
    pub fn verify(&self, token: &str, now: i64) -> Result<VerifiedEvent, SignatureError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(SignatureError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SignatureError::Malformed);
        };
        let signed = &token.as_bytes()[..header.len() + 1 + payload.len()];
        let header: Header = decode_json(header)?;
        if header.alg != self.algorithm {
            return Err(SignatureError::WrongAlgorithm);
        }
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| SignatureError::Malformed)?;
        let valid = match &self.verifier {
            Verifier::PublicKey(key) => key.verify_sig(signed, &sig).is_ok(),
            Verifier::Hmac(key) => hmac::verify(key, signed, &sig).is_ok(),
        };
        if !valid {
            return Err(SignatureError::BadSignature);
        }
        let claims: Claims = decode_json(payload)?;
        self.check_claims(claims, now)
    }

    fn check_claims(&self, claims: Claims, now: i64) -> Result<VerifiedEvent, SignatureError> {
        if !claims
            .iss
            .as_deref()
            .is_some_and(|iss| self.account.is_issuer(iss))
        {
            return Err(SignatureError::WrongIssuer);
        }
        if let Some(expected) = &self.audience {
            let matches = match &claims.aud {
                Some(Audience::One(aud)) => aud == expected,
                Some(Audience::Many(auds)) => auds.contains(expected),
                None => false,
            };
            if !matches {
                return Err(SignatureError::WrongAudience);
            }
        }
        if claims.exp.is_some_and(|exp| exp + LEEWAY_SECONDS < now) {
            return Err(SignatureError::Expired);
        }
        let future = |t: Option<i64>| t.is_some_and(|t| t - LEEWAY_SECONDS > now);
        if future(claims.nbf) || future(claims.iat) {
            return Err(SignatureError::NotYetValid);
        }
        match claims.data {
            Some(data) if data.is_object() => Ok(VerifiedEvent {
                data,
                jti: claims.jti,
            }),
            _ => Err(SignatureError::NoData),
        }
    }

    /// The account the policy belongs to.
    pub fn account(&self) -> &Account {
        &self.account
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, SignatureError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| SignatureError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| SignatureError::Malformed)
}

fn verifier_for(algorithm: &str, key: PolicyKey) -> Result<(&'static str, Verifier), PolicyError> {
    use signature::*;
    let (name, public): (&'static str, Option<&'static dyn VerificationAlgorithm>) = match algorithm
    {
        "RS256" => ("RS256", Some(&RSA_PKCS1_2048_8192_SHA256)),
        "RS384" => ("RS384", Some(&RSA_PKCS1_2048_8192_SHA384)),
        "RS512" => ("RS512", Some(&RSA_PKCS1_2048_8192_SHA512)),
        "ES256" => ("ES256", Some(&ECDSA_P256_SHA256_FIXED)),
        "ES384" => ("ES384", Some(&ECDSA_P384_SHA384_FIXED)),
        "ES512" => ("ES512", Some(&ECDSA_P521_SHA512_FIXED)),
        "HS256" | "HS384" | "HS512" => (hmac_name(algorithm), None),
        _ => return Err(PolicyError::Algorithm(algorithm.into())),
    };
    let key_error = |reason: &str| PolicyError::Key {
        algorithm: name,
        reason: reason.into(),
    };
    match (public, key) {
        (Some(algorithm), PolicyKey::PublicKeyPem(pem)) => {
            let der = public_key_der(&pem).map_err(|reason| key_error(&reason))?;
            let parsed = ParsedPublicKey::new(algorithm, der)
                .map_err(|_| key_error("not a public key of this kind"))?;
            Ok((name, Verifier::PublicKey(parsed)))
        }
        (None, PolicyKey::Secret(secret)) => {
            let digest = match name {
                "HS256" => hmac::HMAC_SHA256,
                "HS384" => hmac::HMAC_SHA384,
                _ => hmac::HMAC_SHA512,
            };
            let bytes = secret.expose_secret().as_bytes();
            if bytes.len() < 32 {
                return Err(key_error("the shared secret must be at least 32 bytes"));
            }
            Ok((name, Verifier::Hmac(hmac::Key::new(digest, bytes))))
        }
        (Some(_), PolicyKey::Secret(_)) => Err(key_error("needs FOURME_JWT_PUBLIC_KEY_FILE")),
        (None, PolicyKey::PublicKeyPem(_)) => Err(key_error("needs FOURME_JWT_SECRET")),
    }
}

fn hmac_name(algorithm: &str) -> &'static str {
    match algorithm {
        "HS256" => "HS256",
        "HS384" => "HS384",
        _ => "HS512",
    }
}

/// Reads the DER body of a `BEGIN PUBLIC KEY` PEM block.
fn public_key_der(pem: &str) -> Result<Vec<u8>, String> {
    if pem.contains("PRIVATE KEY") {
        return Err("this is a private key; configure the policy's public key".into());
    }
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|line| !line.starts_with("-----BEGIN PUBLIC KEY-----"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    if body.is_empty() {
        return Err("expected a PEM block starting with -----BEGIN PUBLIC KEY-----".into());
    }
    STANDARD
        .decode(body)
        .map_err(|_| "the PEM block is not valid base64".into())
}
