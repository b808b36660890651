//! The two places temporary credentials come from, as the emulator plays them: IAM's
//! `POST /v3.0/OS-CREDENTIAL/securitytokens` (assume an agency) and the ECS metadata service's
//! `GET /openstack/latest/securitykey`.
//!
//! Keys issued here are remembered with their security token and expiry; [`super::auth`]
//! accepts them only together with that token (signed) and refuses them once expired, as the
//! API gateway does.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

use super::{Agency, Shared};

/// Lifetime of metadata keys unless the emulator is told otherwise.
pub(crate) const DEFAULT_METADATA_LIFETIME: Duration = Duration::from_secs(3600);

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

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<IssuedCredential>> {
        self.issued.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

/// An error in IAM's v3 shape: `{"error": {"code", "title", "message"}}`.
pub(crate) fn iam_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json_response(
        status,
        &json!({"error": {
            "code": status.as_u16(),
            "title": status.canonical_reason().unwrap_or("Error"),
            "message": message,
        }}),
    )
}

pub(crate) fn credential_body(credential: &IssuedCredential) -> Value {
    json!({"credential": {
        "access": credential.access_key,
        "secret": credential.secret_key,
        "securitytoken": credential.security_token,
        "expires_at": credential.expires_at.format(EXPIRES_AT).unwrap_or_default(),
    }})
}

#[derive(Deserialize)]
struct AssumeBody {
    auth: AssumeAuth,
}

#[derive(Deserialize)]
struct AssumeAuth {
    identity: AssumeIdentity,
}

#[derive(Deserialize)]
struct AssumeIdentity {
    methods: Vec<String>,
    assume_role: AssumeRole,
}

#[derive(Deserialize)]
struct AssumeRole {
    agency_name: String,
    #[serde(default)]
    domain_name: Option<String>,
    #[serde(default)]
    domain_id: Option<String>,
    #[serde(default)]
    duration_seconds: Option<u64>,
}

/// `POST /v3.0/OS-CREDENTIAL/securitytokens`, already authenticated by the gateway.
pub(crate) fn assume_agency(shared: &Shared, body: &[u8]) -> Response<Full<Bytes>> {
    let parsed: AssumeBody = match serde_json::from_slice(body) {
        Ok(parsed) => parsed,
        Err(err) => {
            return iam_error(
                StatusCode::BAD_REQUEST,
                &format!("The request body is invalid: {err}"),
            );
        }
    };
    let identity = parsed.auth.identity;
    if identity.methods != ["assume_role"] {
        return iam_error(
            StatusCode::BAD_REQUEST,
            "identity.methods must be [\"assume_role\"]",
        );
    }
    let role = identity.assume_role;
    let duration = role.duration_seconds.unwrap_or(900);
    if !(900..=86_400).contains(&duration) {
        return iam_error(
            StatusCode::BAD_REQUEST,
            &format!("duration_seconds {duration} is out of range; it must be from 900 to 86400"),
        );
    }
    let domain_matches = |agency: &Agency| match (&role.domain_id, &role.domain_name) {
        (Some(id), _) => *id == agency.domain_id,
        (None, Some(name)) => *name == agency.domain_name,
        (None, None) => false,
    };
    if role.domain_id.is_none() && role.domain_name.is_none() {
        return iam_error(
            StatusCode::BAD_REQUEST,
            "assume_role needs domain_id or domain_name",
        );
    }
    let known = shared
        .config
        .agency
        .iter()
        .chain(shared.config.more_agencies.iter())
        .any(|agency| agency.name == role.agency_name && domain_matches(agency));
    match known {
        true => {}
        false => {
            return iam_error(
                StatusCode::FORBIDDEN,
                &format!(
                    "The agency {:?} of domain {} does not exist or does not trust this user",
                    role.agency_name,
                    role.domain_id.or(role.domain_name).unwrap_or_default()
                ),
            );
        }
    }
    let lifetime = shared
        .config
        .temp_credential_lifetime
        .unwrap_or(Duration::from_secs(duration));
    let credential = shared.issued.issue(lifetime, now(shared));
    shared.stats.temporary_credentials_issued();
    json_response(StatusCode::CREATED, &credential_body(&credential))
}

/// `GET /openstack/latest/securitykey`: keys of the agency bound to the "instance".
pub(crate) fn metadata_security_key(shared: &Shared) -> Response<Full<Bytes>> {
    let lifetime = shared
        .config
        .temp_credential_lifetime
        .unwrap_or(DEFAULT_METADATA_LIFETIME);
    let credential = shared.issued.issue(lifetime, now(shared));
    shared.stats.temporary_credentials_issued();
    json_response(StatusCode::OK, &credential_body(&credential))
}

pub(crate) fn now(shared: &Shared) -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::seconds(shared.config.clock_offset_s)
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
}
