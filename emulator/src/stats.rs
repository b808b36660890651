//! Counters of what the emulator saw, so tests and benchmarks can assert on traffic, not just results.
//!
//! "The provider retried twice", "one TCP connection served both calls" and "the job was killed
//! exactly once" are claims about traffic; [`Stats`] is where the emulator records them.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use crate::route_names::Route;

/// Requests received per route (including faulted and rejected ones).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RouteCounts {
    /// `POST .../job-executions/{job}/kill`
    pub kill: u64,
    /// `GET .../job-executions/{job}`
    pub show_job: u64,
    /// `GET .../job-executions`
    pub list_jobs: u64,
    /// `POST .../job-executions`
    pub submit_job: u64,
    /// `GET /v3/projects`
    pub iam: u64,
    /// `POST /v3.0/OS-CREDENTIAL/securitytokens` (assume an agency)
    pub security_tokens: u64,
    /// `GET /openstack/latest/securitykey` (ECS metadata)
    pub metadata: u64,
    /// Any other path (not counting the `/__emulator` admin routes).
    pub other: u64,
}

impl RouteCounts {
    /// Requests received on `route`.
    pub fn get(&self, route: Route) -> u64 {
        match route {
            Route::Kill => self.kill,
            Route::ShowJob => self.show_job,
            Route::ListJobs => self.list_jobs,
            Route::SubmitJob => self.submit_job,
            Route::IamProjects => self.iam,
            Route::SecurityTokens => self.security_tokens,
            Route::Metadata => self.metadata,
        }
    }

    /// Every request received, on any route (the admin routes excepted).
    pub fn total(&self) -> u64 {
        self.kill
            + self.show_job
            + self.list_jobs
            + self.submit_job
            + self.iam
            + self.security_tokens
            + self.metadata
            + self.other
    }

    fn slot(&mut self, route: Option<Route>) -> &mut u64 {
        match route {
            Some(Route::Kill) => &mut self.kill,
            Some(Route::ShowJob) => &mut self.show_job,
            Some(Route::ListJobs) => &mut self.list_jobs,
            Some(Route::SubmitJob) => &mut self.submit_job,
            Some(Route::IamProjects) => &mut self.iam,
            Some(Route::SecurityTokens) => &mut self.security_tokens,
            Some(Route::Metadata) => &mut self.metadata,
            None => &mut self.other,
        }
    }
}

/// A snapshot of the emulator's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Requests per route.
    pub requests: RouteCounts,
    /// Responses sent, per HTTP status (dropped and hung requests are not responses).
    pub statuses: BTreeMap<u16, u64>,
    /// Requests refused because of their AK/SK signature, date or security token.
    pub rejected_signatures: u64,
    /// Requests refused because of their `X-Auth-Token` (or for carrying no credentials at all).
    pub rejected_tokens: u64,
    /// TCP connections accepted by the listener (keep-alive reuse does not add to it).
    pub tcp_connections_accepted: u64,
    /// Kill requests answered 202, per job id.
    pub kills_accepted: BTreeMap<String, u64>,
    /// Kill requests answered 400 / 0175 (job being killed or ended), per job id.
    pub kills_refused: BTreeMap<String, u64>,
    /// Requests that met a scripted or random fault.
    pub faults_injected: u64,
    /// Connections closed without an answer by a `Drop` fault (the request was not carried out).
    pub dropped_connections: u64,
    /// Requests per route, per `Host` header as sent (`""` when absent): which endpoint the
    /// client picked, for tests that serve several real host names from one emulator.
    pub hosts: BTreeMap<String, RouteCounts>,
    /// Answers lost by a `DropAfter` fault: the request was carried out, then the connection closed.
    pub answers_dropped_after_handling: u64,
    /// Temporary key sets handed out (assumed agencies and metadata).
    pub temporary_credentials_issued: u64,
    /// Requests authenticated with temporary keys the emulator issued, per route name.
    pub signed_with_temporary_credentials: BTreeMap<String, u64>,
    /// Requests refused because their temporary keys had expired.
    pub rejected_expired_credentials: u64,
    /// Requests the gateway's rate limit refused (429 `APIGW.0308`).
    pub throttled: u64,
}

impl Stats {
    /// Responses sent with `status`.
    pub fn status_count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    /// Requests on `route` that named `host` in their `Host` header.
    pub fn requests_at(&self, host: &str, route: Route) -> u64 {
        self.hosts.get(host).map_or(0, |counts| counts.get(route))
    }

    /// Requests on `route` authenticated with temporary keys the emulator issued.
    pub fn signed_with_temporary_credentials_on(&self, route: Route) -> u64 {
        self.signed_with_temporary_credentials
            .get(route.as_str())
            .copied()
            .unwrap_or(0)
    }

    /// Kill requests answered 202 for `job_id`.
    pub fn kills_accepted_for(&self, job_id: &str) -> u64 {
        self.kills_accepted.get(job_id).copied().unwrap_or(0)
    }
}

/// The live counters behind [`Stats`], shared by every connection.
#[derive(Debug, Default)]
pub(crate) struct StatsRecorder {
    inner: Mutex<Stats>,
}

impl StatsRecorder {
    fn with<R>(&self, f: impl FnOnce(&mut Stats) -> R) -> R {
        // A panic elsewhere cannot leave counters half-updated in a harmful way; keep counting.
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    pub(crate) fn snapshot(&self) -> Stats {
        self.with(|s| s.clone())
    }

    pub(crate) fn reset(&self) {
        self.with(|s| *s = Stats::default());
    }

    pub(crate) fn request(&self, route: Option<Route>, host: Option<&str>) {
        self.with(|s| {
            *s.requests.slot(route) += 1;
            *s.hosts
                .entry(host.unwrap_or_default().to_owned())
                .or_default()
                .slot(route) += 1;
        });
    }

    pub(crate) fn response(&self, status: u16) {
        self.with(|s| *s.statuses.entry(status).or_default() += 1);
    }

    pub(crate) fn rejected_signature(&self) {
        self.with(|s| s.rejected_signatures += 1);
    }

    pub(crate) fn rejected_token(&self) {
        self.with(|s| s.rejected_tokens += 1);
    }

    pub(crate) fn connection_accepted(&self) {
        self.with(|s| s.tcp_connections_accepted += 1);
    }

    pub(crate) fn kill_accepted(&self, job_id: &str) {
        self.with(|s| *s.kills_accepted.entry(job_id.to_owned()).or_default() += 1);
    }

    pub(crate) fn kill_refused(&self, job_id: &str) {
        self.with(|s| *s.kills_refused.entry(job_id.to_owned()).or_default() += 1);
    }

    pub(crate) fn answer_dropped_after_handling(&self) {
        self.with(|s| s.answers_dropped_after_handling += 1);
    }

    pub(crate) fn fault_injected(&self) {
        self.with(|s| s.faults_injected += 1);
    }

    pub(crate) fn temporary_credentials_issued(&self) {
        self.with(|s| s.temporary_credentials_issued += 1);
    }

    pub(crate) fn signed_with_temporary_credentials(&self, route: Route) {
        self.with(|s| {
            *s.signed_with_temporary_credentials
                .entry(route.as_str().to_owned())
                .or_default() += 1;
        });
    }

    pub(crate) fn rejected_expired_credentials(&self) {
        self.with(|s| s.rejected_expired_credentials += 1);
    }

    pub(crate) fn throttled(&self) {
        self.with(|s| s.throttled += 1);
    }

    pub(crate) fn connection_dropped(&self) {
        self.with(|s| s.dropped_connections += 1);
    }
}
