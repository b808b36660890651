//! Plan-time checks of a new kill: what would fail the apply fails the plan instead.
//!
//! When a plan creates `mrs_job_kill` (or `mrs_jobs_kill` names jobs in `job_ids`) and the
//! provider and IDs are known, the job is looked at once, without killing anything:
//!
//! | the look finds | the plan gets |
//! |---|---|
//! | the job pending | nothing |
//! | the job ended (`KILLED`, `FAILED`, `FINISHED`) | a warning naming the state and what apply will do |
//! | no such job (`0176`) | an error on the attribute naming the job |
//! | no such cluster (`12000003`) | an error on `cluster_id` |
//! | rejected credentials (401/403, e.g. `APIGW.0301`), no project for the region, another 4xx, a certificate TLS refuses | an error |
//! | a timeout, 5xx or 429 after the retries, an answer it cannot read | a warning that the check could not be made |
//!
//! Terraform plans every resource of a configuration at once, so N kills on one cluster ask
//! together. The first listing of the cluster's `RUNNING` jobs is shared by every check of that
//! cluster for [`FRESH`] (it also teaches the client's poller when each job was submitted); jobs
//! not in it are looked at through the client's coalescing poller (`look_at_jobs`). N kills of
//! running jobs cost one listing, not N requests.
//!
//! Values read here never enter the plan (a job's state is only known after apply, and a
//! planned value the apply cannot reproduce is an error in Terraform); only `project_id`, which
//! the provider looks up once and which does not change, is filled in.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::Clients;
use super::api_errors::{add_api_error, add_job_error, for_job_ids};
use super::location::{CLUSTER_ID, JOB_EXECUTION_ID, PROJECT_ID, REGION};
use super::quiet::{Selection, Target};
use crate::framework::{Attr, Ctx, Diagnostics, PlanEdit};
use crate::mrs::{ApiError, ApiErrorKind, JobDetail, JobFilter, JobState, MrsClient};
use crate::tfvalue::{AttributePath, Value};

/// Time allowed for one plan-time check, retries included. Beyond it the plan goes ahead with a
/// warning: the apply has its own, longer, timeout.
pub const PLAN_CHECK_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a listing of a cluster's running jobs answers the checks of that cluster.
pub const FRESH: Duration = Duration::from_secs(10);

/// One shared listing: when it was made and what it found.
type Listing = (Instant, Result<Arc<HashMap<String, JobDetail>>, ApiError>);
/// Region, project and cluster.
type ClusterKey = (String, String, String);

/// The listings in flight or fresh, per cluster. A provider process serves one provider
/// configuration, so region, project and cluster name one cluster.
static RUNNING_JOBS: LazyLock<Mutex<HashMap<ClusterKey, Arc<OnceCell<Listing>>>>> =
    LazyLock::new(Mutex::default);

/// `mrs_job_kill`'s check of a create: called from its `modify_plan`.
pub async fn check_new_kill(ctx: &Ctx<Clients>, plan: &mut PlanEdit<'_>) {
    if !plan.is_create() || plan.has_errors() {
        return;
    }
    let Some(clients) = ctx.configured() else {
        return;
    };
    let planned = plan.config();
    let (Attr::Known(cluster_id), Attr::Known(job_id)) =
        (planned.string(CLUSTER_ID), planned.string(JOB_EXECUTION_ID))
    else {
        return;
    };
    // The planned region is the provider's when the configuration leaves it unset; the
    // project is looked up when the configuration leaves it unset.
    let (Some(region), Some(project_id)) = (
        settled(planned.string(REGION)),
        settled(plan.configured().string(PROJECT_ID)),
    ) else {
        return;
    };
    let deadline = Instant::now() + PLAN_CHECK_TIMEOUT;
    let stop = ctx.stop_token().clone();
    let check = async {
        let (client, project_id) = locate(
            clients,
            plan,
            region.as_deref(),
            project_id.as_deref(),
            deadline,
        )
        .await?;
        let looks = look(&client, &project_id, &cluster_id, &[job_id], deadline).await;
        report(looks, &cluster_id, "job_execution_id", plan.diagnostics());
        Some(())
    };
    tokio::select! {
        _ = check => {}
        () = stop.cancelled() => {}
    }
}

