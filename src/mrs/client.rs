//! The MRS API operations the provider needs: kill, show, list and submit jobs, and the project
//! ID from IAM. Each describes its call (path, project, body, which failures may be retried)
//! and decodes the answer; [`transport`] signs, sends and retries it.
//!
//! [`transport`]: super::transport

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use reqwest::Method;
use reqwest::header::HeaderValue;
use tracing::warn;
use url::Url;

use super::config::{ClientConfig, ConfigError, Credentials};
use super::error::{ApiError, ApiErrorKind};
use super::model::{
    JobDetail, JobFilter, ListJobsResponse, ProjectsResponse, ShowJobResponse, SubmitJob,
    SubmitJobResponse, SubmitJobResult,
};
use super::poller::Poller;
use super::signer;
#[cfg(test)]
use super::transport::user_agent;
use super::transport::{Call, RetryOn, Transport, decode, decode_error};

/// Jobs asked for per page of `list jobs` (the API's largest page).
pub const LIST_PAGE_SIZE: usize = 100;
/// Pages read before a listing is given up as endless (100 000 jobs).
const MAX_LIST_PAGES: usize = 1_000;
/// Pages of one listing read at the same time once `total_record` is known.
const LIST_PAGES_AT_ONCE: usize = 8;

/// True for the answers MRS gives an accepted kill: 202 whatever its body, or 200 with an empty
/// body or a JSON object. Anything else (a 200 HTML page from a proxy or captive portal, a 204)
/// did not come from MRS's kill route.
fn is_mrs_kill_answer(status: u16, body: &[u8]) -> bool {
    match status {
        202 => true,
        200 => {
            body.iter().all(u8::is_ascii_whitespace)
                || matches!(
                    serde_json::from_slice::<serde_json::Value>(body),
                    Ok(serde_json::Value::Object(_))
                )
        }
        _ => false,
    }
}

/// MRS accepted a kill request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillAccepted {
    /// `X-Request-Id` of the answer.
    pub request_id: Option<String>,
    /// HTTP status of the answer: 202, or another 2xx.
    pub status: u16,
    /// Set when the outcome is success with a caveat (see the text).
    pub warning: Option<String>,
}

/// Client of one MRS endpoint (and its IAM), shared cheaply by cloning.
#[derive(Clone)]
pub struct MrsClient {
    inner: Arc<Inner>,
}

struct Inner {
    region: String,
    configured_project_id: Option<String>,
    resolved_project_id: tokio::sync::OnceCell<String>,
    mrs_base: Url,
    iam_base: Url,
    transport: Transport,
    poller: Poller,
}

