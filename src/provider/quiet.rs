//! Quieting a cluster, for the `mrs_jobs_kill` resource and action alike: which jobs a selection
//! names right now, killing all of them at once (each through [`kill_job`], so one job's rules,
//! convergence included, hold for every one), and waiting for all of them with coalesced looks
//! at the cluster rather than one per job.
//!
//! Without `job_ids`, the first listing and the kills overlap: the jobs of each page are killed
//! while the next pages are read, then the cluster is listed again until a pass finds nothing
//! new. Each accepted kill is handed to [`Quiet::on_record`] at once, so the resource's record
//! survives even a panic. MRS is reached through [`ClusterJobs`], so these rules also run
//! against a scripted cluster on tokio's paused clock (`quiet_clock_tests.rs`).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::cluster_jobs::ClusterJobs;
use super::kill::{Caller, KillJob, add_api_error, kill_job};
pub use super::records::KilledJob;
use crate::framework::Diagnostics;
use crate::mrs::shown_text::one_line_bounded;
use crate::mrs::{ApiError, ApiErrorKind, JobDetail, JobFilter, JobState};

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
    /// The jobs the first listing found, when [`quiet_cluster`] listed them itself
    /// (`Quiet::targets` unset) and the listing succeeded.
    pub listed: Option<Vec<Target>>,
}

