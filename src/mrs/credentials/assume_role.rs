//! Assuming an IAM agency: temporary keys of another account's (or another role's) agency,
//! asked from IAM with the credentials configured otherwise.
//!
//! `POST /v3.0/OS-CREDENTIAL/securitytokens`, signed with the base credentials and without
//! `X-Project-Id`, with the body the official SDKs send for
//! `CreateTemporaryAccessKeyByAgency`:
//! `{"auth": {"identity": {"methods": ["assume_role"], "assume_role": {"agency_name", "domain_name" | "domain_id", "duration_seconds"}}}}`.
//! IAM answers 201 with `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`.

use std::time::Instant;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::json;

use super::{CredentialSource, SessionKeys, parse_credential_answer};
use crate::mrs::config::{ClientConfig, ConfigError, Credentials};
use crate::mrs::error::{ApiError, ApiErrorKind};
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

    fn domain_text(&self) -> String {
        match &self.domain {
            AgencyDomain::Name(name) => format!("account {name}"),
            AgencyDomain::Id(id) => format!("account ID {id}"),
        }
    }
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
        config: &ClientConfig,
    ) -> Result<Self, ConfigError> {
        let iam = config.iam_endpoint()?;
        let mut url = iam.clone();
        url.set_path(&format!(
            "{}/v3.0/OS-CREDENTIAL/securitytokens",
            iam.path().trim_end_matches('/')
        ));
        let mut base_config = config.clone();
        base_config.credentials = base;
        let transport = Transport::new(&base_config, url.scheme() == "https")?;
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
        let operation = format!(
            "assume agency {} of {} through IAM",
            self.role.agency_name,
            self.role.domain_text()
        );
        let call = Call {
            operation: operation.clone(),
            method: Method::POST,
            url: self.url.clone(),
            project_id: None,
            body: Some(self.role.request_body().to_string().into_bytes()),
            retry_on: RetryOn::Transient,
        };
        let answer = self.transport.execute(&call, deadline).await?;
        parse_credential_answer(&answer.body).map_err(|reason| {
            let mut err = ApiError::new(ApiErrorKind::Decode, operation, reason);
            err.status = Some(answer.status);
            err.request_id = answer.request_id.clone();
            err
        })
    }
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
}
