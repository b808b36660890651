//! Data source `mrs_job_executions`: the jobs of a cluster, filtered as the MRS list API filters
//! them, with every page read.
//!
//! Its arguments and its `jobs` attribute are those of the huaweicloud provider's
//! `huaweicloud_mapreduce_cluster_jobs`, so a configuration moves over by changing the type name.
//! It is also what a configuration iterates over (`for_each`) when it wants one `mrs_job_kill` per
//! running job; `mrs_jobs_kill` does the same in one resource.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::framework::{Attribute, Ctx, DataSource, Diagnostics, Schema};
use crate::mrs::{JobFilter, JobState};
use crate::provider::Clients;
use crate::provider::data_sources::job_entry::{JobEntry, job_entry_type};
use crate::provider::kill::add_api_error;
use crate::provider::location::{ClusterLocation, cluster_location_attributes};
use crate::provider::operation;
use crate::provider::selection::{JOB_NAME, JOB_TYPE, QUEUE, USER};
use crate::provider::validators;
use crate::tfvalue::Type;

/// `id`: `{project_id}/{cluster_id}`.
const ID: &str = "id";
/// `job_id`: only the job with this ID.
const JOB_ID: &str = "job_id";
/// `job_state`: only jobs in this state.
const JOB_STATE: &str = "job_state";
/// `job_result`: only jobs with this result.
const JOB_RESULT: &str = "job_result";
/// `submitted_time_begin`: only jobs submitted at or after this time.
const SUBMITTED_TIME_BEGIN: &str = "submitted_time_begin";
/// `submitted_time_end`: only jobs submitted at or before this time.
const SUBMITTED_TIME_END: &str = "submitted_time_end";
/// `jobs`: the matching jobs.
const JOBS: &str = "jobs";

/// The `mrs_job_executions` data source.
#[derive(Debug, Default)]
pub struct JobExecutionsDataSource;

/// `mrs_job_executions`'s values; field names are attribute names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobExecutionsModel {
    /// `{project_id}/{cluster_id}`.
    pub id: Option<String>,
    /// Where the cluster is: `cluster_id`, `project_id`, `region`.
    #[serde(flatten)]
    pub location: ClusterLocation,
    /// Exactly this job.
    pub job_id: Option<String>,
    /// Part of the job name.
    pub job_name: Option<String>,
    /// Submitting user.
    pub user: Option<String>,
    /// Job type.
    pub job_type: Option<String>,
    /// Job state.
    pub job_state: Option<String>,
    /// Job result.
    pub job_result: Option<String>,
    /// YARN queue.
    pub queue: Option<String>,
    /// Submitted at or after (RFC 3339).
    pub submitted_time_begin: Option<String>,
    /// Submitted at or before (RFC 3339).
    pub submitted_time_end: Option<String>,
    /// The matching jobs.
    pub jobs: Option<Vec<JobEntry>>,
}

/// The job states MRS knows, as the list API's `job_state` filter takes them.
pub const JOB_STATES: [&str; 8] = [
    "NEW",
    "NEW_SAVING",
    "SUBMITTED",
    "ACCEPTED",
    "RUNNING",
    "FINISHED",
    "FAILED",
    "KILLED",
];
/// The job results MRS knows.
pub const JOB_RESULTS: [&str; 4] = ["SUCCEEDED", "FAILED", "KILLED", "UNDEFINED"];

/// A `job_state` the API knows, spelled as it spells it.
pub fn validate_job_state(text: &str) -> Result<(), String> {
    one_of(text, &JOB_STATES, "job state")
}

/// A `job_result` the API knows, spelled as it spells it.
pub fn validate_job_result(text: &str) -> Result<(), String> {
    one_of(text, &JOB_RESULTS, "job result")
}

fn one_of(text: &str, allowed: &[&str], what: &str) -> Result<(), String> {
    if allowed.contains(&text) {
        return Ok(());
    }
    let hint = allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(text.trim()))
        .map(|a| format!(" Write it in capitals: {a:?}."))
        .unwrap_or_default();
    Err(format!(
        "{text:?} is not an MRS {what}; use one of {}.{hint}",
        allowed.join(", ")
    ))
}

