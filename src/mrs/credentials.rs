//! Credentials that expire: where temporary keys come from, and keeping them fresh.
//!
//! Keys written in the provider block, the environment or KooCLI's shared config file are used as
//! they are ([`Credentials::AkSk`]). Three sources hand out keys that expire and must be fetched
//! again: the ECS instance metadata service ([`TemporaryCredentials::from_ecs_metadata`]), an
//! IAM agency assumed with other credentials ([`TemporaryCredentials::assume_role`], by IAM
//! v3.0 or STS v5; chains nest them), and a CI job's OIDC ID token traded for an agency's keys
//! ([`TemporaryCredentials::assume_role_with_oidc`]). All sit
//! behind [`TemporaryCredentials`], which every request of every client asks for the current keys
//! before it is signed. Keys are fetched again once fewer than [`REFRESH_MARGIN`] remain, so a
//! long wait for a job keeps working; one fetch runs at a time and the requests waiting for it
//! share its result.
//!
//! [`shared_config`] reads KooCLI's file; the provider decides which source applies.
//! [`RequestSigner`] (in `signing`) turns any [`Credentials`] into the headers of one request.
//!
//! One file per source, each behind [`CredentialSource`]. No source sees the client's whole
//! configuration: the metadata source is handed a [`TlsSettings`], the IAM and STS ones an
//! [`IdentityService`] (where IAM and STS are, and a [`TransportSettings`] to reach them). This
//! room sits above the transport (it signs for it and uses it) and below the client.

mod assume_role;
mod metadata;
mod oidc;
pub mod shared_config;
mod signing;

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use tracing::{debug, warn};
use url::Url;

pub use assume_role::{AgencyDomain, AssumeRole, DEFAULT_ASSUME_ROLE_DURATION_S};
pub use metadata::{DEFAULT_METADATA_ENDPOINT, METADATA_PATH, metadata_url};
pub use oidc::{ID_TOKEN_PATH, IdToken, OidcRole};
pub use signing::RequestSigner;

use super::error::{ApiError, ConfigError};
use super::signer::SigningAlgorithm;
use super::tls::TlsSettings;
use super::transport::TransportSettings;

/// How requests are authenticated.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Access key pair, signed with `SDK-HMAC-SHA256`; `security_token` for temporary keys.
    AkSk {
        /// Access key ID (`HW_ACCESS_KEY`).
        access_key: String,
        /// Secret access key (`HW_SECRET_KEY`); never logged.
        secret_key: String,
        /// Security token of temporary credentials (`HW_SECURITY_TOKEN`); never logged.
        security_token: Option<String>,
    },
    /// An IAM token sent as `X-Auth-Token`; never logged.
    Token(String),
    /// Keys that expire and are fetched again before they do (ECS instance metadata, an
    /// assumed agency); every request signs with the current ones.
    Temporary(TemporaryCredentials),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::AkSk {
                access_key,
                security_token,
                ..
            } => f
                .debug_struct("AkSk")
                .field("access_key", access_key)
                .field("secret_key", &"<redacted>")
                .field(
                    "security_token",
                    &security_token.as_ref().map(|_| "<redacted>"),
                )
                .finish(),
            Credentials::Token(_) => f.debug_tuple("Token").field(&"<redacted>").finish(),
            Credentials::Temporary(source) => f.debug_tuple("Temporary").field(source).finish(),
        }
    }
}

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

fn has_expired(keys: &SessionKeys, now: SystemTime) -> bool {
    keys.expires_at.is_some_and(|at| at <= now)
}

/// Temporary keys from a [`CredentialSource`], fetched on first use and again before they
/// expire. Cloning shares the keys and the refresh, so every client of one provider fetches once.
#[derive(Clone)]
pub struct TemporaryCredentials {
    inner: Arc<Refresher>,
}

struct Refresher {
    source: Box<dyn CredentialSource>,
    clock: Clock,
    cached: RwLock<Option<Fetched>>,
    /// Held while a fetch runs: one at a time, the others wait for its result.
    refreshing: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Fetched {
    keys: SessionKeys,
    /// Monotonic time of the fetch: a request that started waiting before it takes its result.
    at: Instant,
}

impl PartialEq for TemporaryCredentials {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for TemporaryCredentials {}

impl fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("source", &self.inner.source.describe())
            .finish_non_exhaustive()
    }
}

impl TemporaryCredentials {
    /// Keys from `source`, with the system clock.
    pub fn new(source: impl CredentialSource + 'static) -> Self {
        Self::with_clock(source, Arc::new(SystemTime::now))
    }

