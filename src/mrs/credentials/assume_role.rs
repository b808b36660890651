//! Assuming an IAM agency: temporary keys of another account's (or another role's) agency,
//! asked with the credentials configured otherwise, as the huaweicloud provider does:
//!
//! - an agency named with its account's **name** (`domain_name`) goes to IAM,
//!   `POST /v3.0/OS-CREDENTIAL/securitytokens`, signed with the base credentials and without
//!   `X-Project-Id`, with the body the official SDKs send for `CreateTemporaryAccessKeyByAgency`:
//!   `{"auth": {"identity": {"methods": ["assume_role"], "assume_role": {"agency_name", "domain_name", "duration_seconds"}}}}`;
//!   IAM answers 201 with `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`;
//! - an agency named with its account's **ID** (`domain_id`) goes to STS v5,
//!   `POST {sts}/v5/agencies/assume` with
//!   `{"agency_urn": "iam::{domain_id}:agency:{agency_name}", "agency_session_name", "duration_seconds"}`,
//!   answered with `{"credentials": {"access_key_id", "secret_access_key", "security_token", "expiration"}}`.
//!
//! Chains (several `assume_role` blocks) are agencies assumed one after the other, each source's
//! base being the previous one's [`TemporaryCredentials`](super::TemporaryCredentials).

use std::time::Instant;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::json;

use std::sync::Arc;

use super::{
    CredentialSource, Credentials, IdentityService, RequestSigner, SessionKeys,
    parse_credential_answer,
};
use crate::mrs::error::{ApiError, ApiErrorKind, ConfigError};
use crate::mrs::transport::{Call, RetryOn, Transport};

/// Lifetime asked for when `duration` is not set; keys are renewed 10 minutes before it ends.
pub const DEFAULT_ASSUME_ROLE_DURATION_S: u32 = 3600;

/// The account that owns the agency, by name or by ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgencyDomain {
    /// Account (domain) name, `domain_name`.
    Name(String),
    /// Account (domain) ID, `domain_id`.
    Id(String),
}

/// Which agency to assume and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// Name of the agency.
    pub agency_name: String,
    /// Account that created the agency.
    pub domain: AgencyDomain,
    /// Requested lifetime of the keys in seconds (IAM accepts 900 to 86400).
    pub duration_s: u32,
}

impl AssumeRole {
    /// The request body IAM expects.
    pub fn request_body(&self) -> serde_json::Value {
        let mut assume_role = json!({
            "agency_name": self.agency_name,
            "duration_seconds": self.duration_s,
        });
        let (key, value) = match &self.domain {
            AgencyDomain::Name(name) => ("domain_name", name),
            AgencyDomain::Id(id) => ("domain_id", id),
        };
        assume_role[key] = json!(value);
        json!({"auth": {"identity": {"methods": ["assume_role"], "assume_role": assume_role}}})
    }

    /// The STS v5 body for an agency named by account ID; `None` for one named by account name.
    pub fn sts_body(&self) -> Option<serde_json::Value> {
        match &self.domain {
            AgencyDomain::Id(id) => Some(json!({
                "agency_urn": format!("iam::{id}:agency:{}", self.agency_name),
                "agency_session_name": self.agency_name,
                "duration_seconds": self.duration_s,
            })),
            AgencyDomain::Name(_) => None,
        }
    }

    pub(super) fn domain_text(&self) -> String {
        match &self.domain {
            AgencyDomain::Name(name) => format!("account {name}"),
            AgencyDomain::Id(id) => format!("account ID {id}"),
        }
    }
}

/// IAM's temporary-key route.
pub(super) const SECURITY_TOKENS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
/// STS v5's agency route.
pub(super) const STS_ASSUME_PATH: &str = "/v5/agencies/assume";

/// `base` with `path` appended to its own path.
pub(super) fn join(base: &url::Url, path: &str) -> url::Url {
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
    url
}

pub(super) struct AssumeRoleSource {
    role: AssumeRole,
    url: url::Url,
    transport: Transport,
}

impl AssumeRoleSource {
    pub(super) fn new(
        base: Credentials,
        role: AssumeRole,
        identity: &IdentityService,
    ) -> Result<Self, ConfigError> {
        let url = match role.domain {
            AgencyDomain::Name(_) => join(&identity.iam, SECURITY_TOKENS_PATH),
            AgencyDomain::Id(_) => join(&identity.sts, STS_ASSUME_PATH),
        };
        let transport = transport_signing_with(identity, base, &url)?;
        Ok(Self {
            role,
            url,
            transport,
        })
    }
}

#[async_trait]
impl CredentialSource for AssumeRoleSource {
    fn describe(&self) -> String {
        format!(
            "agency {} of {} ({})",
            self.role.agency_name,
            self.role.domain_text(),
            self.url
        )
    }

    async fn fetch(&self, deadline: Instant) -> Result<SessionKeys, ApiError> {
        assume(&self.transport, &self.role, &self.url, deadline).await
    }
}

/// A transport to `url` (IAM or STS) that signs with `credentials`.
pub(super) fn transport_signing_with(
    identity: &IdentityService,
    credentials: Credentials,
    url: &url::Url,
) -> Result<Transport, ConfigError> {
    let signer = RequestSigner {
        credentials,
        algorithm: identity.signing_algorithm,
    };
    Transport::new(
        &identity.transport,
        Arc::new(signer),
        url.scheme() == "https",
    )
}

