//! Data source `mrs_job_execution`: one job's details, so a configuration can look before it kills
//! (for example `count = data.mrs_job_execution.etl.job_state == "RUNNING" ? 1 : 0`). A job or
//! cluster MRS does not know (0176, 12000003) is an error on the attribute that names it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::framework::{Attribute, Ctx, DataSource, Diagnostics, Schema};
use crate::provider::Clients;
use crate::provider::data_sources::job_executions::JobEntry;
use crate::provider::kill::add_job_error;
use crate::provider::location::job_location_attributes;
use crate::provider::operation;

/// The `mrs_job_execution` data source.
#[derive(Debug, Default)]
pub struct JobExecutionDataSource;

/// `mrs_job_execution`'s values.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobExecutionModel {
    /// `{project_id}/{cluster_id}/{job_execution_id}`.
    pub id: Option<String>,
    /// Cluster ID.
    pub cluster_id: String,
    /// Job execution ID.
    pub job_execution_id: String,
    /// Project ID.
    pub project_id: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// NEW, ACCEPTED, RUNNING, FINISHED, FAILED, KILLED, ...
    pub job_state: Option<String>,
    /// SUCCEEDED, FAILED, KILLED, UNDEFINED.
    pub job_result: Option<String>,
    /// Job name.
    pub job_name: Option<String>,
    /// Job type, e.g. SparkSubmit.
    pub job_type: Option<String>,
    /// Progress, 0–100.
    pub job_progress: Option<f64>,
    /// Submitting user.
    pub user: Option<String>,
    /// YARN queue.
    pub queue: Option<String>,
    /// YARN application ID.
    pub app_id: Option<String>,
    /// RFC 3339.
    pub submitted_time: Option<String>,
    /// RFC 3339.
    pub started_time: Option<String>,
    /// RFC 3339.
    pub finished_time: Option<String>,
}

fn computed(name: &str, plain: &str) -> Attribute {
    Attribute::string(name).computed().describe(plain, plain)
}

#[async_trait]
impl DataSource<Clients> for JobExecutionDataSource {
    type Model = JobExecutionModel;

    fn type_name(&self) -> &'static str {
        "mrs_job_execution"
    }

    fn schema(&self) -> Schema {
        job_location_attributes(Schema::new(
            "Reads one MRS job execution.",
            "Reads one MRS job execution (`GET …/job-executions/{job_execution_id}`), so a configuration can check a job before killing it.",
        ))
        .attribute(computed("id", "project_id/cluster_id/job_execution_id."))
        .attribute(computed("job_state", "Job state: NEW, NEW_SAVING, SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED or KILLED."))
        .attribute(computed("job_result", "Job result: SUCCEEDED, FAILED, KILLED or UNDEFINED."))
        .attribute(computed("job_name", "Job name."))
        .attribute(computed("job_type", "Job type, e.g. SparkSubmit, Flink, HiveScript."))
        .attribute(Attribute::number("job_progress").computed().describe("Progress, 0 to 100.", "Progress, 0 to 100."))
        .attribute(computed("user", "User who submitted the job."))
        .attribute(computed("queue", "YARN queue."))
        .attribute(computed("app_id", "YARN application ID."))
        .attribute(computed("submitted_time", "When the job was submitted (RFC 3339, UTC)."))
        .attribute(computed("started_time", "When the job started (RFC 3339, UTC); null before it starts."))
        .attribute(computed("finished_time", "When the job ended (RFC 3339, UTC); null while it runs."))
    }

    async fn read(
        &self,
        ctx: &Ctx<Clients>,
        mut model: JobExecutionModel,
        diags: &mut Diagnostics,
    ) -> Option<JobExecutionModel> {
        let deadline = Instant::now() + crate::provider::kill::DEFAULT_TIMEOUT;
        let (client, project_id) = operation::locate(
            ctx,
            model.region.as_deref(),
            model.project_id.as_deref(),
            deadline,
            diags,
        )
        .await?;
        let request = client.show_job(
            &project_id,
            &model.cluster_id,
            &model.job_execution_id,
            deadline.into_std(),
        );
        let detail = operation::read_unless_stopped(ctx, request, diags).await?;
        let detail = match detail {
            Ok(detail) => detail,
            Err(e) => {
                add_job_error(&e, &model.cluster_id, &model.job_execution_id, diags);
                return None;
            }
        };
        model.id = Some(format!(
            "{project_id}/{}/{}",
            model.cluster_id, model.job_execution_id
        ));
        model.project_id = Some(project_id);
        model.region = Some(client.region().to_owned());
        // The same conversion and the same names as each of `mrs_job_executions`' jobs.
        let entry = JobEntry::from_detail(detail);
        model.job_state = entry.job_state;
        model.job_result = entry.job_result;
        model.job_name = entry.job_name;
        model.job_type = entry.job_type;
        model.job_progress = entry.job_progress;
        model.user = entry.user;
        model.queue = entry.queue;
        model.app_id = entry.app_id;
        model.submitted_time = entry.submitted_time;
        model.started_time = entry.started_time;
        model.finished_time = entry.finished_time;
        Some(model)
    }
}
