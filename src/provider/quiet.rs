//! Quieting a cluster, for the `mrs_jobs_kill` resource and action alike: which jobs a selection
//! names right now, killing all of them at once (each through [`kill_job`], so one job's rules,
//! convergence included, hold for every one), and waiting for all of them with coalesced looks
//! at the cluster rather than one per job.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::kill::{Caller, KillJob, add_api_error, kill_job};
use crate::framework::Diagnostics;
use crate::mrs::{ApiError, JobDetail, JobFilter, JobState, MrsClient};

/// The states of a job that has not ended: what `mrs_jobs_kill` selects.
pub const PENDING_STATES: [JobState; 5] = [
    JobState::New,
    JobState::NewSaving,
    JobState::Submitted,
    JobState::Accepted,
    JobState::Running,
];
/// Jobs named one per line in the plan's warning before the rest are only counted.
const NAMED_IN_PLAN: usize = 100;
/// Pause between two looks at the jobs being waited for.
const WAIT_TICK: Duration = Duration::from_secs(1);
/// One element of `jobs`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KilledJob {
    /// Job ID.
    pub job_id: String,
    /// Job name, as listed.
    pub job_name: Option<String>,
    /// `X-Request-Id` of the accepted kill.
    pub request_id: Option<String>,
    /// Terminal state seen when waiting.
    pub final_job_state: Option<String>,
}

/// Which jobs to kill: the part of the configuration the resource and the action share.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Cluster ID.
    pub cluster_id: String,
    /// Part of the job name.
    pub job_name: Option<String>,
    /// Submitting user.
    pub user: Option<String>,
    /// Job type.
    pub job_type: Option<String>,
    /// YARN queue.
    pub queue: Option<String>,
    /// Exactly these jobs (the filters are then unset).
    pub job_ids: Option<BTreeSet<String>>,
}

/// A job chosen for killing.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Job ID.
    pub job_id: String,
    /// Job name, when listed.
    pub job_name: Option<String>,
    /// State when listed; `None` for a `job_ids` entry that is not pending.
    pub state: Option<JobState>,
}

/// What quieting a cluster achieved, job by job.
#[derive(Debug, Default)]
pub struct QuietReport {
    /// Jobs whose kill MRS accepted, in selection order.
    pub killed: Vec<KilledJob>,
    /// Jobs whose kill failed.
    pub failed: usize,
}

/// The jobs `selection` names right now: listed by state (one listing per pending state, so
/// a cluster's long history of ended jobs is never read), or looked up for `job_ids`.
pub async fn select(
    client: &MrsClient,
    project_id: &str,
    selection: &Selection,
    deadline: Instant,
) -> Result<Vec<Target>, ApiError> {
    let listings = futures::future::join_all(PENDING_STATES.iter().map(|state| {
        let filter = JobFilter {
            job_name: selection.job_name.clone(),
            user: selection.user.clone(),
            job_type: selection.job_type.clone(),
            queue: selection.queue.clone(),
            job_state: Some(state.clone()),
            ..JobFilter::default()
        };
        async move {
            client
                .list_jobs(
                    project_id,
                    &selection.cluster_id,
                    &filter,
                    deadline.into_std(),
                )
                .await
        }
    }))
    .await;
    let mut pending: Vec<JobDetail> = Vec::new();
    for listing in listings {
        pending.extend(listing?);
    }
    // A job listed twice moved from one state to the next between the listings.
    let mut seen = BTreeSet::new();
    pending.retain(|job| {
        job.job_id
            .as_ref()
            .is_some_and(|id| seen.insert(id.clone()))
    });
    // Exact filters are checked again: an API that ignored one must not widen a kill.
    pending.retain(|job| {
        let same = |wanted: &Option<String>, actual: &Option<String>| {
            wanted.is_none() || wanted.as_deref() == actual.as_deref()
        };
        same(&selection.user, &job.user)
            && same(&selection.job_type, &job.job_type)
            && same(&selection.queue, &job.queue)
    });
    let as_target = |job: &JobDetail| Target {
        job_id: job.job_id.clone().unwrap_or_default(),
        job_name: job.job_name.clone(),
        state: job.job_state.clone(),
    };
    Ok(match &selection.job_ids {
        None => pending.iter().map(as_target).collect(),
        Some(ids) => {
            let by_id: HashMap<&str, &JobDetail> = pending
                .iter()
                .filter_map(|job| job.job_id.as_deref().map(|id| (id, job)))
                .collect();
            ids.iter()
                .map(|id| match by_id.get(id.as_str()) {
                    Some(job) => as_target(job),
                    None => Target {
                        job_id: id.clone(),
                        job_name: None,
                        state: None,
                    },
                })
                .collect()
        }
    })
}

