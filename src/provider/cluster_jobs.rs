//! The seam between the kill and quiet rules and MRS: what they ask of a cluster (list its
//! jobs, page by page if need be; look at some; look at one; kill one). [`MrsClient`] answers them over HTTP;
//! a unit test answers them from a scripted cluster under tokio's paused clock, so the waits and
//! convergence rules of `kill.rs` and `quiet.rs` run in milliseconds with no server at all.

use std::collections::HashMap;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::mrs::{ApiError, JobDetail, JobFilter, KillAccepted, MrsClient};

/// What killing and quieting need from one MRS endpoint. Deadlines are tokio instants, so a
/// paused clock governs them too.
#[async_trait]
pub trait ClusterJobs: Send + Sync {
    /// Every job on the cluster that passes `filter`, all pages read.
    async fn list_jobs(
        &self,
        project_id: &str,
        cluster_id: &str,
        filter: &JobFilter,
        deadline: Instant,
    ) -> Result<Vec<JobDetail>, ApiError>;

    /// [`ClusterJobs::list_jobs`], sending each page's jobs into `pages` as soon as it is
    /// read (waiting while the channel is full). By default, one page holding everything.
    async fn list_jobs_each_page(
        &self,
        project_id: &str,
        cluster_id: &str,
        filter: &JobFilter,
        deadline: Instant,
        pages: &mpsc::Sender<Vec<JobDetail>>,
    ) -> Result<Vec<JobDetail>, ApiError> {
        let jobs = self
            .list_jobs(project_id, cluster_id, filter, deadline)
            .await?;
        if !jobs.is_empty() {
            let _ = pages.send(jobs.clone()).await;
        }
        Ok(jobs)
    }

    /// Each job's state now; a job missing from the answer could not be looked at in time.
    async fn look_at_jobs(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_ids: &[String],
        deadline: Instant,
    ) -> HashMap<String, Result<JobDetail, ApiError>>;

    /// One job's state now.
    async fn poll_job(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_id: &str,
        deadline: Instant,
    ) -> Result<JobDetail, ApiError>;

    /// Asks for one job to be killed; `Ok` when the kill was accepted.
    async fn kill_job(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_id: &str,
        deadline: Instant,
    ) -> Result<KillAccepted, ApiError>;
}

#[async_trait]
impl ClusterJobs for MrsClient {
    async fn list_jobs(
        &self,
        project_id: &str,
        cluster_id: &str,
        filter: &JobFilter,
        deadline: Instant,
    ) -> Result<Vec<JobDetail>, ApiError> {
        MrsClient::list_jobs(self, project_id, cluster_id, filter, deadline.into_std()).await
    }

    async fn list_jobs_each_page(
        &self,
        project_id: &str,
        cluster_id: &str,
        filter: &JobFilter,
        deadline: Instant,
        pages: &mpsc::Sender<Vec<JobDetail>>,
    ) -> Result<Vec<JobDetail>, ApiError> {
        MrsClient::list_jobs_each_page(
            self,
            project_id,
            cluster_id,
            filter,
            deadline.into_std(),
            Some(pages),
        )
        .await
    }

    async fn look_at_jobs(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_ids: &[String],
        deadline: Instant,
    ) -> HashMap<String, Result<JobDetail, ApiError>> {
        MrsClient::look_at_jobs(self, project_id, cluster_id, job_ids, deadline.into_std()).await
    }

    async fn poll_job(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_id: &str,
        deadline: Instant,
    ) -> Result<JobDetail, ApiError> {
        MrsClient::poll_job(self, project_id, cluster_id, job_id, deadline.into_std()).await
    }

    async fn kill_job(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_id: &str,
        deadline: Instant,
    ) -> Result<KillAccepted, ApiError> {
        MrsClient::kill_job(self, project_id, cluster_id, job_id, deadline.into_std()).await
    }
}