/// An RFC 3339 time such as `2026-11-28T14:00:00Z`.
pub fn validate_rfc3339(text: &str) -> Result<(), String> {
    rfc3339_to_epoch_millis(text).map(|_| ())
}

/// RFC 3339 text as milliseconds since the Unix epoch, the unit the list API filters in.
pub fn rfc3339_to_epoch_millis(text: &str) -> Result<i64, String> {
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|e| {
                format!(
                    "{text:?} is not an RFC 3339 time ({e}); write it like \"2026-11-28T14:00:00Z\" or \"2026-11-28T15:00:00+01:00\"."
                )
            })?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| format!("{text:?} is too far from today to be a job's submission time."))
}

fn filter(name: &str, plain: &str, markdown: &str) -> Attribute {
    let check = if name == JOB_ID {
        validators::validate_id
    } else {
        validators::validate_filter
    };
    Attribute::string(name)
        .optional()
        .validate_string(check)
        .describe(plain, markdown)
}

/// Builds the API filter from the model; the times were checked at validate.
fn job_filter(model: &JobExecutionsModel, diags: &mut Diagnostics) -> Option<JobFilter> {
    let time = |name: &str, value: &Option<String>, diags: &mut Diagnostics| match value {
        None => Some(None),
        Some(text) => match rfc3339_to_epoch_millis(text) {
            Ok(ms) => Some(Some(ms)),
            Err(message) => {
                diags.add_attribute_error(
                    crate::tfvalue::AttributePath::attr(name),
                    format!("Invalid value for {name}"),
                    message,
                );
                None
            }
        },
    };
    let begin = time(SUBMITTED_TIME_BEGIN, &model.submitted_time_begin, diags)?;
    let end = time(SUBMITTED_TIME_END, &model.submitted_time_end, diags)?;
    Some(JobFilter {
        job_name: model.job_name.clone(),
        job_id: model.job_id.clone(),
        user: model.user.clone(),
        job_type: model.job_type.clone(),
        job_state: model.job_state.as_deref().map(JobState::from_api),
        job_result: model.job_result.clone(),
        queue: model.queue.clone(),
        submitted_time_begin: begin,
        submitted_time_end: end,
    })
}

#[async_trait]
impl DataSource<Clients> for JobExecutionsDataSource {
    type Model = JobExecutionsModel;