/// The jobs `selection` names at apply, or `None` after an error in `diags`: the listing failed,
/// or Terraform stopped the provider before it was answered (then nothing was killed).
pub async fn list_targets(
    client: &MrsClient,
    project_id: &str,
    selection: &Selection,
    deadline: Instant,
    stop: &CancellationToken,
    diags: &mut Diagnostics,
) -> Option<Vec<Target>> {
    let targets = tokio::select! {
        result = select(client, project_id, selection, deadline) => result,
        () = stop.cancelled() => {
            diags.add_error("Kill interrupted", "Terraform was stopped before the jobs were listed; nothing was killed.");
            return None;
        }
    };
    match targets {
        Ok(targets) => Some(targets),
        Err(err) => {
            add_api_error(&err, diags);
            None
        }
    }
}

/// The plan's warning: the jobs that match now, one per line.
pub fn describe_targets(cluster_id: &str, targets: &[Target], at_apply: &str) -> (String, String) {
    let summary = format!(
        "mrs_jobs_kill {at_apply} {} on cluster {cluster_id}",
        match targets.len() {
            1 => "1 job".to_owned(),
            n => format!("{n} jobs"),
        }
    );
    let mut detail = String::from("Job ID, name and state as MRS lists them now:\n");
    for target in targets.iter().take(NAMED_IN_PLAN) {
        let _ = writeln!(
            detail,
            "  {}  {}  {}",
            target.job_id,
            target.job_name.as_deref().unwrap_or("-"),
            target
                .state
                .as_ref()
                .map_or("not running (ended, or unknown to MRS)", |s| s.as_str())
        );
    }
    if targets.len() > NAMED_IN_PLAN {
        let _ = writeln!(
            detail,
            "  … and {} more ({} in all).",
            targets.len() - NAMED_IN_PLAN,
            targets.len()
        );
    }
    detail.push_str(
        "The apply lists the jobs again and kills those that match then, so `jobs` is known only after apply.",
    );
    (summary, detail)
}

/// What is needed to kill one cluster's jobs, shared by the resource and the action.
pub struct Quiet<'a> {
    /// Client for the cluster's region.
    pub client: &'a MrsClient,
    /// Project ID.
    pub project_id: &'a str,
    /// The jobs to kill.
    pub targets: Vec<Target>,
    /// Cluster ID.
    pub cluster_id: &'a str,
    /// Wait for each killed job to end.
    pub wait: bool,
    /// When everything must be over.
    pub deadline: Instant,
    /// Cancelled when Terraform asks the provider to stop.
    pub stop: &'a CancellationToken,
    /// The resource or the action, for the per-job messages.
    pub caller: Caller,
}

/// Kills every target at once (each through [`kill_job`]), then, if asked, waits for all of them
/// with coalesced looks. Each failed job adds its own error diagnostic.
pub async fn quiet_cluster(
    quiet: Quiet<'_>,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> QuietReport {
    let kills = quiet.targets.iter().map(|target| async move {
        let mut job_diags = Diagnostics::new();
        let job = KillJob {
            client: quiet.client,
            project_id: quiet.project_id,
            cluster_id: quiet.cluster_id,
            job_id: &target.job_id,
            wait: false,
            deadline: quiet.deadline,
            stop: quiet.stop,
            caller: quiet.caller,
            earlier: None,
        };
        let report = kill_job(job, progress, &mut job_diags).await;
        (report, job_diags)
    });
    let outcomes = futures::future::join_all(kills).await;
    let mut report = QuietReport::default();
    for (target, (outcome, job_diags)) in quiet.targets.iter().zip(outcomes) {
        let failed = job_diags.has_errors() || outcome.is_none();
        diags.extend(job_diags);
        match outcome {
            Some(kill) if !failed => report.killed.push(KilledJob {
                job_id: target.job_id.clone(),
                job_name: target.job_name.clone(),
                request_id: kill.request_id,
                final_job_state: kill.final_state.map(|s| s.as_str().to_owned()),
            }),
            _ => report.failed += 1,
        }
    }
    if quiet.wait {
        wait_for_all(&quiet, &mut report.killed, progress, diags).await;
    }
    progress(format!(
        "cluster {}: {} killed, {} failed{}",
        quiet.cluster_id,
        report.killed.len(),
        report.failed,
        if quiet.wait {
            format!(
                ", {} ended",
                report
                    .killed
                    .iter()
                    .filter(|j| j.final_job_state.is_some())
                    .count()
            )
        } else {
            String::new()
        }
    ));
    report
}

