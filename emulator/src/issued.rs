//! What IAM, STS and the metadata service have handed out and seen: temporary keys, federated
//! tokens, accepted ID tokens, assumed agencies.
//!
//! The handlers that issue these (`iam.rs`, `keyless.rs`) and the gateway that later accepts or
//! refuses them (`auth.rs`) both need the records, so the records sit below both, in a file that
//! issues nothing itself.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::HeaderMap;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// `expires_at` as IAM writes it: `2026-12-01T20:00:00.000000Z`.
const EXPIRES_AT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// One set of temporary keys the emulator handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCredential {
    /// Access key ID (`TMP…`).
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Security token, required with the keys in `X-Security-Token`.
    pub security_token: String,
    /// When the keys stop being accepted.
    pub expires_at: OffsetDateTime,
}

/// Every temporary key issued so far (expired ones too, so they can be refused as expired).
#[derive(Debug, Default)]
pub(crate) struct IssuedCredentials {
    issued: Mutex<Vec<IssuedCredential>>,
}

impl IssuedCredentials {
    /// Makes up a new set of keys valid for `lifetime` from `now`, and remembers it.
    pub(crate) fn issue(&self, lifetime: Duration, now: OffsetDateTime) -> IssuedCredential {
        let random = |n: usize| {
            let mut text = format!(
                "{:032X}{:032X}",
                rand::random::<u128>(),
                rand::random::<u128>()
            );
            text.truncate(n);
            text
        };
        let credential = IssuedCredential {
            access_key: format!("TMP{}", random(17)),
            secret_key: random(40).to_lowercase(),
            // Real security tokens are long base64 blobs; length matters for header limits.
            security_token: format!("gQpjbi1ub3J0aC00{}", random(64).repeat(8)),
            expires_at: now + lifetime,
        };
        self.lock().push(credential.clone());
        credential
    }

    /// The issued keys with `access_key`, if any.
    pub(crate) fn find(&self, access_key: &str) -> Option<IssuedCredential> {
        self.lock()
            .iter()
            .find(|c| c.access_key == access_key)
            .cloned()
    }

    /// Every set issued so far, oldest first.
    pub(crate) fn all(&self) -> Vec<IssuedCredential> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<IssuedCredential>> {
        self.issued.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Temporary keys in IAM's v3.0 shape: `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`.
pub(crate) fn credential_body(credential: &IssuedCredential) -> Value {
    json!({"credential": {
        "access": credential.access_key,
        "secret": credential.secret_key,
        "securitytoken": credential.security_token,
        "expires_at": credential.expires_at.format(EXPIRES_AT).unwrap_or_default(),
    }})
}

/// What the keyless routes have seen and issued.
#[derive(Debug, Default)]
pub(crate) struct KeylessState {
    inner: Mutex<KeylessRecords>,
}

#[derive(Debug, Default)]
struct KeylessRecords {
    federated_tokens: Vec<(String, OffsetDateTime)>,
    id_tokens_accepted: Vec<String>,
    agencies_assumed: Vec<String>,
    sm3_signed: u64,
}

impl KeylessState {
    fn lock(&self) -> MutexGuard<'_, KeylessRecords> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// ID tokens accepted by the exchange, oldest first.
    pub(crate) fn id_tokens_accepted(&self) -> Vec<String> {
        self.lock().id_tokens_accepted.clone()
    }

    /// Federated tokens handed out in `X-Subject-Token`, oldest first.
    pub(crate) fn federated_tokens(&self) -> Vec<String> {
        self.lock()
            .federated_tokens
            .iter()
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// Agency URNs assumed through STS v5, oldest first.
    pub(crate) fn agencies_assumed(&self) -> Vec<String> {
        self.lock().agencies_assumed.clone()
    }

    /// Requests accepted with an `SDK-HMAC-SM3` signature.
    pub(crate) fn sm3_signed(&self) -> u64 {
        self.lock().sm3_signed
    }

    /// Counts an authenticated request if its `Authorization` names SDK-HMAC-SM3.
    pub(crate) fn note_signature(&self, headers: &HeaderMap) {
        let sm3 = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("SDK-HMAC-SM3 "));
        if sm3 {
            self.lock().sm3_signed += 1;
        }
    }

    /// Records an accepted ID token and the federated token given for it, valid until `expires`.
    pub(crate) fn id_token_exchanged(
        &self,
        id_token: String,
        federated_token: String,
        expires: OffsetDateTime,
    ) {
        let mut records = self.lock();
        records.id_tokens_accepted.push(id_token);
        records.federated_tokens.push((federated_token, expires));
    }

    /// Records an agency assumed through STS v5.
    pub(crate) fn agency_assumed(&self, urn: String) {
        self.lock().agencies_assumed.push(urn);
    }

    /// Whether `token` is a federated token handed out here that has not expired at `at`.
    pub(crate) fn federated_token_valid(&self, token: &str, at: OffsetDateTime) -> bool {
        self.lock()
            .federated_tokens
            .iter()
            .any(|(t, expires)| t == token && at < *expires)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_keys_are_found_by_access_key_and_expire_after_their_lifetime() {
        let issued = IssuedCredentials::default();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let credential = issued.issue(Duration::from_secs(300), now);
        assert_eq!(
            issued.find(&credential.access_key),
            Some(credential.clone())
        );
        assert_eq!(credential.expires_at - now, time::Duration::seconds(300));
        assert_eq!(issued.find("OTHER"), None);
        let body = credential_body(&credential);
        assert_eq!(
            body["credential"]["expires_at"],
            "2027-01-15T08:05:00.000000Z"
        );
    }

    #[test]
    fn a_federated_token_is_valid_until_it_expires() {
        let records = KeylessState::default();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        records.id_token_exchanged("id".into(), "fed".into(), now + Duration::from_secs(60));
        assert!(records.federated_token_valid("fed", now));
        assert!(!records.federated_token_valid("fed", now + Duration::from_secs(60)));
        assert!(!records.federated_token_valid("other", now));
        assert_eq!(records.id_tokens_accepted(), ["id"]);
    }
}