    fn type_name(&self) -> &'static str {
        "mrs_job_executions"
    }

    fn schema(&self) -> Schema {
        cluster_location_attributes(
            Schema::new(
                "Lists the jobs of an MRS cluster, filtered as the MRS API filters them.",
                "Lists the jobs of an MRS cluster (`GET …/clusters/{cluster_id}/job-executions`, every page), \
                 filtered as the MRS API filters them. Same arguments and `jobs` attribute as the huaweicloud \
                 provider's `huaweicloud_mapreduce_cluster_jobs`.",
            ),
            false,
        )
        .attribute(filter(JOB_ID, "Only the job with this ID.", "Only the job with this ID."))
        .attribute(filter(
            JOB_NAME,
            "Only jobs whose name contains this text (the API's fuzzy match).",
            "Only jobs whose name contains this text (the API's fuzzy match).",
        ))
        .attribute(filter(USER, "Only jobs submitted by this user.", "Only jobs submitted by this user."))
        .attribute(filter(
            JOB_TYPE,
            "Only jobs of this type, e.g. SparkSubmit.",
            "Only jobs of this type, e.g. `SparkSubmit`, `Flink`, `HiveScript`.",
        ))
        .attribute(
            filter(
                JOB_STATE,
                "Only jobs in this state: NEW, NEW_SAVING, SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED or KILLED.",
                "Only jobs in this state: `NEW`, `NEW_SAVING`, `SUBMITTED`, `ACCEPTED`, `RUNNING`, `FINISHED`, `FAILED` or `KILLED`.",
            )
            .validate_string(validate_job_state),
        )
        .attribute(
            filter(
                JOB_RESULT,
                "Only jobs with this result: SUCCEEDED, FAILED, KILLED or UNDEFINED.",
                "Only jobs with this result: `SUCCEEDED`, `FAILED`, `KILLED` or `UNDEFINED` (not ended).",
            )
            .validate_string(validate_job_result),
        )
        .attribute(filter(QUEUE, "Only jobs in this YARN queue.", "Only jobs in this YARN queue."))
        .attribute(
            filter(
                SUBMITTED_TIME_BEGIN,
                "Only jobs submitted at or after this time (RFC 3339).",
                "Only jobs submitted at or after this time, RFC 3339 (e.g. `2026-11-28T14:00:00Z`); sent to MRS in epoch milliseconds.",
            )
            .validate_string(validate_rfc3339),
        )
        .attribute(
            filter(
                SUBMITTED_TIME_END,
                "Only jobs submitted at or before this time (RFC 3339).",
                "Only jobs submitted at or before this time, RFC 3339; sent to MRS in epoch milliseconds.",
            )
            .validate_string(validate_rfc3339),
        )
        .attribute(
            Attribute::string(ID)
                .computed()
                .describe("project_id/cluster_id.", "`project_id/cluster_id`."),
        )
        .attribute(
            Attribute::new(JOBS, Type::list(job_entry_type()))
                .computed()
                .describe(
                    "The matching jobs, newest first.",
                    "The matching jobs, newest first. Each has `job_id`, `job_name`, `user`, `job_type`, `job_state`, \
                     `job_result`, `job_progress` (0–100), `queue`, `app_id`, `tracking_url`, `submitted_time`, \
                     `started_time`, `finished_time` (RFC 3339, UTC; null when not yet), `elapsed_time` (ms), \
                     `arguments`, `launcher_id` and `properties` (as MRS renders them).",
                ),
        )
    }

    async fn read(
        &self,
        ctx: &Ctx<Clients>,
        mut model: JobExecutionsModel,
        diags: &mut Diagnostics,
    ) -> Option<JobExecutionsModel> {
        let filter = job_filter(&model, diags)?;
        let deadline = Instant::now() + crate::provider::kill::DEFAULT_TIMEOUT;
        let (client, project_id) = operation::locate(ctx, &model.location, deadline, diags).await?;
        let request = client.list_jobs(
            &project_id,
            &model.location.cluster_id,
            &filter,
            deadline.into_std(),
        );
        let listed = operation::read_unless_stopped(ctx, request, diags).await?;
        let jobs = match listed {
            Ok(jobs) => jobs,
            Err(e) => {
                add_api_error(&e, diags);
                return None;
            }
        };
        model.id = Some(format!("{project_id}/{}", model.location.cluster_id));
        model.location.project_id = Some(project_id);
        model.location.region = Some(client.region().to_owned());
        model.jobs = Some(jobs.into_iter().map(JobEntry::from_detail).collect());
        Some(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_results_are_the_apis_words_in_capitals() {
        for state in JOB_STATES {
            assert!(validate_job_state(state).is_ok());
        }
        let err = validate_job_state("running").expect_err("lowercase");
        assert!(err.contains("\"RUNNING\""), "{err}");
        assert!(validate_job_state("DONE").is_err());
        assert!(validate_job_result("SUCCEEDED").is_ok());
        assert!(validate_job_result("OK").is_err());
    }

    #[test]
    fn rfc3339_times_become_epoch_milliseconds() {
        assert_eq!(
            rfc3339_to_epoch_millis("2023-11-14T22:13:20Z"),
            Ok(1_700_000_000_000)
        );
        assert_eq!(
            rfc3339_to_epoch_millis("2023-11-14T23:13:20.5+01:00"),
            Ok(1_700_000_000_500)
        );
        for bad in ["2023-11-14", "yesterday", "2023-11-14T22:13:20", ""] {
            assert!(validate_rfc3339(bad).is_err(), "{bad:?}");
        }
    }
}
