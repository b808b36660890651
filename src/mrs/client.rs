//! [`MrsClient`], what the provider holds: the MRS API operations it needs (kill, show, list and
//! submit jobs, the project ID from IAM) and the shared looks at job states.
//!
//! Each method names an operation of `operations.rs`, where it is described once (method, path,
//! retry rule, response type), and calls it through `Api::call` (`api.rs`). **Adding an MRS endpoint** is one `Endpoint` constant in
//! `operations.rs` (plus a `Response` impl when its answer has a new shape) and a method here
//! of a few lines naming it.
//!
//! The client owns the [`Poller`](super::poller) and sits above it: a listing's jobs are handed
//! to the poller here, from above, so the poller's rounds can find them by submission time.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use reqwest::header::HeaderValue;
use tracing::warn;

use super::api::{Api, Args};
use super::config::{ClientConfig, ConfigError};
use super::credentials::{Credentials, RequestSigner};
use super::error::{ApiError, ApiErrorKind};
use super::listing;
pub use super::listing::MAX_LIST_BYTES;
pub use super::model::KillAccepted;
use super::model::{JobDetail, JobFilter, SubmitJob, SubmitJobResult};
pub use super::operations::LIST_PAGE_SIZE;
use super::operations::{KILL_JOB, PROJECTS, SHOW_JOB, SUBMIT_JOB};
use super::poller::Poller;
use super::transport::Transport;
#[cfg(test)]
use super::transport::user_agent;

/// Client of one MRS endpoint (and its IAM), shared cheaply by cloning.
#[derive(Clone)]
pub struct MrsClient {
    inner: Arc<Inner>,
}

struct Inner {
    region: String,
    configured_project_id: Option<String>,
    resolved_project_id: tokio::sync::OnceCell<String>,
    api: Api,
    poller: Poller,
}

impl fmt::Debug for MrsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MrsClient")
            .field("region", &self.inner.region)
            .field("endpoint", &self.inner.api.mrs_base().as_str())
            .field("iam_endpoint", &self.inner.api.iam_base().as_str())
            .finish_non_exhaustive()
    }
}

impl MrsClient {
    /// Builds the client and its connection pool (kept alive across calls).
    ///
    /// Fails on an unusable endpoint, empty credentials or an unreadable CA bundle. A plain
    /// `http://` endpoint is allowed (emulators, test rigs) with a warning in the log.
    pub fn new(config: ClientConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let mrs_base = config.mrs_endpoint()?;
        let iam_base = config.iam_endpoint()?;
        for base in [&mrs_base, &iam_base] {
            if base.scheme() == "http" {
                warn!(
                    endpoint = %base,
                    "endpoint uses plain http: requests and responses travel unencrypted"
                );
            }
        }
        if let Credentials::AkSk {
            security_token: Some(token),
            ..
        } = &config.credentials
            && HeaderValue::from_str(token).is_err()
        {
            return Err(ConfigError::InvalidCredentials(
                "security_token has characters that cannot be sent in an HTTP header",
            ));
        }
        if let Credentials::Token(token) = &config.credentials
            && HeaderValue::from_str(token).is_err()
        {
            return Err(ConfigError::InvalidCredentials(
                "the IAM token has characters that cannot be sent in an HTTP header",
            ));
        }
        let uses_https = [&mrs_base, &iam_base].iter().any(|b| b.scheme() == "https");
        let signer = RequestSigner {
            credentials: config.credentials.clone(),
            algorithm: config.signing_algorithm,
        };
        let transport = Transport::new(&config.transport_settings(), Arc::new(signer), uses_https)?;
        Ok(MrsClient {
            inner: Arc::new(Inner {
                region: config.region.clone(),
                configured_project_id: config.project_id.clone().filter(|p| !p.trim().is_empty()),
                resolved_project_id: tokio::sync::OnceCell::new(),
                api: Api::new(mrs_base, iam_base, transport),
                poller: Poller::default(),
            }),
        })
    }

    /// The configured region.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The project ID: the configured one, or the one IAM lists under the region's name,
    /// looked up once and remembered (a failed look-up is tried again next time).
    pub async fn project_id(&self, deadline: Instant) -> Result<String, ApiError> {
        if let Some(id) = &self.inner.configured_project_id {
            return Ok(id.clone());
        }
        self.inner
            .resolved_project_id
            .get_or_try_init(|| self.resolve_project_id(deadline))
            .await
            .cloned()
    }

    async fn resolve_project_id(&self, deadline: Instant) -> Result<String, ApiError> {
        let region = self.inner.region.clone();
        let operation = format!("look up the project ID of region {region} in IAM");
        let args = Args {
            query: vec![("name", &region)],
            ..Args::values(&[("region", &region)])
        };
        let projects = self.inner.api.call(&PROJECTS, args, deadline).await?;
        let ids: Vec<String> = projects
            .projects
            .into_iter()
            .filter(|p| p.name.as_deref() == Some(region.as_str()))
            .filter_map(|p| p.id)
            .collect();
        match ids.as_slice() {
            [id] => Ok(id.clone()),
            [] => Err(ApiError::new(
                ApiErrorKind::Config,
                operation,
                format!(
                    "IAM lists no project named {region:?} for these credentials; check the region, \
                     or set project_id (HW_PROJECT_ID)"
                ),
            )),
            several => Err(ApiError::new(
                ApiErrorKind::Config,
                operation,
                format!(
                    "IAM lists several projects named {region:?} ({}); set project_id (HW_PROJECT_ID) \
                     to the one to use",
                    several.join(", ")
                ),
            )),
        }
    }