    /// Keys from `source`, judged against `clock` (tests inject one).
    pub fn with_clock(source: impl CredentialSource + 'static, clock: Clock) -> Self {
        Self {
            inner: Arc::new(Refresher {
                source: Box::new(source),
                clock,
                cached: RwLock::new(None),
                refreshing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Keys from the ECS instance metadata service at `endpoint` (scheme, host and port; the
    /// path `/openstack/latest/securitykey` is appended), with a short connect timeout; `tls`
    /// applies should the endpoint be `https`.
    pub fn from_ecs_metadata(endpoint: &Url, tls: &TlsSettings) -> Result<Self, ConfigError> {
        Ok(Self::new(metadata::MetadataSource::new(endpoint, tls)?))
    }

    /// Keys of the agency `role`, asked from `identity` (IAM or STS, by how the agency is
    /// named) with `base`, which may itself be temporary.
    pub fn assume_role(
        base: Credentials,
        role: AssumeRole,
        identity: &IdentityService,
    ) -> Result<Self, ConfigError> {
        Ok(Self::new(assume_role::AssumeRoleSource::new(
            base, role, identity,
        )?))
    }

    /// Keys of the agency `role.agency`, assumed by the federated user of an OIDC identity
    /// provider (`assume_role_with_oidc`); every renewal reads the ID token again.
    pub fn assume_role_with_oidc(
        role: OidcRole,
        identity: &IdentityService,
    ) -> Result<Self, ConfigError> {
        Ok(Self::new(oidc::OidcSource::new(role, identity)?))
    }

    /// Where the keys come from.
    pub fn describe(&self) -> String {
        self.inner.source.describe()
    }

    /// The keys to sign the next request with: the cached ones while more than
    /// [`REFRESH_MARGIN`] remain, else freshly fetched ones. If a fetch fails while the cached
    /// keys still work, they are used (and the failure logged); once they have expired, the
    /// failure is returned.
    pub async fn current(&self, deadline: Instant) -> Result<SessionKeys, ApiError> {
        let inner = &self.inner;
        if let Some(fetched) = inner.cached()
            && !needs_refresh(fetched.keys.expires_at, (inner.clock)())
        {
            return Ok(fetched.keys);
        }
        let waiting_since = Instant::now();
        let _one_at_a_time = inner.refreshing.lock().await;
        let now = (inner.clock)();
        let cached = inner.cached();
        if let Some(fetched) = &cached {
            // Fetched while this request waited: take it, even if it is short-lived.
            let fetched_for_us = fetched.at >= waiting_since && !has_expired(&fetched.keys, now);
            if fetched_for_us || !needs_refresh(fetched.keys.expires_at, now) {
                return Ok(fetched.keys.clone());
            }
        }
        match inner.source.fetch(deadline).await {
            Ok(keys) => {
                debug!(
                    source = %inner.source.describe(),
                    access_key = %keys.access_key,
                    expires_at = %keys.expires_at.map(rfc3339).unwrap_or_else(|| "never".into()),
                    "fetched temporary credentials"
                );
                *inner.cached.write().unwrap_or_else(PoisonError::into_inner) = Some(Fetched {
                    keys: keys.clone(),
                    at: Instant::now(),
                });
                Ok(keys)
            }
            Err(err) => match cached {
                Some(fetched) if !has_expired(&fetched.keys, (inner.clock)()) => {
                    warn!(
                        source = %inner.source.describe(),
                        error = %err.summary(),
                        "could not renew temporary credentials; using the current ones until they expire"
                    );
                    Ok(fetched.keys)
                }
                _ => Err(err),
            },
        }
    }
}

impl Refresher {
    fn cached(&self) -> Option<Fetched> {
        self.cached
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mrs::ApiErrorKind;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A source that counts fetches and issues keys living `lifetime` from the fake clock's now.
    struct FakeSource {
        fetches: Arc<AtomicU32>,
        now: Arc<Mutex<SystemTime>>,
        lifetime: Duration,
        fail: Arc<Mutex<bool>>,
    }

    #[async_trait]
    impl CredentialSource for FakeSource {
        fn describe(&self) -> String {
            "fake".into()
        }
        async fn fetch(&self, _deadline: Instant) -> Result<SessionKeys, ApiError> {
            // Long enough for concurrent callers to pile up behind the lock.
            tokio::time::sleep(Duration::from_millis(20)).await;
            if *self.fail.lock().unwrap() {
                return Err(ApiError::new(ApiErrorKind::Connect, "fetch", "refused"));
            }
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            let now = *self.now.lock().unwrap();
            Ok(SessionKeys {
                access_key: format!("AK{n}"),
                secret_key: "sk".into(),
                security_token: Some("tok".into()),
                expires_at: Some(now + self.lifetime),
            })
        }
    }

    struct Rig {
        credentials: TemporaryCredentials,
        fetches: Arc<AtomicU32>,
        now: Arc<Mutex<SystemTime>>,
        fail: Arc<Mutex<bool>>,
    }

    fn rig(lifetime: Duration) -> Rig {
        let fetches = Arc::new(AtomicU32::new(0));
        let now = Arc::new(Mutex::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        ));
        let fail = Arc::new(Mutex::new(false));
        let clock_now = Arc::clone(&now);
        let credentials = TemporaryCredentials::with_clock(
            FakeSource {
                fetches: Arc::clone(&fetches),
                now: Arc::clone(&now),
                lifetime,
                fail: Arc::clone(&fail),
            },
            Arc::new(move || *clock_now.lock().unwrap()),
        );
        Rig {
            credentials,
            fetches,
            now,
            fail,
        }
    }

    fn advance(rig: &Rig, by: Duration) {
        *rig.now.lock().unwrap() += by;
    }

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn refresh_is_due_when_fewer_than_ten_minutes_remain() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(!needs_refresh(None, now));
        assert!(!needs_refresh(Some(now + Duration::from_secs(601)), now));
        assert!(needs_refresh(Some(now + Duration::from_secs(600)), now));
        assert!(needs_refresh(Some(now + Duration::from_secs(30)), now));
        assert!(needs_refresh(Some(now - Duration::from_secs(1)), now));
    }

    #[tokio::test]
    async fn keys_are_reused_until_ten_minutes_before_expiry_then_fetched_again() {
        let rig = rig(Duration::from_secs(3600));
        let first = rig.credentials.current(deadline()).await.unwrap();
        assert_eq!(first.access_key, "AK1");
        advance(&rig, Duration::from_secs(49 * 60));
        let same = rig.credentials.current(deadline()).await.unwrap();
        assert_eq!(same.access_key, "AK1", "11 minutes left: no fetch");
        advance(&rig, Duration::from_secs(2 * 60));
        let renewed = rig.credentials.current(deadline()).await.unwrap();
        assert_eq!(renewed.access_key, "AK2", "9 minutes left: fetched again");
        assert_eq!(rig.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_hour_long_wait_keeps_getting_working_keys() {
        let rig = rig(Duration::from_secs(15 * 60));
        for minute in 0..60 {
            let keys = rig.credentials.current(deadline()).await.unwrap();
            let now = *rig.now.lock().unwrap();
            assert!(
                keys.expires_at.unwrap() > now + Duration::from_secs(60),
                "minute {minute}: keys about to expire"
            );
            advance(&rig, Duration::from_secs(60));
        }
        // 15-minute keys are renewed every 5 minutes (when 10 remain).
        assert_eq!(rig.fetches.load(Ordering::SeqCst), 12);
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_fetch() {
        let rig = rig(Duration::from_secs(300));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let credentials = rig.credentials.clone();
                tokio::spawn(async move { credentials.current(deadline()).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().access_key, "AK1");
        }
        // Short-lived keys (5 min < margin) are still fetched only once for the waiting crowd.
        assert_eq!(rig.fetches.load(Ordering::SeqCst), 1);
        // The next request after the crowd fetches again, since the keys are short-lived.
        assert_eq!(
            rig.credentials
                .current(deadline())
                .await
                .unwrap()
                .access_key,
            "AK2"
        );
    }

    #[tokio::test]
    async fn a_failed_renewal_falls_back_to_keys_that_still_work_but_not_to_expired_ones() {
        let rig = rig(Duration::from_secs(3600));
        rig.credentials.current(deadline()).await.unwrap();
        *rig.fail.lock().unwrap() = true;
        advance(&rig, Duration::from_secs(55 * 60));
        let kept = rig.credentials.current(deadline()).await.unwrap();
        assert_eq!(
            kept.access_key, "AK1",
            "5 minutes left: old keys still used"
        );
        advance(&rig, Duration::from_secs(6 * 60));
        let err = rig.credentials.current(deadline()).await.unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::Connect);
    }

    #[test]
    fn credential_answer_parses_and_rejects_missing_parts() {
        let keys = parse_credential_answer(
            br#"{"credential":{"access":"TMPAK","secret":"s","securitytoken":"t","expires_at":"2026-12-01T20:00:00.000000Z"}}"#,
        )
        .unwrap();
        assert_eq!(keys.access_key, "TMPAK");
        assert_eq!(rfc3339(keys.expires_at.unwrap()), "2026-12-01T20:00:00Z");
        assert!(format!("{keys:?}").contains("<redacted>"));
        assert!(!format!("{keys:?}").contains("\"t\""));
        for bad in [
            r#"{"credential":{"access":"A","secret":"s","securitytoken":"t"}}"#,
            r#"{"credential":{"access":"","secret":"s","securitytoken":"t","expires_at":"2026-12-01T20:00:00Z"}}"#,
            r#"{"credential":{"access":"A","secret":"s","securitytoken":"t","expires_at":"tomorrow"}}"#,
            "<html>",
        ] {
            assert!(parse_credential_answer(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
