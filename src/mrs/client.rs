//! The MRS API client: one HTTPS connection pool per configured provider, and the calls the
//! provider needs (kill, show, list and submit jobs; the project ID from IAM).
//!
//! Every call goes through one loop: sign (afresh for each attempt, so `X-Sdk-Date` stays
//! current), send, read a bounded body, and on a transient failure wait as [`retry`] says,
//! never past the caller's deadline. Failures come back as [`ApiError`]s ready for a user.
//!
//! [`retry`]: super::retry

use super::config::{ClientConfig, ConfigError, Credentials};
use super::error::{ApiError, ApiErrorKind};
use super::model::{
    JobDetail, JobState, ListJobsResponse, ProjectsResponse, ShowJobResponse, SubmitJob,
    SubmitJobResponse, SubmitJobResult,
};
use super::retry::{
    GiveUpReason, RetryDecision, RetryPolicy, is_retryable_status, parse_retry_after,
};
use super::signer::{self, AccessKey, SigningInput};
use super::tls::client_tls_config;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tracing::{debug, warn};
use url::Url;

/// Largest error body read; the rest is dropped (only an excerpt is kept anyway).
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;
/// Largest success body read; a longer one is reported as a decode error.
pub const MAX_SUCCESS_BODY_BYTES: usize = 8 * 1024 * 1024;

const REQUEST_ID_HEADER: &str = "x-request-id";
const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// MRS accepted a kill request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillAccepted {
    /// `X-Request-Id` of the answer.
    pub request_id: Option<String>,
    /// HTTP status of the answer: 202, another 2xx, or the 4xx of a confirmed earlier kill.
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
    credentials: Credentials,
    mrs_base: Url,
    iam_base: Url,
    http: reqwest::Client,
    user_agent: String,
    retry: RetryPolicy,
    request_timeout: Duration,
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

/// Which failures of a call may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RetryOn {
    /// Any transient failure: the call is safe to repeat.
    Transient,
    /// Only failures where the request was surely not processed (could not connect, 429, 503),
    /// for calls that would create something twice.
    Unprocessed,
}

struct Call {
    operation: String,
    method: Method,
    url: Url,
    project_id: Option<String>,
    body: Option<Vec<u8>>,
    retry_on: RetryOn,
}

/// A response as read from the wire.
struct Answer {
    status: u16,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
    truncated: bool,
}

