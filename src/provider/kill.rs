//! Killing one job, and optionally waiting until it has stopped: the single implementation behind
//! both the `mrs_job_kill` resource and the `mrs_job_kill` action.
//!
//! A kill must converge: whatever happened before (an answer lost after MRS carried the kill
//! out, a wait that timed out, Ctrl-C, a job killed in the console or one that finished by
//! itself), running the configuration again ends in success once the job has ended. MRS answers
//! any kill of a job that is being killed or has ended with 400 / `0175`, so after a `0175` the
//! job is looked at, never killed again:
//!
//! | the job is | outcome |
//! |---|---|
//! | `KILLED`, `FINISHED` or `FAILED` | success, with a warning naming the state and why |
//! | still pending | watched for a bounded time (an earlier kill may be taking effect); ended in that time: success with the warning; otherwise the `0175` error with the job's state |
//!
//! A kill MRS accepted (202) is always reported back in the [`KillReport`], even when the wait
//! after it failed, so the resource keeps it in state (tainted) instead of forgetting it. When
//! Terraform replaces that tainted record, the replacing create is handed the earlier kill
//! ([`KillJob::earlier`], see [`super::records`]): it sends nothing, watches the job, and keeps
//! the earlier `request_id`.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use super::api_errors::{add_api_error, add_job_error};
use super::cluster_jobs::ClusterJobs;
use super::records::EarlierKill;
use crate::framework::Diagnostics;
use crate::mrs::{ApiError, JobDetail, JobState, KillAccepted};

/// Default time allowed for a kill (and the wait after it).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// How long a job MRS refused to kill (0175) while it still shows a pending state is watched
/// when the caller does not wait: long enough for an earlier kill to take effect (YARN takes
/// seconds), bounded by the operation's timeout.
pub const NOT_RUNNING_GRACE: Duration = Duration::from_secs(30);
/// First pause between two looks at a job while waiting.
const FIRST_POLL: Duration = Duration::from_secs(1);
/// Longest pause between two looks.
const MAX_POLL: Duration = Duration::from_secs(10);
/// Time kept free before a watch's end, so its last look still has time to be answered.
const LAST_LOOK_MARGIN: Duration = Duration::from_millis(500);

/// What becomes of a resource's accepted kill whose wait did not end well.
pub const KEPT_FOR_NEXT_APPLY: &str = "The kill is recorded in state, marked tainted. The next apply confirms it: \
     Terraform replaces the record, and the replacement carries this request id over, watches the job and sends \
     no second kill.";

/// Who asked for the kill; the messages speak of what the user wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The `mrs_job_kill` resource: results live in state, the timeout is `timeouts { create }`.
    Resource,
    /// The `mrs_job_kill` action: nothing is kept, the timeout is the action's `timeout`.
    Action,
}

/// Which job to kill, and how.
pub struct KillJob<'a> {
    /// The job's MRS endpoint (the client for its region, or a test's scripted cluster).
    pub client: &'a dyn ClusterJobs,
    /// Project ID.
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
    /// Resource or action.
    pub caller: Caller,
    /// This configuration's own earlier kill of the job, accepted and not confirmed yet: when
    /// set, no kill is sent; the job is watched and the earlier kill's record kept.
    pub earlier: Option<EarlierKill>,
}

/// What a kill achieved: a kill MRS accepted, or a job found already ended.
#[derive(Debug, Clone, PartialEq)]
pub struct KillReport {
    /// `X-Request-Id` of the accepted kill, or of the `0175` answer that led to finding the job
    /// ended.
    pub request_id: Option<String>,
    /// When MRS accepted the kill (or the job was found ended), RFC 3339 UTC.
    pub killed_at: String,
    /// The terminal state the provider saw: after waiting, or after a `0175`. `None` when it
    /// did not look, or the wait did not end.
    pub final_state: Option<JobState>,
}