/// The jobs `selection` names right now: listed by state (one listing per pending state, so
/// a cluster's long history of ended jobs is never read), or looked up for `job_ids`; a
/// `job_ids` entry that is not pending comes with no state.
pub async fn select(
    client: &dyn ClusterJobs,
    project_id: &str,
    selection: &Selection,
    deadline: Instant,
) -> Result<Vec<Target>, ApiError> {
    let pending = list_pending(client, project_id, selection, deadline, None).await?;
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

/// The pending jobs that match the filters, each once, listed state by state; with `pages`,
/// each page's jobs also go there as soon as it is read (unchecked: see [`matches_exactly`]).
async fn list_pending(
    client: &dyn ClusterJobs,
    project_id: &str,
    selection: &Selection,
    deadline: Instant,
    pages: Option<&mpsc::Sender<Vec<JobDetail>>>,
) -> Result<Vec<JobDetail>, ApiError> {
    // One state after the other, in the order a job goes through them: a job that moves on
    // while the listings run is in a later state when the later listing runs, so every job
    // that is pending throughout is found (listed at once, a job moving from ACCEPTED to
    // RUNNING between the two listings would be in neither).
    let mut pending: Vec<JobDetail> = Vec::new();
    for state in &PENDING_STATES {
        let filter = JobFilter {
            job_name: selection.job_name.clone(),
            user: selection.user.clone(),
            job_type: selection.job_type.clone(),
            queue: selection.queue.clone(),
            job_state: Some(state.clone()),
            ..JobFilter::default()
        };
        let cluster_id = &selection.cluster_id;
        pending.extend(match pages {
            Some(pages) => {
                client
                    .list_jobs_each_page(project_id, cluster_id, &filter, deadline, pages)
                    .await?
            }
            None => {
                client
                    .list_jobs(project_id, cluster_id, &filter, deadline)
                    .await?
            }
        });
    }
    // A job listed twice moved from one state to the next between the listings.
    let mut seen = BTreeSet::new();
    pending.retain(|job| {
        job.job_id
            .as_ref()
            .is_some_and(|id| seen.insert(id.clone()))
    });
    pending.retain(|job| matches_exactly(selection, job));
    Ok(pending)
}

/// The exact filters, checked again on what MRS listed: an API that ignored one must not
/// widen a kill.
fn matches_exactly(selection: &Selection, job: &JobDetail) -> bool {
    let same = |wanted: &Option<String>, actual: &Option<String>| {
        wanted.is_none() || wanted.as_deref() == actual.as_deref()
    };
    job.job_id.is_some()
        && same(&selection.user, &job.user)
        && same(&selection.job_type, &job.job_type)
        && same(&selection.queue, &job.queue)
}

fn as_target(job: &JobDetail) -> Target {
    Target {
        job_id: job.job_id.clone().unwrap_or_default(),
        job_name: job.job_name.clone(),
        state: job.job_state.clone(),
    }
}

/// The jobs `selection` names at apply, or `None` after an error in `diags`: the listing failed,
/// or Terraform stopped the provider before it was answered (then nothing was killed).
pub async fn list_targets(
    client: &dyn ClusterJobs,
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
            one_line_bounded(&target.job_id, 128),
            one_line_bounded(target.job_name.as_deref().unwrap_or("-"), 256),
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
    /// The cluster's MRS endpoint (the client for its region, or a test's scripted cluster).
    pub client: &'a dyn ClusterJobs,
    /// Project ID.
    pub project_id: &'a str,
    /// The jobs to kill; `None`: list them now, killing the jobs of each page while the next
    /// pages are read (not for `job_ids`, whose targets include jobs no listing shows).
    pub targets: Option<Vec<Target>>,
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
    /// Jobs an earlier apply of this record killed (a tainted record's replacement): never
    /// killed again, watched when not confirmed yet, and kept in the report.
    pub already: Vec<KilledJob>,
    /// Which jobs to look for again after the wait (the quiet contract).
    pub selection: &'a Selection,
    /// Called with every kill on record so far as MRS accepts them (after each one while the
    /// list is short, then after each sixteenth of it, and at the end of every batch of kills),
    /// and after each wait: the resource hands it to the framework's panic guard
    /// (`Ctx::record_progress`), so even a panic later in the apply keeps the accepted kills.
    pub on_record: &'a (dyn Fn(&[KilledJob]) + Send + Sync),
}

/// Kills every target at once (each through [`kill_job`]), then, if asked, waits until the
/// cluster is quiet: every killed job has ended *and* a listing taken after that shows no
/// pending job matching the selection. Jobs that arrive or move into a pending state meanwhile
/// are killed in turn; a cluster that is not quiet by the deadline is an error naming the jobs
/// still pending. Each failure adds its own error diagnostic; every accepted kill stays in the
/// report.
pub async fn quiet_cluster(
    quiet: Quiet<'_>,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> QuietReport {
    let mut report = QuietReport {
        killed: quiet.already.clone(),
        failed: 0,
        listed: None,
    };
    if !report.killed.is_empty() {
        (quiet.on_record)(&report.killed);
    }
    let mut touched: BTreeSet<String> = report.killed.iter().map(|j| j.job_id.clone()).collect();
    let mut targets: Vec<Target> = match &quiet.targets {
        Some(targets) => targets
            .iter()
            .filter(|t| !touched.contains(&t.job_id))
            .cloned()
            .collect(),
        None => {
            let listed =
                list_while_killing(&quiet, &mut touched, &mut report, progress, diags).await;
            let Some(listed) = listed else {
                return report;
            };
            report.listed = Some(listed);
            // Killed already, page by page.
            Vec::new()
        }
    };
    loop {
        touched.extend(targets.iter().map(|t| t.job_id.clone()));
        kill_all(&quiet, &targets, &mut report, progress, diags).await;
        if !quiet.wait {
            break;
        }
        let quiet_so_far = wait_for_all(&quiet, &mut report.killed, progress, diags).await;
        (quiet.on_record)(&report.killed);
        if !quiet_so_far {
            break;
        }
        // The quiet check: a listing taken after every kill was confirmed.
        let listed = tokio::select! {
            result = select(quiet.client, quiet.project_id, quiet.selection, quiet.deadline) => result,
            () = quiet.stop.cancelled() => {
                diags.add_error("Stopped waiting for the jobs", stopped_detail(&quiet, &[]));
                break;
            }
        };
        let pending: Vec<Target> = match listed {
            Ok(listed) => listed.into_iter().filter(|t| t.state.is_some()).collect(),
            Err(err) => {
                add_api_error(&err, diags);
                break;
            }
        };
        if pending.is_empty() {
            say(
                &quiet,
                progress,
                format!(
                    "cluster {}: no pending job matches; quiet",
                    quiet.cluster_id
                ),
            );
            break;
        }
        // Jobs whose kill failed already have their error: not killed again, not waited for.
        let fresh: Vec<Target> = pending
            .iter()
            .filter(|t| !touched.contains(&t.job_id))
            .cloned()
            .collect();
        if fresh.is_empty() {
            break;
        }
        if Instant::now() + WAIT_TICK > quiet.deadline {
            let ids: Vec<String> = fresh.iter().map(|t| t.job_id.clone()).collect();
            diags.add_error(
                "The cluster did not become quiet",
                format!(
                    "Jobs matching the selection kept arriving on cluster {}: when the timeout ran out, {} job(s) were \
                     still pending and not killed: {}. {}",
                    quiet.cluster_id,
                    ids.len(),
                    name_jobs(&ids),
                    kept(quiet.caller)
                ),
            );
            break;
        }
        say(
            &quiet,
            progress,
            format!(
                "cluster {}: {} more pending job(s) match; killing them",
                quiet.cluster_id,
                fresh.len()
            ),
        );
        targets = fresh;
    }
    say(
        &quiet,
        progress,
        format!(
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
        ),
    );
    report
}

/// Pages of the listing that may wait for their kills: how far the listing runs ahead.
const PAGES_AHEAD: usize = 2;
/// Listings after the one that killed page by page, until one finds nothing new.
const CATCH_UP_PASSES: usize = 5;

/// Lists the selection's pending jobs and kills the jobs of each page while the next pages are
/// read (the listing waits when [`PAGES_AHEAD`] pages wait for their kills), then, unless a wait
/// follows (its listings do the same), lists again until a listing finds no job it has not seen
/// (at most [`CATCH_UP_PASSES`]). The jobs found, or
/// `None` after an error in `diags` (the listing failed, or Terraform stopped the provider);
/// the kills accepted before that are in `report` all the same.
async fn list_while_killing(
    quiet: &Quiet<'_>,
    touched: &mut BTreeSet<String>,
    report: &mut QuietReport,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> Option<Vec<Target>> {
    let (pages_tx, mut pages_rx) = mpsc::channel::<Vec<JobDetail>>(PAGES_AHEAD);
    let listing = async move {
        let pages_tx = pages_tx;
        tokio::select! {
            result = list_pending(quiet.client, quiet.project_id, quiet.selection, quiet.deadline, Some(&pages_tx)) => Some(result),
            () = quiet.stop.cancelled() => None,
        }
        // Dropping the sender ends the kills below once the last page is killed.
    };
    let killing = async {
        let mut found = Vec::new();
        while let Some(page) = pages_rx.recv().await {
            if quiet.stop.is_cancelled() {
                break;
            }
            let fresh: Vec<Target> = page
                .iter()
                .filter(|job| matches_exactly(quiet.selection, job))
                .map(as_target)
                .filter(|target| touched.insert(target.job_id.clone()))
                .collect();
            kill_all(quiet, &fresh, report, progress, diags).await;
            found.extend(fresh);
        }
        found
    };
    let (listed, mut found) = tokio::join!(listing, killing);
    let stopped = |diags: &mut Diagnostics| {
        diags.add_error(
            "Kill interrupted",
            format!(
                "Terraform was stopped while the jobs on cluster {} were listed and killed. {}",
                quiet.cluster_id,
                kept(quiet.caller)
            ),
        );
    };
    match listed {
        Some(Ok(_)) => {}
        Some(Err(err)) => {
            add_api_error(&err, diags);
            return None;
        }
        None => {
            stopped(diags);
            return None;
        }
    }
    // A job killed on page 1 may leave its state's listing before page 2 is read, moving the
    // jobs after it one page up, past the reader: list again until a pass finds nothing new.
    // A wait needs no such pass: it lists again itself, and kills what that listing finds.
    let passes = if quiet.wait { 0 } else { CATCH_UP_PASSES };
    for _ in 0..passes {
        let again = tokio::select! {
            result = list_pending(quiet.client, quiet.project_id, quiet.selection, quiet.deadline, None) => result,
            () = quiet.stop.cancelled() => {
                stopped(diags);
                return None;
            }
        };
        let fresh: Vec<Target> = match again {
            Ok(jobs) => jobs
                .iter()
                .map(as_target)
                .filter(|target| touched.insert(target.job_id.clone()))
                .collect(),
            Err(err) => {
                add_api_error(&err, diags);
                return None;
            }
        };
        if fresh.is_empty() {
            break;
        }
        kill_all(quiet, &fresh, report, progress, diags).await;
        found.extend(fresh);
    }
    Some(found)
}

/// Kills `targets` at once, adding the accepted ones to `report` in target order; accepted
/// kills are put on record ([`Quiet::on_record`]) as MRS accepts them.
async fn kill_all(
    quiet: &Quiet<'_>,
    targets: &[Target],
    report: &mut QuietReport,
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) {
    let mut kills: FuturesUnordered<_> = targets
        .iter()
        .enumerate()
        .map(|(index, target)| async move {
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
            let outcome = kill_job(job, progress, &mut job_diags).await;
            (index, outcome, job_diags)
        })
        .collect();
    let mut outcomes = Vec::with_capacity(targets.len());
    let mut on_record = report.killed.clone();
    let mut unrecorded = 0usize;
    while let Some((index, outcome, job_diags)) = kills.next().await {
        let accepted = match &outcome {
            Some(kill) if !job_diags.has_errors() => Some(KilledJob {
                job_id: targets[index].job_id.clone(),
                job_name: targets[index].job_name.clone(),
                request_id: kill.request_id.clone(),
                final_job_state: kill.final_state.as_ref().map(|s| s.as_str().to_owned()),
            }),
            _ => None,
        };
        if let Some(job) = &accepted {
            on_record.push(job.clone());
            unrecorded += 1;
            // Each record copies the whole list: one per kill while it is short, then in
            // batches of a sixteenth of it, so 2,000 kills cost tens of copies, not 2,000.
            if unrecorded > on_record.len() / 16 {
                (quiet.on_record)(&on_record);
                unrecorded = 0;
            }
        }
        outcomes.push((index, accepted, job_diags));
    }
    if unrecorded > 0 {
        (quiet.on_record)(&on_record);
    }
    outcomes.sort_by_key(|(index, _, _)| *index);
    for (_, accepted, job_diags) in outcomes {
        diags.extend(super::api_errors::for_job_ids(job_diags));
        match accepted {
            Some(job) => report.killed.push(job),
            None => report.failed += 1,
        }
    }
}

fn say(quiet: &Quiet<'_>, progress: &(dyn Fn(String) + Send + Sync), line: String) {
    if !quiet.stop.is_cancelled() {
        progress(line);
    }
}

/// Job IDs for a message: the first [`NAMED_IN_PLAN`], then how many more.
fn name_jobs(ids: &[String]) -> String {
    let mut text = ids
        .iter()
        .take(NAMED_IN_PLAN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > NAMED_IN_PLAN {
        let _ = write!(text, " and {} more", ids.len() - NAMED_IN_PLAN);
    }
    text
}

/// What becomes of the accepted kills after a wait that did not end well.
fn kept(caller: Caller) -> &'static str {
    match caller {
        Caller::Resource => {
            "Every kill MRS accepted is recorded in state (`jobs`), marked tainted; the next apply keeps them, \
             kills none of them twice, and waits again."
        }
        Caller::Action => {
            "The kills MRS accepted stand; invoking the action again kills none of them twice."
        }
    }
}

fn stopped_detail(quiet: &Quiet<'_>, pending: &[String]) -> String {
    format!(
        "Terraform was stopped while waiting for cluster {} to become quiet{}. {}",
        quiet.cluster_id,
        if pending.is_empty() {
            String::new()
        } else {
            format!(
                "; {} killed job(s) had not ended: {}",
                pending.len(),
                name_jobs(pending)
            )
        },
        kept(quiet.caller)
    )
}

/// Errors that looking again will not cure: refused credentials or permissions, a job or
/// cluster MRS does not know, an answer that makes no sense, a request that cannot be made.
fn lasting(err: &ApiError) -> bool {
    matches!(err.status, Some(401 | 403 | 404))
        || err.is_job_not_found()
        || err.is_cluster_not_found()
        || matches!(
            err.kind,
            ApiErrorKind::Config | ApiErrorKind::Decode | ApiErrorKind::TooLarge
        )
}

/// Polls the cluster until every killed job has ended (`true`), or ends the wait with an error
/// (`false`): the deadline, a stop, or an error that will not go away.
async fn wait_for_all(
    quiet: &Quiet<'_>,
    killed: &mut [KilledJob],
    progress: &(dyn Fn(String) + Send + Sync),
    diags: &mut Diagnostics,
) -> bool {
    loop {
        let pending: Vec<String> = killed
            .iter()
            .filter(|j| j.final_job_state.is_none())
            .map(|j| j.job_id.clone())
            .collect();
        if pending.is_empty() {
            return true;
        }
        if Instant::now() + WAIT_TICK > quiet.deadline {
            diags.add_error(
                "Timed out waiting for killed jobs to end",
                format!(
                    "MRS accepted the kills, but {} job(s) on cluster {} had not ended when the timeout ran out: {}. \
                     {} Raise the timeout, or check the jobs in the MRS console.",
                    pending.len(),
                    quiet.cluster_id,
                    name_jobs(&pending),
                    kept(quiet.caller)
                ),
            );
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(WAIT_TICK) => {}
            () = quiet.stop.cancelled() => {
                diags.add_error("Stopped waiting for the jobs", stopped_detail(quiet, &pending));
                return false;
            }
        }
        let mut looks = tokio::select! {
            looks = quiet.client.look_at_jobs(
                quiet.project_id,
                quiet.cluster_id,
                &pending,
                quiet.deadline,
            ) => looks,
            () = quiet.stop.cancelled() => {
                diags.add_error("Stopped waiting for the jobs", stopped_detail(quiet, &pending));
                return false;
            }
        };
        let mut refused: Option<ApiError> = None;
        for job in killed.iter_mut().filter(|j| pending.contains(&j.job_id)) {
            match looks.remove(&job.job_id) {
                Some(Ok(detail)) => {
                    if let Some(state) = detail.job_state.filter(JobState::is_terminal) {
                        say(
                            quiet,
                            progress,
                            format!("job {} → {}", job.job_id, state.as_str()),
                        );
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
                Some(Err(err)) if lasting(&err) => {
                    refused.get_or_insert(err);
                }
                // Transient trouble: the client already retried; look again next tick.
                Some(Err(_)) | None => {}
            }
        }
        if let Some(err) = refused {
            diags.add_error(
                err.summary(),
                format!(
                    "MRS accepted the kills on cluster {}, but looking at the killed jobs failed in a way that looking \
                     again will not cure. {}\n{}",
                    quiet.cluster_id,
                    kept(quiet.caller),
                    err.detail()
                ),
            );
            return false;
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
    fn messages_name_the_first_hundred_jobs_then_count_the_rest() {
        let ids: Vec<String> = (0..130).map(|i| format!("j{i}")).collect();
        let text = name_jobs(&ids);
        assert!(text.starts_with("j0, j1, "), "{text}");
        assert!(text.ends_with("j99 and 30 more"), "{text}");
        assert_eq!(name_jobs(&ids[..2]), "j0, j1");
    }

    #[test]
    fn refused_credentials_and_unknown_jobs_last_throttling_does_not() {
        let answer =
            |status, body: &str| ApiError::from_response("look", status, None, body.as_bytes());
        assert!(lasting(&answer(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}"#
        )));
        assert!(lasting(&answer(403, "{}")));
        assert!(lasting(&answer(
            400,
            r#"{"error_code":"0176","error_msg":"no job"}"#
        )));
        assert!(!lasting(&answer(429, r#"{"error_code":"APIGW.0308"}"#)));
        assert!(!lasting(&answer(503, "")));
        assert!(!lasting(&ApiError::new(
            ApiErrorKind::Timeout,
            "look",
            "slow"
        )));
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

#[cfg(test)]
#[path = "quiet_clock_tests.rs"]
mod clock_tests;
