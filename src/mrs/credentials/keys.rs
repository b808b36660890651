//! The keys a request is signed with, and what every credential source shares: the trait a
//! source implements, where IAM and STS are, and how their answers are read. The bottom of
//! `credentials/`: every other file here uses it, it uses none of them.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use url::Url;

use crate::mrs::error::ApiError;
use crate::mrs::signer::SigningAlgorithm;
use crate::mrs::transport::TransportSettings;

/// Where the sources that ask IAM or STS for keys send their requests, and how.
#[derive(Debug, Clone)]
pub struct IdentityService {
    /// IAM's base URL.
    pub iam: Url,
    /// STS's base URL (agencies named by account ID).
    pub sts: Url,
    /// Timeouts, TLS trust and retries of those requests.
    pub transport: TransportSettings,
    /// How requests signed with the base keys are signed.
    pub signing_algorithm: SigningAlgorithm,
}

/// Temporary keys are fetched again when fewer than this many seconds remain (the huaweicloud
/// provider's 600 s), so a request never goes out with keys about to expire.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(600);

/// One set of keys to sign with: an access key pair and, for temporary keys, its security token.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// Access key ID; may be logged.
    pub access_key: String,
    /// Secret access key; never logged.
    pub secret_key: String,
    /// Security token sent as `X-Security-Token`; never logged.
    pub security_token: Option<String>,
    /// When the keys stop working; `None` for keys that do not expire.
    pub expires_at: Option<SystemTime>,
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKeys")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at.map(rfc3339))
            .finish()
    }
}

/// Something that hands out temporary keys: the metadata service, IAM's agency call, a test fake.
#[async_trait]
pub trait CredentialSource: Send + Sync {
    /// Where the keys come from, for errors and logs, e.g. `ECS metadata (http://169.254.169.254/...)`.
    fn describe(&self) -> String;

    /// Fetches a new set of keys, giving up at `deadline`.
    async fn fetch(&self, deadline: Instant) -> Result<SessionKeys, ApiError>;
}

/// Where the current time comes from; tests move it forward instead of waiting.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// True when keys expiring at `expires_at` should be fetched again at `now`: fewer than
/// [`REFRESH_MARGIN`] remain (or they have expired).
pub fn needs_refresh(expires_at: Option<SystemTime>, now: SystemTime) -> bool {
    expires_at.is_some_and(|at| at <= now + REFRESH_MARGIN)
}

/// `2026-01-01T00:00:00Z`, for logs and messages.
pub(crate) fn rfc3339(at: SystemTime) -> String {
    time::OffsetDateTime::from(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "?".to_owned())
}

/// Parses the `credential` object IAM and the metadata service both answer with:
/// `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`.
pub(crate) fn parse_credential_answer(body: &[u8]) -> Result<SessionKeys, String> {
    #[derive(serde::Deserialize)]
    struct Answer {
        credential: Credential,
    }
    #[derive(serde::Deserialize)]
    struct Credential {
        access: String,
        secret: String,
        securitytoken: String,
        expires_at: String,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the answer is not {{\"credential\": {{\"access\", \"secret\", \"securitytoken\", \"expires_at\"}}}} ({e})"
        )
    })?;
    let c = answer.credential;
    if c.access.is_empty() || c.secret.is_empty() || c.securitytoken.is_empty() {
        return Err("the answer has an empty access key, secret key or security token".into());
    }
    let expires_at = parse_expiry(&c.expires_at)?;
    Ok(SessionKeys {
        access_key: c.access,
        secret_key: c.secret,
        security_token: Some(c.securitytoken),
        expires_at: Some(expires_at),
    })
}

/// An expiry time as IAM and STS write it (RFC 3339).
pub(crate) fn parse_expiry(text: &str) -> Result<SystemTime, String> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map(SystemTime::from)
        .map_err(|e| format!("the expiry {text:?} is not an RFC 3339 time ({e})"))
}
