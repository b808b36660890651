//! Every MRS and IAM operation the provider calls, each described once: what it is called in an
//! error, its method, its path template, which failures may be retried, and what its answer
//! reads as. [`Api::call`](super::api::Api::call) carries out any of them the same way.
//!
//! **Adding an MRS endpoint** is one [`Endpoint`] constant here and, when its answer is of a new
//! shape, one [`Response`] implementation beside it; [`MrsClient`](super::MrsClient) then
//! offers it with a method of a few lines that names the constant.

use std::marker::PhantomData;

use reqwest::Method;

use super::error::{ApiError, ApiErrorKind};
use super::model::{
    JobDetail, KillAccepted, ListJobsResponse, ProjectsResponse, ShowJobResponse,
    SubmitJobResponse, SubmitJobResult,
};
use super::transport::{Answer, RetryOn, decode, decode_error};

/// Jobs asked for per page of `list jobs` (the API's largest page).
pub const LIST_PAGE_SIZE: usize = 100;

/// Which service an endpoint belongs to: its base URL, and whether `X-Project-Id` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Service {
    /// MRS: requests carry `X-Project-Id` with the path's project.
    Mrs,
    /// IAM: no project header.
    Iam,
}

/// One API operation. `R` is what its answer reads as.
pub(super) struct Endpoint<R> {
    /// How an error names the call; `{name}` is replaced by the argument `name`.
    pub(super) operation: &'static str,
    /// HTTP method.
    pub(super) method: Method,
    /// Which service answers it.
    pub(super) service: Service,
    /// Path template; each `{name}` is one path segment, the argument `name` percent-encoded
    /// whole (an ID holding `/` stays one segment) and refused when empty, `.`, `..` or holding
    /// control characters.
    pub(super) path: &'static str,
    /// Which failures may be tried again.
    pub(super) retry_on: RetryOn,
    pub(super) answer: PhantomData<fn() -> R>,
}

/// `POST /v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}/kill`, answered 202.
/// Retried: a repeated kill is refused with 0175, which the caller reads from the job's state.
pub(super) const KILL_JOB: Endpoint<KillAccepted> = Endpoint {
    operation: "kill job {job_id} on cluster {cluster_id}",
    method: Method::POST,
    service: Service::Mrs,
    path: "/v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}/kill",
    retry_on: RetryOn::Transient,
    answer: PhantomData,
};

/// `GET /v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}`.
pub(super) const SHOW_JOB: Endpoint<JobDetail> = Endpoint {
    operation: "show job {job_id} on cluster {cluster_id}",
    method: Method::GET,
    service: Service::Mrs,
    path: "/v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}",
    retry_on: RetryOn::Transient,
    answer: PhantomData,
};

/// `GET /v2/{project_id}/clusters/{cluster_id}/job-executions?limit=&offset=&...`: one page.
pub(super) const LIST_JOBS_PAGE: Endpoint<ListPage> = Endpoint {
    operation: "list jobs on cluster {cluster_id}",
    method: Method::GET,
    service: Service::Mrs,
    path: "/v2/{project_id}/clusters/{cluster_id}/job-executions",
    retry_on: RetryOn::Transient,
    answer: PhantomData,
};

/// `POST /v2/{project_id}/clusters/{cluster_id}/job-executions`. Retried only when the request
/// surely was not processed (connection refused, 429, 503), so a lost answer cannot start the
/// job twice.
pub(super) const SUBMIT_JOB: Endpoint<SubmitJobResult> = Endpoint {
    operation: "submit job {job_name} on cluster {cluster_id}",
    method: Method::POST,
    service: Service::Mrs,
    path: "/v2/{project_id}/clusters/{cluster_id}/job-executions",
    retry_on: RetryOn::Unprocessed,
    answer: PhantomData,
};

/// IAM `GET /v3/projects?name={region}`.
pub(super) const PROJECTS: Endpoint<ProjectsResponse> = Endpoint {
    operation: "look up the project ID of region {region} in IAM",
    method: Method::GET,
    service: Service::Iam,
    path: "/v3/projects",
    retry_on: RetryOn::Transient,
    answer: PhantomData,
};

