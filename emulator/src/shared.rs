//! The state one emulator holds while it runs: its configuration, jobs, fault plan, counters,
//! issued keys and rate limiter, shared by the accept loops, every request and the handle.
//!
//! It sits below the router and the handlers (they read and change it) and above the stores it
//! is made of, so nothing it holds ever needs to reach back up.

use std::sync::{Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::config::EmulatorConfig;
use crate::faults::{FaultPlan, FaultState};
use crate::issued::{IssuedCredentials, KeylessState};
use crate::jobs::JobStore;
use crate::rate_limit::RateLimiter;
use crate::stats::StatsRecorder;

/// State shared by the accept loop, every connection and the handle.
pub(crate) struct Shared {
    /// What the emulator was started with; never changes while it runs.
    pub(crate) config: EmulatorConfig,
    jobs: Mutex<JobStore>,
    faults: Mutex<FaultState>,
    /// The counters behind [`crate::Stats`].
    pub(crate) stats: StatsRecorder,
    /// Temporary keys handed out, for the gateway to accept or refuse later.
    pub(crate) issued: IssuedCredentials,
    /// ID tokens, federated tokens and agencies the keyless routes have seen.
    pub(crate) keyless: KeylessState,
    /// The gateway's throttling; `None`: unlimited.
    pub(crate) rate_limiter: Option<RateLimiter>,
    /// Cancelled when the emulator stops: accept loops, connections and hung requests end.
    pub(crate) shutdown: CancellationToken,
}

impl Shared {
    /// Fresh state for an emulator configured with `config`.
    pub(crate) fn new(config: EmulatorConfig) -> Self {
        Self {
            faults: Mutex::new(FaultState::new(config.faults.clone())),
            rate_limiter: config
                .rate_limit
                .filter(|rate| *rate > 0.0)
                .map(RateLimiter::new),
            config,
            jobs: Mutex::new(JobStore::default()),
            stats: StatsRecorder::default(),
            issued: IssuedCredentials::default(),
            keyless: KeylessState::default(),
            shutdown: CancellationToken::new(),
        }
    }

    // A panic in another request cannot leave these in a state worse than "one request lost",
    // so a poisoned lock is used as is rather than taking the whole emulator down.
    /// The job store, locked.
    pub(crate) fn lock_jobs(&self) -> MutexGuard<'_, JobStore> {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The fault plan being used up, locked.
    pub(crate) fn lock_faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts using `plan` instead of what is left of the current one.
    pub(crate) fn replace_faults(&self, plan: FaultPlan) {
        *self.lock_faults() = FaultState::new(plan);
    }

    /// The emulator's wall clock: the machine's, moved by the configured offset.
    pub(crate) fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(self.config.clock_offset_s)
    }
}