/// Why one attempt got no answer.
enum AttemptError {
    Transport(reqwest::Error),
    BadHeader(String),
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
        let http = build_http_client(&config, uses_https)?;
        Ok(MrsClient {
            inner: Arc::new(Inner {
                region: config.region.clone(),
                configured_project_id: config.project_id.clone().filter(|p| !p.trim().is_empty()),
                resolved_project_id: tokio::sync::OnceCell::new(),
                user_agent: user_agent(config.terraform_version.as_deref()),
                retry: RetryPolicy {
                    max_retries: config.max_retries,
                    base_delay: config.retry_base_delay,
                    max_delay: config.retry_max_delay,
                },
                request_timeout: config.request_timeout,
                credentials: config.credentials,
                mrs_base,
                iam_base,
                http,
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
        let answer = self.execute(&call, deadline).await?;
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
    /// 202 is success; another 2xx is success with a warning. If the request had to be retried
    /// and MRS then says the job is not running (an earlier attempt probably killed it), the job
    /// is looked up: when it is `KILLED` that is success with a warning.
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
        match self.execute(&call, deadline).await {
            Ok(answer) => Ok(KillAccepted {
                request_id: answer.request_id,
                status: answer.status,
                warning: (answer.status != 202).then(|| {
                    format!(
                        "MRS answered HTTP {} instead of 202 Accepted; the kill request was taken as accepted",
                        answer.status
                    )
                }),
            }),
            Err(err) if retried_kill_found_job_not_running(&err) => {
                match self.show_job(project_id, cluster_id, job_id, deadline).await {
                    Ok(job) if job.job_state == Some(JobState::Killed) => Ok(KillAccepted {
                        request_id: err.request_id.clone(),
                        status: err.status.unwrap_or_default(),
                        warning: Some(format!(
                            "job was already killed: an earlier attempt of this request most likely \
                             succeeded, and the retry was answered HTTP {} ({})",
                            err.status.unwrap_or_default(),
                            err.error_msg.as_deref().unwrap_or("job not running")
                        )),
                    }),
                    _ => Err(err),
                }
            }
            Err(err) => Err(err),
        }
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
        let answer = self.execute(&call, deadline).await?;
        let parsed: ShowJobResponse =
            decode(&answer).map_err(|reason| decode_error(&operation, &answer, &reason))?;
        parsed
            .job_detail
            .ok_or_else(|| decode_error(&operation, &answer, "the answer has no job_detail"))
    }

    /// Lists the jobs of a cluster (`GET .../job-executions`), as the service's default page
    /// returns them.
    pub async fn list_jobs(
        &self,
        project_id: &str,
        cluster_id: &str,
        deadline: Instant,
    ) -> Result<Vec<JobDetail>, ApiError> {
        let operation = format!("list jobs on cluster {cluster_id}");
        if let Some(err) = invalid_id(
            &operation,
            &[("project_id", project_id), ("cluster_id", cluster_id)],
        ) {
            return Err(err);
        }
        let call = Call {
            url: self.job_url(project_id, cluster_id, &[]),
            operation: operation.clone(),
            method: Method::GET,
            project_id: Some(project_id.to_owned()),
            body: None,
            retry_on: RetryOn::Transient,
        };
        let answer = self.execute(&call, deadline).await?;
        let parsed: ListJobsResponse =
            decode(&answer).map_err(|reason| decode_error(&operation, &answer, &reason))?;
        Ok(parsed.job_list)
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
        let answer = self.execute(&call, deadline).await?;
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

    /// Runs `call` with retries until success, a permanent failure, or `deadline`.
    async fn execute(&self, call: &Call, deadline: Instant) -> Result<Answer, ApiError> {
        let mut attempt = 0u32;
        let mut last_failure: Option<ApiError> = None;
        loop {
            attempt += 1;
            let remaining = deadline
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero());
            let Some(remaining) = remaining else {
                return Err(deadline_error(call, attempt - 1, last_failure, None));
            };
            let timeout = remaining.min(self.inner.request_timeout);
            let started = Instant::now();
            let outcome = self.attempt(call, timeout).await;
            let latency_ms = started.elapsed().as_millis();
            let (failure, retry_after) = match outcome {
                Ok(answer) => {
                    debug!(
                        method = %call.method,
                        path = call.url.path(),
                        status = answer.status,
                        request_id = answer.request_id.as_deref().unwrap_or("-"),
                        latency_ms,
                        attempt,
                        "MRS API attempt answered"
                    );
                    if (200..300).contains(&answer.status) {
                        return Ok(answer);
                    }
                    let mut err = ApiError::from_response(
                        &call.operation,
                        answer.status,
                        answer.request_id.clone(),
                        &answer.body,
                    );
                    err.attempts = attempt;
                    let retryable = match call.retry_on {
                        RetryOn::Transient => is_retryable_status(answer.status),
                        RetryOn::Unprocessed => matches!(answer.status, 429 | 503),
                    };
                    if !retryable {
                        return Err(err);
                    }
                    (err, answer.retry_after)
                }
                Err(AttemptError::BadHeader(reason)) => {
                    let mut err = ApiError::new(ApiErrorKind::Config, &call.operation, reason);
                    err.attempts = attempt;
                    return Err(err);
                }
                Err(AttemptError::Transport(e)) => {
                    let cause = error_chain(&e);
                    debug!(
                        method = %call.method,
                        path = call.url.path(),
                        error = %cause,
                        latency_ms,
                        attempt,
                        "MRS API attempt failed"
                    );
                    if e.is_timeout() && timeout < self.inner.request_timeout {
                        // The deadline, not the per-request limit, cut this attempt short.
                        let mut err = ApiError::new(
                            ApiErrorKind::Deadline,
                            &call.operation,
                            format!("no answer before the deadline ({cause})"),
                        );
                        err.attempts = attempt;
                        return Err(err);
                    }
                    let kind = if e.is_timeout() {
                        ApiErrorKind::Timeout
                    } else {
                        ApiErrorKind::Connect
                    };
                    let mut err = ApiError::new(kind, &call.operation, cause);
                    err.attempts = attempt;
                    let retryable = match call.retry_on {
                        RetryOn::Transient => !e.is_builder(),
                        RetryOn::Unprocessed => e.is_connect(),
                    };
                    if !retryable {
                        return Err(err);
                    }
                    (err, None)
                }
            };
            let decision = self.inner.retry.decide(
                attempt,
                retry_after,
                Instant::now(),
                deadline,
                &mut rand::rng(),
            );
            match decision {
                RetryDecision::RetryAfter(wait) => {
                    debug!(
                        method = %call.method,
                        path = call.url.path(),
                        attempt,
                        wait_ms = wait.as_millis(),
                        "retrying MRS API call"
                    );
                    last_failure = Some(failure);
                    tokio::time::sleep(wait).await;
                }
                RetryDecision::GiveUp(GiveUpReason::RetriesExhausted) => return Err(failure),
                RetryDecision::GiveUp(GiveUpReason::DeadlineWouldPass { wait }) => {
                    return Err(deadline_error(call, attempt, Some(failure), Some(wait)));
                }
            }
        }
    }

    /// One signed HTTP exchange with a bounded body read.
    async fn attempt(&self, call: &Call, timeout: Duration) -> Result<Answer, AttemptError> {
        let body = call.body.as_deref().unwrap_or_default();
        let mut headers = vec![("User-Agent".to_owned(), self.inner.user_agent.clone())];
        if let Some(project_id) = &call.project_id {
            headers.push(("X-Project-Id".to_owned(), project_id.clone()));
        }
        if call.body.is_some() {
            headers.push(("Content-Type".to_owned(), JSON_CONTENT_TYPE.to_owned()));
        }
        let headers = match &self.inner.credentials {
            Credentials::AkSk {
                access_key,
                secret_key,
                security_token,
            } => {
                if let Some(token) = security_token {
                    headers.push(("X-Security-Token".to_owned(), token.clone()));
                }
                let input = SigningInput {
                    method: call.method.as_str(),
                    url: &call.url,
                    headers: &headers,
                    body,
                };
                let key = AccessKey {
                    access_key,
                    secret_key,
                };
                signer::sign(&input, key, &signer::sdk_date(SystemTime::now())).headers
            }
            Credentials::Token(token) => {
                headers.push(("X-Auth-Token".to_owned(), token.clone()));
                headers
            }
        };

        let mut request = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .timeout(timeout);
        for (name, value) in &headers {
            // reqwest derives Host from the URL exactly as the signer did.
            if name.eq_ignore_ascii_case("host") {
                continue;
            }
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| AttemptError::BadHeader(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                AttemptError::BadHeader(format!("header {name} has a value that cannot be sent"))
            })?;
            request = request.header(name, value);
        }
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }

        let mut response = request.send().await.map_err(AttemptError::Transport)?;
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let cap = if (200..300).contains(&status) {
            MAX_SUCCESS_BODY_BYTES
        } else {
            MAX_ERROR_BODY_BYTES
        };
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = response.chunk().await.map_err(AttemptError::Transport)? {
            let room = cap - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            request_id,
            retry_after,
            body,
            truncated,
        })
    }
}

