//! Killing one job, and optionally waiting until it has stopped: the single implementation behind
//! both the `mrs_job_kill` resource and the `mrs_job_kill` action.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::framework::Diagnostics;
use crate::mrs::{ApiError, JobState, MrsClient};

/// Default time allowed for a kill (and the wait after it).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// First pause between two looks at a job while waiting.
const FIRST_POLL: Duration = Duration::from_secs(1);
/// Longest pause between two looks.
const MAX_POLL: Duration = Duration::from_secs(10);

/// Which job to kill, and how.
pub struct KillJob<'a> {
    /// Client for the job's region.
    pub client: &'a MrsClient,
    /// Project, cluster and job IDs.
    pub project_id: &'a str,
    /// Cluster ID.
    pub cluster_id: &'a str,
    /// Job execution ID.
    pub job_id: &'a str,
    /// Poll until the job reaches a terminal state.
    pub wait: bool,
    /// When the whole operation must be over.
    pub deadline: Instant,
    /// Cancelled when Terraform asks the provider to stop.
    pub stop: &'a CancellationToken,
}

/// What a kill achieved.
#[derive(Debug, Clone, PartialEq)]
pub struct KillReport {
    /// `X-Request-Id` of the accepted kill.
    pub request_id: Option<String>,
    /// When MRS accepted the kill, RFC 3339 UTC.
    pub killed_at: String,
    /// The terminal state seen while waiting; `None` when not waiting or the wait was stopped.
    pub final_state: Option<JobState>,
}

/// Sends the kill and, if asked, waits for the job to stop. Progress lines go to `progress`.
/// `None` (with an error) when MRS did not accept the kill or the wait failed.
pub async fn kill_job(
    job: KillJob<'_>,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> Option<KillReport> {
    let accepted = tokio::select! {
        result = job.client.kill_job(job.project_id, job.cluster_id, job.job_id, job.deadline.into_std()) => result,
        () = job.stop.cancelled() => {
            diags.add_error(
                "Kill interrupted",
                format!(
                    "Terraform was stopped before MRS answered the kill of job {} on cluster {}. \
                     The job may or may not be stopping; nothing was recorded in state, so the next apply sends the kill again.",
                    job.job_id, job.cluster_id
                ),
            );
            return None;
        }
    };
    let accepted = match accepted {
        Ok(accepted) => accepted,
        Err(e) => {
            add_api_error(&e, diags);
            return None;
        }
    };
    let killed_at = rfc3339_now();
    progress(format!(
        "kill of job {} accepted by MRS (HTTP {}), request id {}",
        job.job_id,
        accepted.status,
        accepted.request_id.as_deref().unwrap_or("none")
    ));
    if let Some(warning) = &accepted.warning {
        diags.add_warning("MRS answered the kill unusually", warning.clone());
    }
    let mut report = KillReport {
        request_id: accepted.request_id,
        killed_at,
        final_state: None,
    };
    if job.wait {
        report.final_state = wait_for_termination(&job, progress, diags).await;
        if diags.has_errors() {
            return None;
        }
    }
    Some(report)
}

/// Polls the job with growing pauses until it is KILLED, FAILED or FINISHED.
async fn wait_for_termination(
    job: &KillJob<'_>,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> Option<JobState> {
    let mut pause = FIRST_POLL;
    let mut last_state: Option<JobState> = None;
    loop {
        let look = tokio::select! {
            result = job.client.poll_job(job.project_id, job.cluster_id, job.job_id, job.deadline.into_std()) => result,
            () = job.stop.cancelled() => {
                diags.add_warning(
                    "Stopped waiting for the job",
                    format!(
                        "Terraform was stopped while waiting for job {} on cluster {} to end. MRS had accepted the kill, \
                         so it is recorded in state; final_job_state stays empty.",
                        job.job_id, job.cluster_id
                    ),
                );
                return None;
            }
        };
        match look {
            Ok(detail) => {
                let state = detail.job_state.clone();
                if state != last_state {
                    if let Some(state) = &state {
                        let before = last_state.as_ref().map_or("unknown", |s| s.as_str());
                        progress(format!(
                            "job {} {} → {}",
                            job.job_id,
                            before,
                            state.as_str()
                        ));
                    }
                    last_state = state.clone();
                }
                if let Some(state) = state.filter(JobState::is_terminal) {
                    if state != JobState::Killed {
                        diags.add_warning(
                            "Job ended on its own",
                            format!(
                                "Job {} on cluster {} ended as {} before the kill took effect; it is not running any more.",
                                job.job_id,
                                job.cluster_id,
                                state.as_str()
                            ),
                        );
                    }
                    return Some(state);
                }
            }
            Err(e) => {
                add_api_error(&e, diags);
                return None;
            }
        }
        let now = Instant::now();
        if now + pause > job.deadline {
            diags.add_error(
                "Timed out waiting for the job to end",
                format!(
                    "MRS accepted the kill of job {} on cluster {}, but the job was still {} when the create timeout ran out. \
                     Raise `timeouts {{ create = ... }}`, or check the job in the MRS console. Nothing was recorded in state.",
                    job.job_id,
                    job.cluster_id,
                    last_state.as_ref().map_or("in an unknown state", |s| s.as_str())
                ),
            );
            return None;
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = job.stop.cancelled() => {}
        }
        pause = (pause * 2).min(MAX_POLL);
    }
}

/// Reports an MRS API error as one diagnostic with its advice.
pub fn add_api_error(error: &ApiError, diags: &mut Diagnostics) {
    diags.add_error(error.summary(), error.detail());
}

/// The current time as RFC 3339 UTC with seconds, e.g. `2026-11-28T14:00:00Z`.
pub fn rfc3339_now() -> String {
    let now = time::OffsetDateTime::from(SystemTime::now());
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