/// Sends the kill and, if asked, waits for the job to stop; after a `0175` it looks at the job
/// instead (see the module docs). Progress lines go to `progress`, never after Terraform asked
/// the provider to stop.
///
/// `None` (with an error) when nothing was achieved that must be remembered. `Some` is a kill
/// MRS accepted or a job found ended, possibly *with* an error (the wait after an accepted kill
/// timed out or was interrupted): the resource then saves it, tainted.
pub async fn kill_job(
    job: KillJob<'_>,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> Option<KillReport> {
    if let Some(earlier) = &job.earlier {
        return Some(confirm_earlier(&job, earlier, progress, diags).await);
    }
    let sent = tokio::select! {
        result = job.client.kill_job(job.project_id, job.cluster_id, job.job_id, job.deadline) => result,
        () = job.stop.cancelled() => {
            diags.add_error("Kill interrupted", interrupted_before_answer(&job));
            return None;
        }
    };
    match sent {
        Ok(accepted) => accepted_kill(&job, accepted, progress, diags).await,
        // A success MRS would not have sent proves nothing either way: look at the job, as after a 0175.
        Err(refusal) if refusal.is_job_not_running() || refusal.is_unconfirmed_kill() => {
            converge(&job, refusal, progress, diags).await
        }
        Err(e) => {
            add_job_error(&e, job.cluster_id, job.job_id, diags);
            None
        }
    }
}

/// The one way this module looks at a job's state: through the client's shared poller, so
/// every wait on a cluster in this provider process shares one listing per poll round.
async fn job_state(job: &KillJob<'_>) -> Result<JobDetail, ApiError> {
    job.client
        .poll_job(job.project_id, job.cluster_id, job.job_id, job.deadline)
        .await
}

/// Sends a progress line unless Terraform has asked the provider to stop (Terraform stops
/// reading then, and a late event can upset it).
fn say(job: &KillJob<'_>, progress: &(dyn Fn(String) + Send + Sync), line: String) {
    if !job.stop.is_cancelled() {
        progress(line);
    }
}