/// Polls the cluster until every killed job has ended, the deadline, or a stop.
async fn wait_for_all(
    quiet: &Quiet<'_>,
    killed: &mut [KilledJob],
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) {
    // Jobs MRS no longer knows: nothing to wait for, and no final state to record.
    let mut gone: BTreeSet<String> = BTreeSet::new();
    loop {
        let pending: Vec<String> = killed
            .iter()
            .filter(|j| j.final_job_state.is_none() && !gone.contains(&j.job_id))
            .map(|j| j.job_id.clone())
            .collect();
        if pending.is_empty() {
            return;
        }
        if Instant::now() + WAIT_TICK > quiet.deadline {
            diags.add_error(
                "Timed out waiting for killed jobs to end",
                format!(
                    "MRS accepted the kills, but {} job(s) on cluster {} had not ended when the create timeout ran out: {}. \
                     They are recorded in state with final_job_state null. Raise `timeouts {{ create = ... }}`, \
                     or check the jobs in the MRS console.",
                    pending.len(),
                    quiet.cluster_id,
                    pending.join(", ")
                ),
            );
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(WAIT_TICK) => {}
            () = quiet.stop.cancelled() => {
                diags.add_warning(
                    "Stopped waiting for the jobs",
                    format!(
                        "Terraform was stopped while waiting for {} killed job(s) on cluster {} to end. MRS had accepted \
                         the kills, so they are recorded in state; their final_job_state stays empty.",
                        pending.len(),
                        quiet.cluster_id
                    ),
                );
                return;
            }
        }
        let mut looks = quiet
            .client
            .look_at_jobs(
                quiet.project_id,
                quiet.cluster_id,
                &pending,
                quiet.deadline.into_std(),
            )
            .await;
        for job in killed.iter_mut().filter(|j| pending.contains(&j.job_id)) {
            match looks.remove(&job.job_id) {
                Some(Ok(detail)) => {
                    if let Some(state) = detail.job_state.filter(JobState::is_terminal) {
                        progress(format!("job {} → {}", job.job_id, state.as_str()));
                        if state != JobState::Killed {
                            diags.add_warning(
                                "Job ended on its own",
                                format!(
                                    "Job {} on cluster {} ended as {} before the kill took effect; it is not running any more.",
                                    job.job_id,
                                    quiet.cluster_id,
                                    state.as_str()
                                ),
                            );
                        }
                        job.final_job_state = Some(state.as_str().to_owned());
                    }
                }
                Some(Err(err)) if err.status == Some(404) => {
                    add_api_error(&err, diags);
                    gone.insert(job.job_id.clone());
                }
                // Transient trouble: the client already retried; look again next tick.
                Some(Err(_)) | None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(i: usize) -> Target {
        Target {
            job_id: format!("job-{i}"),
            job_name: Some(format!("etl-{i}")),
            state: Some(JobState::Running),
        }
    }

    #[test]
    fn plan_warning_names_the_first_hundred_jobs_one_per_line_then_counts() {
        let targets: Vec<Target> = (0..130).map(target).collect();
        let (summary, detail) = describe_targets("c1", &targets, "would kill");
        assert_eq!(summary, "mrs_jobs_kill would kill 130 jobs on cluster c1");
        let named: Vec<&str> = detail.lines().filter(|l| l.contains("  etl-")).collect();
        assert_eq!(named.len(), 100);
        assert_eq!(named[0], "  job-0  etl-0  RUNNING");
        assert!(detail.contains("… and 30 more (130 in all)."), "{detail}");
        let (one, _) = describe_targets("c1", &targets[..1], "would kill");
        assert_eq!(one, "mrs_jobs_kill would kill 1 job on cluster c1");
    }
}
