//! Keyless sign-in (`assume_role_with_oidc`): a CI job's OIDC ID token becomes an agency's keys,
//! in the huaweicloud provider's three steps, against the region's own IAM endpoint:
//!
//! 1. **OIDC exchange**: `POST {iam}/v3.0/OS-AUTH/id-token/tokens`, unsigned, with `X-Idp-Id` and
//!    `{"auth": {"id_token": {"id": TOKEN}}}`; IAM answers 201 with a federated token in
//!    `X-Subject-Token`.
//! 2. **Temporary keys**: `POST {iam}/v3.0/OS-CREDENTIAL/securitytokens` with
//!    `{"auth": {"identity": {"methods": ["token"], "token": {"id": SUBJECT_TOKEN}}}}` (the token
//!    also goes in `X-Auth-Token`, which IAM reads when the body has none), answered 201 with
//!    `{"credential": {...}}`.
//! 3. **Agency**: those keys assume the agency through STS v5 ([`super::assume_role`]).
//!
//! Each renewal runs all three again and reads `id_token_file` again, because CI runners rewrite
//! it with a fresh token. The ID token and the federated token never reach a log, an error or
//! `Debug` output: a server that quotes them back has them replaced by a placeholder.

use std::path::PathBuf;
use std::time::Instant;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::json;

use super::assume_role::{
    SECURITY_TOKENS_PATH, STS_ASSUME_PATH, assume, join, transport_signing_with,
};
use super::{
    AssumeRole, CredentialSource, Credentials, IdentityService, SessionKeys,
    parse_credential_answer,
};
use crate::mrs::error::{ApiError, ApiErrorKind, ConfigError};
use crate::mrs::local_file::{ID_TOKEN_CAP, read_capped_text};
use crate::mrs::transport::{Call, MAX_ERROR_BODY_BYTES, RetryOn, Transport};

/// IAM's route that trades an OIDC ID token for a federated token.
pub const ID_TOKEN_PATH: &str = "/v3.0/OS-AUTH/id-token/tokens";

/// Where the ID token comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum IdToken {
    /// The token itself (`id_token`, `HW_ASSUME_ROLE_ID_TOKEN`).
    Inline(String),
    /// A file that holds it (`id_token_file`), read again at every renewal.
    File(PathBuf),
}

impl std::fmt::Debug for IdToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Inline(_) => f.write_str("Inline(<redacted>)"),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl IdToken {
    /// The token, trimmed of surrounding white space (files end in a newline).
    pub fn read(&self) -> Result<String, String> {
        let text = match self {
            Self::Inline(token) => token.clone(),
            Self::File(path) => read_capped_text(path, ID_TOKEN_CAP)
                .map_err(|e| format!("cannot read id_token_file: {e}"))?,
        };
        let token = text.trim();
        if token.is_empty() {
            return Err(match self {
                Self::Inline(_) => "id_token is empty".to_owned(),
                Self::File(path) => format!("id_token_file {} is empty", path.display()),
            });
        }
        if token.chars().any(char::is_control) {
            return Err("the ID token has control characters inside it".to_owned());
        }
        Ok(token.to_owned())
    }
}

/// What `assume_role_with_oidc` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcRole {
    /// ID of the identity provider configured in IAM (`X-Idp-Id`).
    pub idp_id: String,
    /// The CI job's ID token.
    pub id_token: IdToken,
    /// The agency the federated user assumes (named by account ID: STS v5).
    pub agency: AssumeRole,
}

pub(super) struct OidcSource {
    role: OidcRole,
    id_token_url: url::Url,
    security_tokens_url: url::Url,
    sts_url: url::Url,
    /// Where IAM and STS are, and how to reach them; the step 2 and 3 transports are built
    /// from it with credentials that change per fetch.
    identity: IdentityService,
    http: reqwest::Client,
}