    /// Asks MRS to kill a job (`POST .../job-executions/{job_id}/kill`).
    ///
    /// 202 is success; another 2xx is success with a warning. A refusal because the job is not
    /// running (0175, [`ApiError::is_job_not_running`]) is returned as the error it is, first
    /// attempt or retry: what it means (an earlier kill, the job ended by itself) depends on the
    /// job's state, which the caller looks at (`provider::kill`).
    pub async fn kill_job(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_id: &str,
        deadline: Instant,
    ) -> Result<KillAccepted, ApiError> {
        let args = Args::values(&[
            ("project_id", project_id),
            ("cluster_id", cluster_id),
            ("job_id", job_id),
        ]);
        self.inner.api.call(&KILL_JOB, args, deadline).await
    }

    /// Reads one job (`GET .../job-executions/{job_id}`).
    pub async fn show_job(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_id: &str,
        deadline: Instant,
    ) -> Result<JobDetail, ApiError> {
        let args = Args::values(&[
            ("project_id", project_id),
            ("cluster_id", cluster_id),
            ("job_id", job_id),
        ]);
        self.inner.api.call(&SHOW_JOB, args, deadline).await
    }

    /// Lists every job of a cluster that passes `filter` (`GET .../job-executions`), reading
    /// every page within the bounds of `listing.rs`: at most `MAX_LIST_PAGES` pages and
    /// [`MAX_LIST_BYTES`] of
    /// answers; an answer without `job_list` or `total_record`, or a later page identical to the
    /// first (a server that ignores `offset`), is an unexpected-response error rather than a
    /// silent result. The jobs seen are handed to the poller, so later looks find them by
    /// submission time.
    pub async fn list_jobs(
        &self,
        project_id: &str,
        cluster_id: &str,
        filter: &JobFilter,
        deadline: Instant,
    ) -> Result<Vec<JobDetail>, ApiError> {
        self.list_jobs_each_page(project_id, cluster_id, filter, deadline, None)
            .await
    }

    /// [`Self::list_jobs`], also sending the jobs each page adds into `pages` as soon as the
    /// page is read, so a caller can act on them while later pages are read. The channel's
    /// bound is the listing's: it waits while the channel is full. A closed channel is ignored.
    pub async fn list_jobs_each_page(
        &self,
        project_id: &str,
        cluster_id: &str,
        filter: &JobFilter,
        deadline: Instant,
        pages: Option<&tokio::sync::mpsc::Sender<Vec<JobDetail>>>,
    ) -> Result<Vec<JobDetail>, ApiError> {
        let jobs = listing::list_jobs(
            &self.inner.api,
            project_id,
            cluster_id,
            filter,
            deadline,
            pages,
        )
        .await?;
        self.inner.poller.remember(project_id, cluster_id, &jobs);
        Ok(jobs)
    }

    /// Each job's state as seen after this call, through the cluster's shared poll rounds (see
    /// [`poller`](super::poller)): many callers waiting on one cluster cost a few list calls per
    /// second together. A job missing from the answer could not be looked at before `deadline`.
    pub async fn look_at_jobs(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_ids: &[String],
        deadline: Instant,
    ) -> HashMap<String, Result<JobDetail, ApiError>> {
        self.inner
            .poller
            .look(&self.inner.api, project_id, cluster_id, job_ids, deadline)
            .await
    }

    /// One job's state through the shared poll rounds ([`Self::look_at_jobs`]); a plain
    /// `show job` when no round could answer in time.
    pub async fn poll_job(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_id: &str,
        deadline: Instant,
    ) -> Result<JobDetail, ApiError> {
        let ids = [job_id.to_owned()];
        let mut answers = self
            .look_at_jobs(project_id, cluster_id, &ids, deadline)
            .await;
        match answers.remove(job_id) {
            Some(answer) => answer,
            None => {
                self.show_job(project_id, cluster_id, job_id, deadline)
                    .await
            }
        }
    }

    /// Submits a job (`POST .../job-executions`).
    ///
    /// Retried only when the request surely was not processed (connection refused, 429,
    /// 503), so a lost answer cannot start the job twice.
    pub async fn submit_job(
        &self,
        project_id: &str,
        cluster_id: &str,
        job: &SubmitJob,
        deadline: Instant,
    ) -> Result<SubmitJobResult, ApiError> {
        let operation = format!("submit job {} on cluster {cluster_id}", job.job_name);
        let body = serde_json::to_vec(job)
            .map_err(|e| ApiError::new(ApiErrorKind::Config, &operation, e.to_string()))?;
        let args = Args {
            body: Some(body),
            ..Args::values(&[
                ("project_id", project_id),
                ("cluster_id", cluster_id),
                ("job_name", &job.job_name),
            ])
        };
        self.inner.api.call(&SUBMIT_JOB, args, deadline).await
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