/// The error of a [`Response`] that refuses an answer (boxed: it is large, and rare).
pub(super) type Refused = Box<ApiError>;

/// What a successful answer (2xx) of an [`Endpoint`] reads as.
pub(super) trait Response: Sized {
    /// Reads `answer`; an answer that is not what the operation returns is an error.
    fn read(operation: &str, answer: &Answer) -> Result<Self, Refused>;
}

/// JSON bodies read as they are.
fn json<T: serde::de::DeserializeOwned>(operation: &str, answer: &Answer) -> Result<T, Refused> {
    decode(answer).map_err(|reason| Box::new(decode_error(operation, answer, &reason)))
}

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

impl Response for KillAccepted {
    fn read(operation: &str, answer: &Answer) -> Result<Self, Refused> {
        if !is_mrs_kill_answer(answer.status, &answer.body) {
            let mut err = ApiError::from_answer(
                operation,
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
            return Err(Box::new(err));
        }
        Ok(KillAccepted {
            request_id: answer.request_id.clone(),
            status: answer.status,
            warning: (answer.status != 202).then(|| {
                format!(
                    "MRS answered HTTP {} instead of 202 Accepted; the kill request was taken as accepted",
                    answer.status
                )
            }),
        })
    }
}

impl Response for JobDetail {
    fn read(operation: &str, answer: &Answer) -> Result<Self, Refused> {
        let parsed: ShowJobResponse = json(operation, answer)?;
        parsed.job_detail.ok_or_else(|| {
            Box::new(decode_error(
                operation,
                answer,
                "the answer has no job_detail",
            ))
        })
    }
}

/// One page of a listing: its jobs, the `total_record` it states, and the size of its body.
pub(super) struct ListPage {
    /// The page's jobs, at most [`LIST_PAGE_SIZE`].
    pub(super) jobs: Vec<JobDetail>,
    /// How many jobs match in all, as the page says.
    pub(super) total: u64,
    /// Bytes of the answer's body, counted against the listing's byte bound.
    pub(super) bytes: usize,
}

impl Response for ListPage {
    fn read(operation: &str, answer: &Answer) -> Result<Self, Refused> {
        let parsed: ListJobsResponse = json(operation, answer)?;
        match (parsed.job_list, parsed.total_record) {
            (Some(jobs), Some(total)) if jobs.len() <= LIST_PAGE_SIZE => Ok(ListPage {
                jobs,
                total,
                bytes: answer.body.len(),
            }),
            (Some(list), Some(_)) => Err(Box::new(decode_error(
                operation,
                answer,
                &format!(
                    "unexpected response: a page of {} jobs, more than the {LIST_PAGE_SIZE} asked for",
                    list.len()
                ),
            ))),
            (None, _) => Err(Box::new(decode_error(
                operation,
                answer,
                "unexpected response: the answer has no job_list",
            ))),
            (Some(_), None) => Err(Box::new(decode_error(
                operation,
                answer,
                "unexpected response: the answer has no total_record",
            ))),
        }
    }
}

impl Response for SubmitJobResult {
    fn read(operation: &str, answer: &Answer) -> Result<Self, Refused> {
        let parsed: SubmitJobResponse = json(operation, answer)?;
        let result = parsed.job_submit_result.ok_or_else(|| {
            Box::new(decode_error(
                operation,
                answer,
                "the answer has no job_submit_result",
            ))
        })?;
        match result.job_id {
            Some(job_id) if !job_id.is_empty() => Ok(SubmitJobResult {
                job_id,
                state: result.state.unwrap_or_default(),
            }),
            _ => Err(Box::new(decode_error(
                operation,
                answer,
                "job_submit_result has no job_id",
            ))),
        }
    }
}

impl Response for ProjectsResponse {
    fn read(operation: &str, answer: &Answer) -> Result<Self, Refused> {
        json(operation, answer)
    }
}