impl OidcSource {
    pub(super) fn new(role: OidcRole, identity: &IdentityService) -> Result<Self, ConfigError> {
        let iam = &identity.iam;
        let sts_url = join(&identity.sts, STS_ASSUME_PATH);
        let uses_https = iam.scheme() == "https" || sts_url.scheme() == "https";
        let http = reqwest::Client::builder()
            .connect_timeout(identity.transport.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured(crate::mrs::tls::client_tls_config(
                &identity.transport.tls,
                uses_https,
            )?)
            .build()
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        Ok(Self {
            id_token_url: join(iam, ID_TOKEN_PATH),
            security_tokens_url: join(iam, SECURITY_TOKENS_PATH),
            sts_url,
            identity: identity.clone(),
            http,
            role,
        })
    }

    fn transport(
        &self,
        credentials: Credentials,
        url: &url::Url,
    ) -> Result<Transport, ConfigError> {
        transport_signing_with(&self.identity, credentials, url)
    }

    /// Step 1, with retries for failures that did not reach IAM's decision (connection, 429, 5xx).
    async fn exchange(&self, id_token: &str, deadline: Instant) -> Result<String, ApiError> {
        let operation = format!(
            "exchange the OIDC ID token with identity provider {} (OIDC exchange)",
            self.role.idp_id
        );
        let body = json!({"auth": {"id_token": {"id": id_token}}}).to_string();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                let mut err = ApiError::new(ApiErrorKind::Deadline, &operation, "");
                err.attempts = attempt - 1;
                return Err(err);
            }
            let sent = self
                .http
                .request(Method::POST, self.id_token_url.clone())
                .timeout(remaining.min(self.identity.transport.request_timeout))
                .header("Content-Type", "application/json;charset=UTF-8")
                .header("User-Agent", &self.identity.transport.user_agent)
                .header("X-Idp-Id", &self.role.idp_id)
                .body(body.clone())
                .send()
                .await;
            let retryable;
            let mut err = match sent {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let request_id = response
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let subject = response
                        .headers()
                        .get("x-subject-token")
                        .and_then(|v| v.to_str().ok())
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned);
                    if (200..300).contains(&status) {
                        return subject.ok_or_else(|| {
                            let mut err = ApiError::new(
                                ApiErrorKind::Decode,
                                &operation,
                                format!("IAM answered {status} without an X-Subject-Token header"),
                            );
                            err.status = Some(status);
                            err.request_id = request_id;
                            err.attempts = attempt;
                            err
                        });
                    }
                    let mut bytes = Vec::new();
                    while let Ok(Some(chunk)) = response.chunk().await {
                        let room = MAX_ERROR_BODY_BYTES.saturating_sub(bytes.len());
                        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                        if bytes.len() >= MAX_ERROR_BODY_BYTES {
                            break;
                        }
                    }
                    retryable = status == 429 || status >= 500;
                    ApiError::from_response(&operation, status, request_id, &bytes)
                }
                Err(e) => {
                    retryable = e.is_connect() || e.is_timeout();
                    let kind = if e.is_timeout() {
                        ApiErrorKind::Timeout
                    } else {
                        ApiErrorKind::Connect
                    };
                    ApiError::new(kind, &operation, error_chain(&e))
                }
            };
            err.attempts = attempt;
            let retry = &self.identity.transport.retry;
            if !retryable || attempt > retry.max_retries {
                return Err(scrub(err, &[id_token]));
            }
            let wait = retry
                .base_delay
                .saturating_mul(1 << (attempt - 1).min(10))
                .min(retry.max_delay);
            if Instant::now() + wait >= deadline {
                return Err(scrub(err, &[id_token]));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Step 2: the federated token buys temporary keys.
    async fn federated_keys(
        &self,
        subject_token: &str,
        deadline: Instant,
    ) -> Result<SessionKeys, ApiError> {
        let operation = format!(
            "get temporary keys for the federated user of identity provider {} (temporary keys)",
            self.role.idp_id
        );
        let transport = self
            .transport(
                Credentials::Token(subject_token.to_owned()),
                &self.security_tokens_url,
            )
            .map_err(setup_error)?;
        let body =
            json!({"auth": {"identity": {"methods": ["token"], "token": {"id": subject_token}}}});
        let call = Call {
            operation: operation.clone(),
            method: Method::POST,
            url: self.security_tokens_url.clone(),
            project_id: None,
            body: Some(body.to_string().into_bytes()),
            retry_on: RetryOn::Transient,
        };
        let answer = transport
            .execute(&call, deadline)
            .await
            .map_err(|e| scrub(e, &[subject_token]))?;
        parse_credential_answer(&answer.body).map_err(|reason| {
            let mut err = ApiError::new(ApiErrorKind::Decode, operation, reason);
            err.status = Some(answer.status);
            err.request_id = answer.request_id.clone();
            err
        })
    }
}