/// `mrs_jobs_kill`'s check of the jobs its plan found: a `job_ids` entry that is not pending
/// (the listing by state did not show it) is looked at: no such job is an error on `job_ids`,
/// one that has ended a warning.
pub async fn check_named_jobs(
    client: &MrsClient,
    project_id: &str,
    selection: &Selection,
    targets: &[Target],
    deadline: Instant,
    diags: &mut Diagnostics,
) {
    if selection.job_ids.is_none() {
        return;
    }
    let unseen: Vec<String> = targets
        .iter()
        .filter(|t| t.state.is_none())
        .map(|t| t.job_id.clone())
        .collect();
    if unseen.is_empty() {
        return;
    }
    let looks = look(client, project_id, &selection.cluster_id, &unseen, deadline).await;
    let mut found = Diagnostics::new();
    report(looks, &selection.cluster_id, "job_ids", &mut found);
    diags.extend(for_job_ids(found));
}

/// The client and project ID for a plan-time check, filling the planned `project_id` once it
/// is known; `None` when the check cannot go on (a problem is then in the plan's diagnostics,
/// or the region check already reported one).
pub async fn locate(
    clients: &Clients,
    plan: &mut PlanEdit<'_>,
    region: Option<&str>,
    project_id: Option<&str>,
    deadline: Instant,
) -> Option<(MrsClient, String)> {
    if clients.check_region(region).is_err() {
        return None;
    }
    let client = match clients.for_region(region) {
        Ok(client) => client,
        Err(e) => {
            plan.add_error("Unable to set up the MRS client", e.to_string());
            return None;
        }
    };
    let project_id = match project_id {
        Some(p) => p.to_owned(),
        None => match client.project_id(deadline.into_std()).await {
            Ok(p) => p,
            Err(e) => {
                report_error(&e, None, "the project of this region", plan.diagnostics());
                return None;
            }
        },
    };
    plan.fill_unknown(PROJECT_ID, Value::String(project_id.clone()));
    Some((client, project_id))
}

/// Reports a failed plan-time listing of a cluster: an error when the apply would fail the same
/// way, a warning when it may pass.
pub fn report_cluster_error(error: &ApiError, cluster_id: &str, diags: &mut Diagnostics) {
    report_error(error, None, &format!("cluster {cluster_id}"), diags);
}

/// A known value, or null as `None`; `None` of `None` while it is unknown.
fn settled(attr: Attr<String>) -> Option<Option<String>> {
    match attr {
        Attr::Known(v) => Some(Some(v)),
        Attr::Null => Some(None),
        Attr::Unknown => None,
    }
}

/// What the checks know of each job: from the cluster's shared listing of running jobs, or
/// through the poller. A job missing from the answer could not be looked at in time. A
/// failed listing answers for every job.
async fn look(
    client: &MrsClient,
    project_id: &str,
    cluster_id: &str,
    job_ids: &[String],
    deadline: Instant,
) -> Result<HashMap<String, Result<JobDetail, ApiError>>, ApiError> {
    let running = running_jobs(client, project_id, cluster_id, deadline).await?;
    let mut answers = HashMap::new();
    let mut rest = Vec::new();
    for id in job_ids {
        match running.get(id) {
            Some(job) => {
                answers.insert(id.clone(), Ok(job.clone()));
            }
            None => rest.push(id.clone()),
        }
    }
    if !rest.is_empty() {
        answers.extend(
            client
                .look_at_jobs(project_id, cluster_id, &rest, deadline.into_std())
                .await,
        );
    }
    Ok(answers)
}

