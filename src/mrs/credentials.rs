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
//! One file per source, each behind [`CredentialSource`] (in `keys`, the bottom of this room, with
//! the keys themselves); `temporary` keeps the keys fresh. No source sees the client's whole
//! configuration: the metadata source is handed a [`TlsSettings`], the IAM and STS ones an
//! [`IdentityService`] (where IAM and STS are, and a [`TransportSettings`] to reach them). This
//! room sits above the transport (it signs for it and uses it) and below the client.

mod assume_role;
mod keys;
mod metadata;
mod oidc;
pub mod shared_config;
mod signing;
mod temporary;

use url::Url;

pub use assume_role::{AgencyDomain, AssumeRole, DEFAULT_ASSUME_ROLE_DURATION_S};
pub use keys::{
    Clock, CredentialSource, IdentityService, REFRESH_MARGIN, SessionKeys, needs_refresh,
};
pub(crate) use keys::{parse_credential_answer, parse_expiry};
pub use metadata::{DEFAULT_METADATA_ENDPOINT, METADATA_PATH, metadata_url};
pub use oidc::{ID_TOKEN_PATH, IdToken, OidcRole};
pub use signing::RequestSigner;
pub use temporary::{Credentials, TemporaryCredentials};

use super::error::ConfigError;
use super::tls::TlsSettings;

/// The constructors of [`TemporaryCredentials`], one per source; they live here, above the
/// sources, so that `temporary.rs` knows no source.
impl TemporaryCredentials {
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
}

#[cfg(test)]
mod tests {
    use super::keys::rfc3339;
    use super::*;
    use crate::mrs::{ApiError, ApiErrorKind};
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant, SystemTime};

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