/// After a 202: records the kill and, when asked, waits for the job to end.
async fn accepted_kill(
    job: &KillJob<'_>,
    accepted: KillAccepted,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> Option<KillReport> {
    let killed_at = rfc3339_now();
    say(
        job,
        progress,
        format!(
            "kill of job {} accepted by MRS (HTTP {}), request id {}",
            job.job_id,
            accepted.status,
            accepted.request_id.as_deref().unwrap_or("none")
        ),
    );
    if let Some(warning) = &accepted.warning {
        diags.add_warning("MRS answered the kill unusually", warning.clone());
    }
    let report = KillReport {
        request_id: accepted.request_id,
        killed_at,
        final_state: None,
    };
    if !job.wait {
        return Some(report);
    }
    Some(wait_after_kill(job, report, progress, diags).await)
}

/// The replacement of a record whose kill was not confirmed: sends no kill (a second one would
/// only meet `0175` while the job dies), and watches the job when asked, under the earlier
/// kill's `request_id`.
async fn confirm_earlier(
    job: &KillJob<'_>,
    earlier: &EarlierKill,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> KillReport {
    say(
        job,
        progress,
        format!(
            "job {}: confirming the kill MRS accepted in an earlier apply (request id {}); no second kill is sent",
            job.job_id,
            earlier.request_id.as_deref().unwrap_or("none")
        ),
    );
    let report = KillReport {
        request_id: earlier.request_id.clone(),
        killed_at: earlier.killed_at.clone(),
        final_state: None,
    };
    if !job.wait {
        return report;
    }
    wait_after_kill(job, report, progress, diags).await
}

/// Watches a job whose kill MRS accepted until it ends, and records the end in `report`; an
/// error says what became of the wait otherwise.
async fn wait_after_kill(
    job: &KillJob<'_>,
    mut report: KillReport,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> KillReport {
    let request = report.request_id.as_deref().unwrap_or("none").to_owned();
    match watch(job, job.deadline, progress).await.1 {
        WatchEnd::Ended(state) => {
            if state != JobState::Killed {
                diags.add_warning(
                    "Job ended on its own",
                    format!(
                        "Job {} on cluster {} ended as {} before the kill took effect; it is not running any more.",
                        job.job_id, job.cluster_id, state
                    ),
                );
            }
            report.final_state = Some(state);
        }
        WatchEnd::StillPending(last) => {
            let state = state_text(last.as_ref());
            let detail = match job.caller {
                Caller::Resource => format!(
                    "MRS accepted the kill of job {} on cluster {} (request id {request}), but the job was still {state} \
                     when the create timeout ran out. {KEPT_FOR_NEXT_APPLY} To wait longer, raise \
                     `timeouts {{ create = ... }}`.",
                    job.job_id, job.cluster_id
                ),
                Caller::Action => format!(
                    "MRS accepted the kill of job {} on cluster {} (request id {request}), but the job was still {state} \
                     when the action's timeout ran out. The kill stays accepted; invoking the action again is safe: it \
                     finds the job ended and succeeds. To wait longer, raise the action's timeout.",
                    job.job_id, job.cluster_id
                ),
            };
            diags.add_error("Timed out waiting for the job to end", detail);
        }
        WatchEnd::Stopped(last) => {
            let state = state_text(last.as_ref());
            let detail = match job.caller {
                Caller::Resource => format!(
                    "Terraform was stopped while waiting for job {} on cluster {} to end (last seen {state}). MRS had \
                     accepted the kill (request id {request}). {KEPT_FOR_NEXT_APPLY}",
                    job.job_id, job.cluster_id
                ),
                Caller::Action => format!(
                    "Terraform was stopped while the action waited for job {} on cluster {} to end (last seen {state}). \
                     MRS had accepted the kill (request id {request}); the job ends on its own time, and invoking the \
                     action again is safe.",
                    job.job_id, job.cluster_id
                ),
            };
            diags.add_error("Stopped waiting for the job", detail);
        }
        WatchEnd::LookFailed(e) => {
            let kept = match job.caller {
                Caller::Resource => KEPT_FOR_NEXT_APPLY,
                Caller::Action => "The kill stays accepted; invoking the action again is safe.",
            };
            diags.add_error(
                e.summary(),
                format!(
                    "MRS accepted the kill of job {} on cluster {} (request id {request}), but looking at the job \
                     afterwards failed. {kept}\n{}",
                    job.job_id,
                    job.cluster_id,
                    e.detail()
                ),
            );
        }
    }
    report
}

/// After a `0175`: the job is being killed or has ended. Finds out which, sending no kill.
async fn converge(
    job: &KillJob<'_>,
    refusal: ApiError,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> Option<KillReport> {
    say(
        job,
        progress,
        format!(
            "MRS refused the kill of job {} with error 0175, job not running: looking at the job",
            job.job_id
        ),
    );
    let until = if job.wait {
        job.deadline
    } else {
        (Instant::now() + NOT_RUNNING_GRACE).min(job.deadline)
    };
    let started = Instant::now();
    let (first_seen, end) = watch(job, until, progress).await;
    match end {
        WatchEnd::Ended(state) => {
            say(
                job,
                progress,
                format!(
                    "job {} has ended as {state}: nothing more to do",
                    job.job_id
                ),
            );
            let (summary, detail) = ended_warning(job, &refusal, first_seen.as_ref(), &state);
            diags.add_warning(summary, detail);
            Some(KillReport {
                request_id: refusal.request_id.clone(),
                killed_at: rfc3339_now(),
                final_state: Some(state),
            })
        }
        WatchEnd::StillPending(last) => {
            let state = state_text(last.as_ref());
            let watched = started.elapsed().as_secs();
            let nothing_kept = match job.caller {
                Caller::Resource => " Nothing was recorded in state.",
                Caller::Action => "",
            };
            diags.add_error(
                format!("{} (the job is {state})", refusal.summary()),
                format!(
                    "{}\nThe job is still {state}: it did not end in the {watched} s it was watched. MRS refuses a \
                     kill while an earlier one (from any source) is still taking effect, and a job shutting down \
                     slowly can take longer than that; or the job cannot be killed. No second kill was sent. Check \
                     the job in the MRS console, and apply again or raise the timeout to watch longer.{nothing_kept}",
                    refusal.detail()
                ),
            );
            None
        }
        WatchEnd::Stopped(last) => {
            diags.add_error(
                "Kill interrupted",
                format!(
                    "MRS refused the kill of job {} on cluster {} (error 0175, job not running), and Terraform was \
                     stopped while the provider looked at the job (last seen {}). Run again to find out how it ended.",
                    job.job_id,
                    job.cluster_id,
                    state_text(last.as_ref())
                ),
            );
            None
        }
        WatchEnd::LookFailed(e) => {
            diags.add_error(
                refusal.summary(),
                format!(
                    "{}\nLooking at the job to find out whether it has ended failed too: {}\n{}",
                    refusal.detail(),
                    e.summary(),
                    e.detail()
                ),
            );
            None
        }
    }
}

/// The warning for a job found ended after a `0175`, saying why it most likely ended.
fn ended_warning(
    job: &KillJob<'_>,
    refusal: &ApiError,
    first_seen: Option<&JobState>,
    state: &JobState,
) -> (String, String) {
    let (job_id, cluster_id) = (job.job_id, job.cluster_id);
    let ended_while_watched = first_seen.is_some_and(|s| !s.is_terminal());
    if *state == JobState::Killed {
        let why = if ended_while_watched {
            "it was still being killed when MRS refused this kill (error 0175): an earlier kill was taking effect"
                .to_owned()
        } else if refusal.attempts > 1 {
            "MRS refused a retry of this kill (error 0175): an earlier attempt of the same request most likely \
             killed it and its answer was lost"
                .to_owned()
        } else {
            let earlier = match job.caller {
                Caller::Resource => {
                    "an earlier apply of this configuration that did not finish (a timeout or Ctrl-C)"
                }
                Caller::Action => "an earlier invocation of this action",
            };
            format!(
                "it was killed before this kill arrived (error 0175): by {earlier}, or outside Terraform \
                 (the MRS console, another tool)"
            )
        };
        let recorded = match job.caller {
            Caller::Resource => " final_job_state records KILLED.",
            Caller::Action => "",
        };
        (
            "Job was already killed".to_owned(),
            format!(
                "Job {job_id} on cluster {cluster_id} is KILLED: {why}. No second kill was sent.{recorded}"
            ),
        )
    } else {
        let recorded = match job.caller {
            Caller::Resource => format!(
                " final_job_state records {state}; a postcondition on it turns this into an error \
                 (see the mrs_job_kill documentation)."
            ),
            Caller::Action => " The action had nothing to stop.".to_owned(),
        };
        (
            "Job had already ended".to_owned(),
            format!(
                "Job {job_id} on cluster {cluster_id} ended by itself as {state} before this kill, so MRS refused \
                 it (error 0175) and nothing was stopped.{recorded}"
            ),
        )
    }
}

/// How a watch of a job ended.
enum WatchEnd {
    /// The job reached this terminal state.
    Ended(JobState),
    /// Time ran out; the last state seen.
    StillPending(Option<JobState>),
    /// Terraform asked the provider to stop; the last state seen.
    Stopped(Option<JobState>),
    /// A look at the job failed.
    LookFailed(ApiError),
}

/// Looks at the job with growing pauses until it has ended, `until` comes, Terraform stops
/// the provider, or a look fails. Each change of state is a progress line. Also returns the
/// state of the first look (`None` when there was none or it had no state).
async fn watch(
    job: &KillJob<'_>,
    until: Instant,
    progress: &(dyn Fn(String) + Send + Sync),
) -> (Option<JobState>, WatchEnd) {
    let mut pause = FIRST_POLL;
    let mut first: Option<Option<JobState>> = None;
    let mut last: Option<JobState> = None;
    let end = loop {
        let look = tokio::select! {
            result = job_state(job) => result,
            () = job.stop.cancelled() => break WatchEnd::Stopped(last),
        };
        let state = match look {
            Ok(detail) => detail.job_state,
            Err(e) => break WatchEnd::LookFailed(e),
        };
        first.get_or_insert_with(|| state.clone());
        if state != last {
            if let Some(now) = &state {
                let line = match &last {
                    Some(before) => format!("job {} {before} → {now}", job.job_id),
                    None => format!("job {} is {now}", job.job_id),
                };
                say(job, progress, line);
            }
            last.clone_from(&state);
        }
        if let Some(ended) = state.filter(JobState::is_terminal) {
            break WatchEnd::Ended(ended);
        }
        let left = until.saturating_duration_since(Instant::now());
        if left <= LAST_LOOK_MARGIN {
            break WatchEnd::StillPending(last);
        }
        tokio::select! {
            () = tokio::time::sleep(pause.min(left - LAST_LOOK_MARGIN)) => {}
            () = job.stop.cancelled() => break WatchEnd::Stopped(last),
        }
        pause = (pause * 2).min(MAX_POLL);
    };
    (first.flatten(), end)
}

fn state_text(state: Option<&JobState>) -> String {
    state.map_or_else(|| "in an unknown state".to_owned(), ToString::to_string)
}

fn interrupted_before_answer(job: &KillJob<'_>) -> String {
    let next = match job.caller {
        Caller::Resource => {
            "Nothing was recorded in state, so the next apply sends the kill again; if this one was carried out, \
             that apply finds the job ended and succeeds."
        }
        Caller::Action => {
            "Invoking the action again is safe: if this kill was carried out, it finds the job ended and succeeds."
        }
    };
    format!(
        "Terraform was stopped before MRS answered the kill of job {} on cluster {}. The job may or may not be \
         stopping. {next}",
        job.job_id, job.cluster_id
    )
}

/// The current time as RFC 3339 UTC with seconds, e.g. `2026-11-28T14:00:00Z`.
pub fn rfc3339_now() -> String {
    let now = time::OffsetDateTime::from(SystemTime::now());
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "kill_tests.rs"]
mod tests;