/// The cluster's running jobs, listed once for every check that asks within [`FRESH`].
async fn running_jobs(
    client: &MrsClient,
    project_id: &str,
    cluster_id: &str,
    deadline: Instant,
) -> Result<Arc<HashMap<String, JobDetail>>, ApiError> {
    let key = (
        client.region().to_owned(),
        project_id.to_owned(),
        cluster_id.to_owned(),
    );
    let cell = {
        let mut all = RUNNING_JOBS.lock().unwrap_or_else(PoisonError::into_inner);
        let cell = all.entry(key).or_default();
        if cell.get().is_some_and(|(at, _)| at.elapsed() > FRESH) {
            *cell = Arc::default();
        }
        Arc::clone(cell)
    };
    let (_, listed) = cell
        .get_or_init(|| async {
            let filter = JobFilter {
                job_state: Some(JobState::Running),
                ..JobFilter::default()
            };
            let listed = client
                .list_jobs(project_id, cluster_id, &filter, deadline.into_std())
                .await
                .map(|jobs| {
                    Arc::new(
                        jobs.into_iter()
                            .filter_map(|job| job.job_id.clone().map(|id| (id, job)))
                            .collect(),
                    )
                });
            (Instant::now(), listed)
        })
        .await;
    listed.clone()
}

/// The findings of [`look`], each as the table at the top of this file says.
fn report(
    looks: Result<HashMap<String, Result<JobDetail, ApiError>>, ApiError>,
    cluster_id: &str,
    attribute: &str,
    diags: &mut Diagnostics,
) {
    let mut looks = match looks {
        Ok(looks) => looks,
        Err(e) => return report_cluster_error(&e, cluster_id, diags),
    };
    let mut ids: Vec<String> = looks.keys().cloned().collect();
    ids.sort();
    for id in ids {
        match looks.remove(&id) {
            Some(Ok(job)) => {
                if let Some(state) = job.job_state.filter(JobState::is_terminal) {
                    diags.add_attribute_warning(
                        AttributePath::attr(attribute),
                        format!("Job {id} has already ended ({state})"),
                        format!(
                            "Job {id} on cluster {cluster_id} is {state}. The apply still sends its kill; MRS refuses \
                             it (0175) because the job has ended, and the kill is recorded as done with \
                             final_job_state = \"{state}\". Nothing is stopped."
                        ),
                    );
                }
            }
            Some(Err(e)) => report_error(
                &e,
                Some((cluster_id, &id)),
                &format!("job {id} on cluster {cluster_id}"),
                diags,
            ),
            None => {}
        }
    }
}

/// An error when the apply would fail the same way, on the attribute at fault; otherwise a
/// warning that `what` could not be checked.
fn report_error(error: &ApiError, job: Option<(&str, &str)>, what: &str, diags: &mut Diagnostics) {
    if fails_the_apply(error) {
        match job {
            Some((cluster_id, job_id)) => add_job_error(error, cluster_id, job_id, diags),
            None => add_api_error(error, diags),
        }
        return;
    }
    let cause = error
        .cause
        .as_deref()
        .map(|cause| format!(" ({cause})"))
        .unwrap_or_default();
    diags.add_warning(
        format!("Could not check {what} before the apply"),
        format!(
            "{}{cause}. The plan goes ahead; the apply asks MRS again, with its own timeout and retries.",
            error.summary()
        ),
    );
}

/// True when the same request at apply time would fail the same way: MRS does not know the job
/// or cluster, the credentials or the project are refused, the request was refused as written,
/// or the answers are more than the provider reads. Timeouts, unreachable endpoints, throttling
/// and server trouble may pass.
fn fails_the_apply(error: &ApiError) -> bool {
    if error.is_job_not_found() || error.is_cluster_not_found() {
        return true;
    }
    match (error.kind, error.status) {
        // A certificate TLS refused stays refused (the transport does not retry it either); a
        // listing larger than the provider reads stays so until fewer jobs match.
        (ApiErrorKind::Config | ApiErrorKind::Tls | ApiErrorKind::TooLarge, _) => true,
        (ApiErrorKind::Http, Some(status)) => {
            (400..500).contains(&status) && !matches!(status, 408 | 409 | 429)
        }
        (ApiErrorKind::Deadline, Some(401 | 403)) => true,
        _ => false,
    }
}

#[cfg(test)]
#[path = "plan_check_tests.rs"]
mod tests;