/// A kill that was retried and then told "not running" may have succeeded on an earlier try.
fn retried_kill_found_job_not_running(err: &ApiError) -> bool {
    err.kind == ApiErrorKind::Http
        && err.attempts > 1
        && matches!(err.status, Some(400..=499))
        && (err.is_job_not_running() || err.status == Some(400))
}

fn deadline_error(
    call: &Call,
    attempts: u32,
    last: Option<ApiError>,
    wait: Option<Duration>,
) -> ApiError {
    let mut err =
        last.unwrap_or_else(|| ApiError::new(ApiErrorKind::Deadline, &call.operation, ""));
    let earlier = err.cause.take().filter(|c| !c.is_empty());
    let mut cause = match wait {
        Some(wait) => format!(
            "the next retry would have waited {:.1}s, past the deadline",
            wait.as_secs_f64()
        ),
        None => "the deadline passed before another attempt could be made".to_owned(),
    };
    if let Some(earlier) = earlier {
        cause.push_str(&format!("; last failure: {earlier}"));
    }
    err.kind = ApiErrorKind::Deadline;
    err.cause = Some(cause);
    err.attempts = attempts;
    err
}

/// Parses a success body; the error is the reason, for [`decode_error`].
fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T, String> {
    if answer.truncated {
        return Err(format!(
            "the answer is larger than {MAX_SUCCESS_BODY_BYTES} bytes"
        ));
    }
    serde_json::from_slice(&answer.body)
        .map_err(|e| format!("the answer is not the expected JSON ({e})"))
}

fn decode_error(operation: &str, answer: &Answer, reason: &str) -> ApiError {
    let mut err = ApiError::new(ApiErrorKind::Decode, operation, reason);
    err.status = Some(answer.status);
    err.request_id = answer.request_id.clone();
    err.body_excerpt = super::error::body_excerpt(&answer.body);
    err
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

/// `terraform-provider-mrs/<version>`, plus ` terraform/<v>` when Terraform's version is known
/// and fit for a header.
fn user_agent(terraform_version: Option<&str>) -> String {
    let mut ua = format!("terraform-provider-mrs/{}", env!("CARGO_PKG_VERSION"));
    if let Some(v) = terraform_version
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic()))
    {
        ua.push_str(&format!(" terraform/{v}"));
    }
    ua
}

fn build_http_client(
    config: &ClientConfig,
    uses_https: bool,
) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_keepalive(Duration::from_secs(30))
        // A redirect would be sent unsigned for its new URL; surface it instead.
        .redirect(reqwest::redirect::Policy::none())
        .tls_backend_preconfigured(client_tls_config(config, uses_https)?)
        .build()
        .map_err(|e| ConfigError::HttpClient(error_chain(&e)))
}

/// An error and its sources on one line; reqwest's top-level message alone is often vague.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