/// Asks for the keys of `role` at `url` (IAM's or STS's route, by how the agency is named)
/// with `transport`'s credentials.
pub(super) async fn assume(
    transport: &Transport,
    role: &AssumeRole,
    url: &url::Url,
    deadline: Instant,
) -> Result<SessionKeys, ApiError> {
    let (operation, body) = match role.sts_body() {
        Some(body) => (
            format!(
                "assume agency {} of {} through STS (agency)",
                role.agency_name,
                role.domain_text()
            ),
            body,
        ),
        None => (
            format!(
                "assume agency {} of {} through IAM (agency)",
                role.agency_name,
                role.domain_text()
            ),
            role.request_body(),
        ),
    };
    let call = Call {
        operation: operation.clone(),
        method: Method::POST,
        url: url.clone(),
        project_id: None,
        body: Some(body.to_string().into_bytes()),
        retry_on: RetryOn::Transient,
    };
    let answer = transport.execute(&call, deadline).await?;
    let parsed = match role.domain {
        AgencyDomain::Id(_) => parse_sts_answer(&answer.body),
        AgencyDomain::Name(_) => parse_credential_answer(&answer.body),
    };
    parsed.map_err(|reason| {
        let mut err = ApiError::new(ApiErrorKind::Decode, operation, reason);
        err.status = Some(answer.status);
        err.request_id = answer.request_id.clone();
        err
    })
}

/// Parses STS v5's answer:
/// `{"credentials": {"access_key_id", "secret_access_key", "security_token", "expiration"}}`.
pub(crate) fn parse_sts_answer(body: &[u8]) -> Result<SessionKeys, String> {
    #[derive(serde::Deserialize)]
    struct Answer {
        credentials: Keys,
    }
    #[derive(serde::Deserialize)]
    struct Keys {
        access_key_id: String,
        secret_access_key: String,
        security_token: String,
        expiration: String,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the answer is not {{\"credentials\": {{\"access_key_id\", \"secret_access_key\", \"security_token\", \"expiration\"}}}} ({e})"
        )
    })?;
    let c = answer.credentials;
    if c.access_key_id.is_empty() || c.secret_access_key.is_empty() || c.security_token.is_empty() {
        return Err("the answer has an empty access key, secret key or security token".into());
    }
    let expires_at = super::parse_expiry(&c.expiration)?;
    Ok(SessionKeys {
        access_key: c.access_key_id,
        secret_key: c.secret_access_key,
        security_token: Some(c.security_token),
        expires_at: Some(expires_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tests/data/assume_role_bodies.json holds what the official Python SDK
    /// (huaweicloudsdkiam) serialises for `CreateTemporaryAccessKeyByAgencyRequestBody`.
    #[test]
    fn body_is_the_one_the_official_sdk_sends() {
        let text = include_str!("../../../tests/data/assume_role_bodies.json");
        let sdk: serde_json::Value = serde_json::from_str(text).unwrap();
        let by_name = AssumeRole {
            agency_name: "mrs_ops".into(),
            domain: AgencyDomain::Name("owner-account".into()),
            duration_s: 3600,
        };
        assert_eq!(by_name.request_body(), sdk["by_domain_name"]);
        let by_id = AssumeRole {
            agency_name: "mrs_ops".into(),
            domain: AgencyDomain::Id("0123456789abcdef0123456789abcdef".into()),
            duration_s: 900,
        };
        assert_eq!(by_id.request_body(), sdk["by_domain_id"]);
    }

    #[test]
    fn an_agency_named_by_account_id_goes_to_sts_v5_with_its_urn() {
        let by_id = AssumeRole {
            agency_name: "mrs_ops".into(),
            domain: AgencyDomain::Id("d0123".into()),
            duration_s: 900,
        };
        assert_eq!(
            by_id.sts_body().unwrap(),
            serde_json::json!({
                "agency_urn": "iam::d0123:agency:mrs_ops",
                "agency_session_name": "mrs_ops",
                "duration_seconds": 900,
            })
        );
        let by_name = AssumeRole {
            domain: AgencyDomain::Name("owner".into()),
            ..by_id
        };
        assert_eq!(by_name.sts_body(), None);
    }

    #[test]
    fn sts_answer_parses_and_rejects_missing_parts() {
        let keys = parse_sts_answer(
            br#"{"credentials":{"access_key_id":"STSAK","secret_access_key":"s","security_token":"t","expiration":"2026-12-01T20:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(keys.access_key, "STSAK");
        assert_eq!(keys.security_token.as_deref(), Some("t"));
        for bad in [
            r#"{"credentials":{"access_key_id":"A","secret_access_key":"s","security_token":"t"}}"#,
            r#"{"credential":{"access":"A","secret":"s","securitytoken":"t","expires_at":"2026-12-01T20:00:00Z"}}"#,
            r#"{"credentials":{"access_key_id":"","secret_access_key":"s","security_token":"t","expiration":"2026-12-01T20:00:00Z"}}"#,
        ] {
            assert!(parse_sts_answer(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
