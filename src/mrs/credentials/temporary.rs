//! How requests are authenticated ([`Credentials`]), and temporary keys that are fetched on first
//! use and again before they expire ([`TemporaryCredentials`]). Which source they come from is
//! the caller's choice: the constructors for each source live with the sources' parent,
//! `credentials.rs`.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Instant, SystemTime};

use tracing::{debug, warn};

use super::keys::{Clock, CredentialSource, SessionKeys, needs_refresh, rfc3339};
use crate::mrs::error::ApiError;

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
