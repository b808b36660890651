//! Keyless sign-in as IAM and STS play it: the OIDC ID-token exchange
//! (`POST /v3.0/OS-AUTH/id-token/tokens`), the `token` method of
//! `POST /v3.0/OS-CREDENTIAL/securitytokens`, and STS v5's `POST /v5/agencies/assume`.
//!
//! The exchange checks `X-Idp-Id` against the configured identity provider and the ID token
//! against the tokens it trusts, and hands out a federated token in `X-Subject-Token`. That token,
//! and only that one, buys temporary keys through the `token` method. STS v5 runs behind the
//! gateway (so the keys' signature, SM3 or SHA-256, and security token are checked as for any
//! call) and then checks the agency URN against the agencies the emulator knows.
//!
//! Error codes are the emulator's own, in IAM's `{"error": {"code", "title", "message"}}` shape.
//! No answer ever quotes an ID token.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::call::Call;
use crate::config::Agency;
use crate::issued::credential_body;
use crate::responses::{Answer, iam_error, json_response};
use crate::shared::Shared;

/// Lifetime of a federated token.
const FEDERATED_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
struct IdTokenBody {
    auth: IdTokenAuth,
}
#[derive(Deserialize)]
struct IdTokenAuth {
    id_token: IdTokenId,
}
#[derive(Deserialize)]
struct IdTokenId {
    id: String,
}

/// `POST /v3.0/OS-AUTH/id-token/tokens`: unsigned; `X-Idp-Id` and an ID token the provider trusts.
pub(crate) fn id_token(call: &Call<'_>) -> Answer {
    let (shared, headers, body) = (call.shared, call.headers(), call.body);
    let Some(provider) = &shared.config.oidc else {
        return iam_error(
            StatusCode::NOT_FOUND,
            "No identity provider is configured in this account.",
        );
    };
    let Some(idp) = header(headers, "x-idp-id") else {
        return iam_error(StatusCode::BAD_REQUEST, "The X-Idp-Id header is missing.");
    };
    if idp != provider.idp_id {
        return iam_error(
            StatusCode::NOT_FOUND,
            &format!(
                "The identity provider {:?} does not exist.",
                idp.chars().take(64).collect::<String>()
            ),
        );
    }
    let parsed: IdTokenBody = match serde_json::from_slice(body) {
        Ok(parsed) => parsed,
        Err(_) => {
            return iam_error(
                StatusCode::BAD_REQUEST,
                "The request body must be {\"auth\": {\"id_token\": {\"id\": ...}}}.",
            );
        }
    };
    let token = parsed.auth.id_token.id;
    if !provider.id_tokens.contains(&token) {
        return iam_error(
            StatusCode::UNAUTHORIZED,
            "The ID token is invalid or has expired.",
        );
    }
    let subject = format!(
        "MIIfederated{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    );
    shared.keyless.id_token_exchanged(
        token,
        subject.clone(),
        shared.now() + FEDERATED_TOKEN_LIFETIME,
    );
    let mut response = json_response(
        StatusCode::CREATED,
        &json!({"token": {"methods": ["mapped"], "issued_at": shared.now().unix_timestamp()}}),
    );
    if let Ok(value) = http::HeaderValue::from_str(&subject) {
        response.headers_mut().insert("x-subject-token", value);
    }
    response
}

/// Whether a `securitytokens` request authenticates with a federated token (the `token` method),
/// which IAM itself checks rather than the gateway.
pub(crate) fn is_token_method(headers: &HeaderMap, body: &[u8]) -> bool {
    let methods = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/auth/identity/methods").cloned());
    methods == Some(json!(["token"]))
        || (methods.is_none() && header(headers, "x-auth-token").is_some())
}

/// `POST /v3.0/OS-CREDENTIAL/securitytokens` with `methods: ["token"]`: the body's token (or
/// `X-Auth-Token`) must be a federated token this emulator issued and that has not expired.
pub(crate) fn token_method(call: &Call<'_>) -> Answer {
    let (shared, headers, body) = (call.shared, call.headers(), call.body);
    let parsed: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    if parsed.pointer("/auth/identity/methods") != Some(&json!(["token"])) {
        return iam_error(
            StatusCode::BAD_REQUEST,
            "identity.methods must be [\"token\"]",
        );
    }
    let token = parsed
        .pointer("/auth/identity/token/id")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .or_else(|| header(headers, "x-auth-token").map(str::to_owned));
    let at = shared.now();
    match token {
        Some(token) if shared.keyless.federated_token_valid(&token, at) => {}
        _ => {
            return iam_error(
                StatusCode::UNAUTHORIZED,
                "The token is invalid or has expired.",
            );
        }
    }
    let lifetime = shared
        .config
        .temp_credential_lifetime
        .unwrap_or(Duration::from_secs(900));
    let credential = shared.issued.issue(lifetime, at);
    shared.stats.temporary_credentials_issued();
    json_response(StatusCode::CREATED, &credential_body(&credential))
}

#[derive(Deserialize)]
struct AssumeBody {
    agency_urn: String,
    agency_session_name: String,
    #[serde(default)]
    duration_seconds: Option<u64>,
}

/// Every agency callers may assume.
fn agencies(shared: &Shared) -> impl Iterator<Item = &Agency> {
    shared
        .config
        .agency
        .iter()
        .chain(shared.config.more_agencies.iter())
}

/// `POST /v5/agencies/assume`, already authenticated by the gateway; STS takes only AK/SK.
pub(crate) fn sts_assume(call: &Call<'_>) -> Answer {
    let (shared, body) = (call.shared, call.body);
    if call.headers().contains_key("x-auth-token") {
        return iam_error(
            StatusCode::FORBIDDEN,
            "STS v5 takes requests signed with an access key, not a token",
        );
    }
    let parsed: AssumeBody = match serde_json::from_slice(body) {
        Ok(parsed) => parsed,
        Err(err) => {
            return iam_error(
                StatusCode::BAD_REQUEST,
                &format!("The request body is invalid: {err}"),
            );
        }
    };
    if parsed.agency_session_name.is_empty() || parsed.agency_session_name.len() > 64 {
        return iam_error(
            StatusCode::BAD_REQUEST,
            "agency_session_name must be 1 to 64 characters",
        );
    }
    let duration = parsed.duration_seconds.unwrap_or(3600);
    if !(900..=86_400).contains(&duration) {
        return iam_error(
            StatusCode::BAD_REQUEST,
            &format!("duration_seconds {duration} is out of range; it must be from 900 to 86400"),
        );
    }
    let known = agencies(shared)
        .any(|a| format!("iam::{}:agency:{}", a.domain_id, a.name) == parsed.agency_urn);
    if !known {
        return iam_error(
            StatusCode::FORBIDDEN,
            &format!(
                "The agency {:?} does not exist or does not trust this caller",
                parsed.agency_urn.chars().take(200).collect::<String>()
            ),
        );
    }
    let lifetime = shared
        .config
        .temp_credential_lifetime
        .unwrap_or(Duration::from_secs(duration));
    let credential = shared.issued.issue(lifetime, shared.now());
    shared.stats.temporary_credentials_issued();
    shared.keyless.agency_assumed(parsed.agency_urn);
    let expiration = credential
        .expires_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    json_response(
        StatusCode::OK,
        &json!({"credentials": {
            "access_key_id": credential.access_key,
            "secret_access_key": credential.secret_key,
            "security_token": credential.security_token,
            "expiration": expiration,
        }}),
    )
}