impl fmt::Debug for MrsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MrsClient")
            .field("region", &self.inner.region)
            .field("endpoint", &self.inner.mrs_base.as_str())
            .field("iam_endpoint", &self.inner.iam_base.as_str())
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
        let transport = Transport::new(&config, uses_https)?;
        Ok(MrsClient {
            inner: Arc::new(Inner {
                region: config.region.clone(),
                configured_project_id: config.project_id.clone().filter(|p| !p.trim().is_empty()),
                resolved_project_id: tokio::sync::OnceCell::new(),
                mrs_base,
                iam_base,
                transport,
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
        let url = join_url(
            &self.inner.iam_base,
            &["v3", "projects"],
            &[("name", &region)],
        );
        let call = Call {
            operation: operation.clone(),
            method: Method::GET,
            url,
            project_id: None,
            body: None,
            retry_on: RetryOn::Transient,
        };
        let answer = self.inner.transport.execute(&call, deadline).await?;
        let projects: ProjectsResponse =
            decode(&answer).map_err(|reason| decode_error(&operation, &answer, &reason))?;
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
        let operation = format!("kill job {job_id} on cluster {cluster_id}");
        if let Some(err) = invalid_id(
            &operation,
            &[
                ("project_id", project_id),
                ("cluster_id", cluster_id),
                ("job_id", job_id),
            ],
        ) {
            return Err(err);
        }
        let url = self.job_url(project_id, cluster_id, &[job_id, "kill"]);
        let call = Call {
            operation,
            method: Method::POST,
            url,
            project_id: Some(project_id.to_owned()),
            body: None,
            retry_on: RetryOn::Transient,
        };
        let answer = self.inner.transport.execute(&call, deadline).await?;
        if !is_mrs_kill_answer(answer.status, &answer.body) {
            let mut err = ApiError::from_answer(
                &call.operation,
                answer.status,
                answer.request_id.clone(),
                &answer.body,
                &answer.sent,
            );
            err.kind = ApiErrorKind::NotConfirmed;
            err.cause = Some(
                "MRS answers a kill with 202 Accepted (or 200 with an empty or JSON body), so this \
                 answer came from something else and the kill is not taken as accepted"
                    .to_owned(),
            );
            return Err(err);
        }
        Ok(KillAccepted {
            request_id: answer.request_id,
            status: answer.status,
            warning: (answer.status != 202).then(|| {
                format!(
                    "MRS answered HTTP {} instead of 202 Accepted; the kill request was taken as accepted",
                    answer.status
                )
            }),
        })
    }

    /// Reads one job (`GET .../job-executions/{job_id}`).
    pub async fn show_job(
        &self,
        project_id: &str,
        cluster_id: &str,
        job_id: &str,
        deadline: Instant,
    ) -> Result<JobDetail, ApiError> {
        let operation = format!("show job {job_id} on cluster {cluster_id}");
        if let Some(err) = invalid_id(
            &operation,
            &[
                ("project_id", project_id),
                ("cluster_id", cluster_id),
                ("job_id", job_id),
            ],
        ) {
            return Err(err);
        }
        let call = Call {
            url: self.job_url(project_id, cluster_id, &[job_id]),
            operation: operation.clone(),
            method: Method::GET,
            project_id: Some(project_id.to_owned()),
            body: None,
            retry_on: RetryOn::Transient,
        };
        let answer = self.inner.transport.execute(&call, deadline).await?;
        let parsed: ShowJobResponse =
            decode(&answer).map_err(|reason| decode_error(&operation, &answer, &reason))?;
        parsed
            .job_detail
            .ok_or_else(|| decode_error(&operation, &answer, "the answer has no job_detail"))
    }

    /// Lists every job of a cluster that passes `filter` (`GET .../job-executions`), reading
    /// every page: [`LIST_PAGE_SIZE`] jobs per page, `offset` being the page number from 1. The
    /// first page tells `total_record`; the pages after it are read [`LIST_PAGES_AT_ONCE`] at a
    /// time, then on one by one while pages come back full (jobs arrived meanwhile), until a
    /// short page. MRS answers 202 (or 200). A job that moves from one page to the next while the
    /// pages are read (a new job pushes the list down) is kept once.
    ///
    /// Bounds: at most [`MAX_LIST_PAGES`] pages, a `total_record` within them, and an answer
    /// without `job_list` or `total_record`, or a later page identical to the first (a server
    /// that ignores `offset`), is an unexpected-response error rather than a silent result.
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
        let send = |fresh: &[JobDetail]| {
            let fresh = fresh.to_vec();
            async move {
                if let Some(pages) = pages
                    && !fresh.is_empty()
                {
                    let _ = pages.send(fresh).await;
                }
            }
        };
        let operation = format!("list jobs on cluster {cluster_id}");
        if let Some(err) = invalid_id(
            &operation,
            &[("project_id", project_id), ("cluster_id", cluster_id)],
        ) {
            return Err(err);
        }
        let page_of = |page: usize| {
            self.list_page(project_id, cluster_id, filter, page, &operation, deadline)
        };
        let (first, total) = page_of(1).await?;
        let most = (MAX_LIST_PAGES * LIST_PAGE_SIZE) as u64;
        if total > most {
            return Err(ApiError::new(
                ApiErrorKind::Decode,
                &operation,
                format!(
                    "unexpected response: total_record is {total}, more than the {most} jobs a listing reads; narrow the filters"
                ),
            ));
        }
        let first_ids: Vec<Option<String>> = first.iter().map(|j| j.job_id.clone()).collect();
        let mut jobs: Vec<JobDetail> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut keep = |page: Vec<JobDetail>, jobs: &mut Vec<JobDetail>| {
            for job in page {
                let fresh = match &job.job_id {
                    Some(id) => seen.insert(id.clone()),
                    None => true,
                };
                if fresh {
                    jobs.push(job);
                }
            }
        };
        let repeats = |page: usize, listed: &[JobDetail]| {
            let same = !listed.is_empty()
                && listed.len() == first_ids.len()
                && listed.iter().map(|j| &j.job_id).eq(first_ids.iter());
            same.then(|| {
                ApiError::new(
                    ApiErrorKind::Decode,
                    &operation,
                    format!("unexpected response: page {page} of the listing repeats page 1 (is offset ignored?)"),
                )
            })
        };
        let mut last_count = first.len();
        keep(first, &mut jobs);
        send(&jobs).await;
        let known_pages =
            usize::try_from(total.div_ceil(LIST_PAGE_SIZE as u64)).unwrap_or(MAX_LIST_PAGES);
        let mut next = 2;
        if last_count == LIST_PAGE_SIZE && known_pages >= 2 {
            let mut pages = futures::stream::iter(2..=known_pages.min(MAX_LIST_PAGES))
                .map(|page| async move { (page, page_of(page).await) })
                .buffered(LIST_PAGES_AT_ONCE);
            while let Some((page, answer)) = pages.next().await {
                let (listed, _) = answer?;
                if let Some(err) = repeats(page, &listed) {
                    return Err(err);
                }
                last_count = listed.len();
                let before = jobs.len();
                keep(listed, &mut jobs);
                send(&jobs[before..]).await;
                next = page + 1;
                if last_count < LIST_PAGE_SIZE {
                    break;
                }
            }
        }
        while last_count == LIST_PAGE_SIZE {
            if next > MAX_LIST_PAGES {
                return Err(ApiError::new(
                    ApiErrorKind::Decode,
                    operation,
                    format!(
                        "MRS kept returning full pages for {MAX_LIST_PAGES} pages ({} jobs); narrow the filters",
                        jobs.len()
                    ),
                ));
            }
            let (listed, _) = page_of(next).await?;
            if let Some(err) = repeats(next, &listed) {
                return Err(err);
            }
            last_count = listed.len();
            let before = jobs.len();
            keep(listed, &mut jobs);
            send(&jobs[before..]).await;
            next += 1;
        }
        self.inner.poller.remember(project_id, cluster_id, &jobs);
        Ok(jobs)
    }

    /// One page of a listing, and the `total_record` it states.
    async fn list_page(
        &self,
        project_id: &str,
        cluster_id: &str,
        filter: &JobFilter,
        page: usize,
        operation: &str,
        deadline: Instant,
    ) -> Result<(Vec<JobDetail>, u64), ApiError> {
        let filters = filter.query();
        let limit = LIST_PAGE_SIZE.to_string();
        let page_text = page.to_string();
        let mut query: Vec<(&str, &str)> = filters.iter().map(|(k, v)| (*k, v.as_str())).collect();
        query.push(("limit", &limit));
        query.push(("offset", &page_text));
        let segments = ["v2", project_id, "clusters", cluster_id, "job-executions"];
        let call = Call {
            url: join_url(&self.inner.mrs_base, &segments, &query),
            operation: operation.to_owned(),
            method: Method::GET,
            project_id: Some(project_id.to_owned()),
            body: None,
            retry_on: RetryOn::Transient,
        };
        let answer = self.inner.transport.execute(&call, deadline).await?;
        let parsed: ListJobsResponse =
            decode(&answer).map_err(|reason| decode_error(operation, &answer, &reason))?;
        match (parsed.job_list, parsed.total_record) {
            (Some(list), Some(total)) if list.len() <= LIST_PAGE_SIZE => Ok((list, total)),
            (Some(list), Some(_)) => Err(decode_error(
                operation,
                &answer,
                &format!(
                    "unexpected response: a page of {} jobs, more than the {LIST_PAGE_SIZE} asked for",
                    list.len()
                ),
            )),
            (None, _) => Err(decode_error(
                operation,
                &answer,
                "unexpected response: the answer has no job_list",
            )),
            (Some(_), None) => Err(decode_error(
                operation,
                &answer,
                "unexpected response: the answer has no total_record",
            )),
        }
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
            .look(self, project_id, cluster_id, job_ids, deadline)
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
        if let Some(err) = invalid_id(
            &operation,
            &[("project_id", project_id), ("cluster_id", cluster_id)],
        ) {
            return Err(err);
        }
        let body = serde_json::to_vec(job)
            .map_err(|e| ApiError::new(ApiErrorKind::Config, &operation, e.to_string()))?;
        let call = Call {
            url: self.job_url(project_id, cluster_id, &[]),
            operation: operation.clone(),
            method: Method::POST,
            project_id: Some(project_id.to_owned()),
            body: Some(body),
            retry_on: RetryOn::Unprocessed,
        };
        let answer = self.inner.transport.execute(&call, deadline).await?;
        let parsed: SubmitJobResponse =
            decode(&answer).map_err(|reason| decode_error(&operation, &answer, &reason))?;
        let result = parsed.job_submit_result.ok_or_else(|| {
            decode_error(&operation, &answer, "the answer has no job_submit_result")
        })?;
        match result.job_id {
            Some(job_id) if !job_id.is_empty() => Ok(SubmitJobResult {
                job_id,
                state: result.state.unwrap_or_default(),
            }),
            _ => Err(decode_error(
                &operation,
                &answer,
                "job_submit_result has no job_id",
            )),
        }
    }

    fn job_url(&self, project_id: &str, cluster_id: &str, tail: &[&str]) -> Url {
        let mut segments = vec!["v2", project_id, "clusters", cluster_id, "job-executions"];
        segments.extend_from_slice(tail);
        join_url(&self.inner.mrs_base, &segments, &[])
    }
}

/// The error for the first unusable ID, if any. IDs must be non-empty and not `.`/`..`:
/// those cannot be made to stay one path segment.
fn invalid_id(operation: &str, ids: &[(&str, &str)]) -> Option<ApiError> {
    for (name, value) in ids {
        let problem = if value.is_empty() {
            Some("is empty")
        } else if matches!(*value, "." | "..") {
            Some("cannot be \".\" or \"..\"")
        } else if value.chars().any(char::is_control) {
            Some("contains control characters")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Some(ApiError::new(
                ApiErrorKind::Config,
                operation,
                format!("{name} {value:?} {problem}"),
            ));
        }
    }
    None
}

/// `base` + percent-encoded `segments` + encoded `query`. Each segment is encoded whole, so a
/// `/` in an ID becomes `%2F` and cannot change the path.
fn join_url(base: &Url, segments: &[&str], query: &[(&str, &str)]) -> Url {
    let mut path = base.path().trim_end_matches('/').to_owned();
    for segment in segments {
        path.push('/');
        path.push_str(&signer::encode_component(segment));
    }
    let mut url = base.clone();
    url.set_path(&path);
    if query.is_empty() {
        url.set_query(None);
    } else {
        let q = query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    signer::encode_component(k),
                    signer::encode_component(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        url.set_query(Some(&q));
    }
    url
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
