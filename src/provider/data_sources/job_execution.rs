//! Data source `mrs_job_execution`: one job's details, so a configuration can look before it kills
//! (for example `count = data.mrs_job_execution.etl.job_state == "RUNNING" ? 1 : 0`). A job or
//! cluster MRS does not know (0176, 12000003) is an error on the attribute that names it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::framework::{Attribute, Ctx, DataSource, Diagnostics, Schema};
use crate::provider::Clients;
use crate::provider::data_sources::job_entry::{JobDetails, JobEntry, detail_attributes};
use crate::provider::kill::add_job_error;
use crate::provider::location::{JobLocation, job_location_attributes};
use crate::provider::operation;

/// The `mrs_job_execution` data source.
#[derive(Debug, Default)]
pub struct JobExecutionDataSource;

/// `id`: `{project_id}/{cluster_id}/{job_execution_id}`.
const ID: &str = "id";

/// `mrs_job_execution`'s values.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobExecutionModel {
    /// `{project_id}/{cluster_id}/{job_execution_id}`.
    pub id: Option<String>,
    /// Where the job is: `cluster_id`, `job_execution_id`, `project_id`, `region`.
    #[serde(flatten)]
    pub location: JobLocation,
    /// What MRS says of the job, as each of `mrs_job_executions`' jobs shows it.
    #[serde(flatten)]
    pub job: JobDetails,
}

#[async_trait]
impl DataSource<Clients> for JobExecutionDataSource {
    type Model = JobExecutionModel;

    fn type_name(&self) -> &'static str {
        "mrs_job_execution"
    }

    fn schema(&self) -> Schema {
        let schema = job_location_attributes(Schema::new(
            "Reads one MRS job execution.",
            "Reads one MRS job execution (`GET …/job-executions/{job_execution_id}`), so a configuration can check a job before killing it.",
        ))
        .attribute(
            Attribute::string(ID)
                .computed()
                .describe("project_id/cluster_id/job_execution_id.", "project_id/cluster_id/job_execution_id."),
        );
        detail_attributes(schema)
    }

    async fn read(
        &self,
        ctx: &Ctx<Clients>,
        mut model: JobExecutionModel,
        diags: &mut Diagnostics,
    ) -> Option<JobExecutionModel> {
        let deadline = Instant::now() + crate::provider::kill::DEFAULT_TIMEOUT;
        let (client, project_id) = operation::locate(ctx, &model.location, deadline, diags).await?;
        let request = client.show_job(
            &project_id,
            &model.location.cluster_id,
            &model.location.job_execution_id,
            deadline.into_std(),
        );
        let detail = operation::read_unless_stopped(ctx, request, diags).await?;
        let detail = match detail {
            Ok(detail) => detail,
            Err(e) => {
                add_job_error(
                    &e,
                    &model.location.cluster_id,
                    &model.location.job_execution_id,
                    diags,
                );
                return None;
            }
        };
        model.id = Some(format!(
            "{project_id}/{}/{}",
            model.location.cluster_id, model.location.job_execution_id
        ));
        model.location.project_id = Some(project_id);
        model.location.region = Some(client.region().to_owned());
        // The same conversion and the same names as each of `mrs_job_executions`' jobs.
        model.job = JobEntry::from_detail(detail).details;
        Some(model)
    }
}