#[async_trait]
impl CredentialSource for OidcSource {
    fn describe(&self) -> String {
        format!(
            "OIDC identity provider {} and agency {} of {} ({}, {})",
            self.role.idp_id,
            self.role.agency.agency_name,
            self.role.agency.domain_text(),
            self.id_token_url,
            self.sts_url
        )
    }

    async fn fetch(&self, deadline: Instant) -> Result<SessionKeys, ApiError> {
        let id_token = self.role.id_token.read().map_err(|reason| {
            ApiError::new(
                ApiErrorKind::Config,
                format!(
                    "read the OIDC ID token for identity provider {} (OIDC exchange)",
                    self.role.idp_id
                ),
                reason,
            )
        })?;
        let subject_token = self.exchange(&id_token, deadline).await?;
        let federated = self.federated_keys(&subject_token, deadline).await?;
        let secrets = [
            id_token.as_str(),
            subject_token.as_str(),
            federated.secret_key.as_str(),
            federated.security_token.as_deref().unwrap_or_default(),
        ];
        let transport = self
            .transport(
                Credentials::AkSk {
                    access_key: federated.access_key.clone(),
                    secret_key: federated.secret_key.clone(),
                    security_token: federated.security_token.clone(),
                },
                &self.sts_url,
            )
            .map_err(setup_error)?;
        assume(&transport, &self.role.agency, &self.sts_url, deadline)
            .await
            .map_err(|e| scrub(e, &secrets))
    }
}

fn setup_error(e: ConfigError) -> ApiError {
    ApiError::new(
        ApiErrorKind::Config,
        "set up the IAM client for assume_role_with_oidc",
        e.to_string(),
    )
}

/// `err` with every secret replaced by `<redacted>` wherever the server's text quoted it.
fn scrub(mut err: ApiError, secrets: &[&str]) -> ApiError {
    let clean = |text: &mut Option<String>| {
        if let Some(text) = text {
            for secret in secrets.iter().filter(|s| s.len() >= 4) {
                if text.contains(secret) {
                    *text = text.replace(secret, "<redacted>");
                }
            }
        }
    };
    clean(&mut err.error_msg);
    clean(&mut err.body_excerpt);
    clean(&mut err.cause);
    clean(&mut err.error_code);
    err
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_file_is_read_and_trimmed_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "eyJ.first.token\n").unwrap();
        let source = IdToken::File(path.clone());
        assert_eq!(source.read().unwrap(), "eyJ.first.token");
        std::fs::write(&path, "eyJ.second.token\n").unwrap();
        assert_eq!(source.read().unwrap(), "eyJ.second.token");
        std::fs::write(&path, "\n").unwrap();
        assert!(source.read().unwrap_err().contains("is empty"));
        let missing = IdToken::File(dir.path().join("missing"));
        assert!(missing.read().unwrap_err().contains("id_token_file"));
    }

    #[test]
    fn debug_never_shows_an_inline_token() {
        let shown = format!("{:?}", IdToken::Inline("eyJ.secret".into()));
        assert!(!shown.contains("eyJ.secret"), "{shown}");
    }

    #[test]
    fn scrub_replaces_quoted_secrets() {
        let mut err = ApiError::new(ApiErrorKind::Http, "op", "cause eyJ.secret");
        err.error_msg = Some("token eyJ.secret is invalid".into());
        let err = scrub(err, &["eyJ.secret"]);
        assert!(!format!("{err:?}").contains("eyJ.secret"));
        assert!(err.detail().contains("<redacted>"));
    }
}
