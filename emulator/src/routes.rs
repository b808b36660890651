//! Request routing and the handlers behind each MRS, IAM and admin route.
//!
//! Every request goes through the same steps a real request meets at Huawei Cloud: the API
//! gateway (faults stand in for its bad days, then authentication), then the service. Admin routes
//! under `/__emulator` skip all of that: they exist so a separately started emulator can be
//! inspected and steered over HTTP.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::Shared;
use super::auth::{
    AuthError, AuthPolicy, Identity, RequestParts, authenticate, check_project_header,
};
use super::faults::{FaultStep, parse_fault_plan};
use super::jobs::{
    JobSpec, JobState, KillOutcome, KillRequest, ListFilter, LookupError, SubmitJob,
};

/// The body a failed kill returns, byte for byte as the official API page shows it
/// (note: not valid JSON, there is no comma between the members). MRS sends it for a kill of a
/// job that is being killed or has ended.
pub const KILL_FAILED_BODY: &str =
    "{\n\"error_msg\": \"Failed to terminate the job.\"\n\"error_code\":\"0175\"\n}";

/// Largest request body the emulator reads (the gateway's limit is of the same order).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

const JSON: &str = "application/json;charset=UTF-8";

/// The five API routes; faults and per-route counters are keyed by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// `POST /v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}/kill`
    Kill,
    /// `GET /v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}`
    ShowJob,
    /// `GET /v2/{project_id}/clusters/{cluster_id}/job-executions`
    ListJobs,
    /// `POST /v2/{project_id}/clusters/{cluster_id}/job-executions`
    SubmitJob,
    /// `GET /v3/projects` (IAM)
    IamProjects,
    /// `POST /v3.0/OS-CREDENTIAL/securitytokens` (IAM: assume an agency)
    SecurityTokens,
    /// `GET /openstack/latest/securitykey` (ECS instance metadata)
    Metadata,
}

impl Route {
    /// Every route, in the order of the API table.
    pub const ALL: [Route; 7] = [
        Self::Kill,
        Self::ShowJob,
        Self::ListJobs,
        Self::SubmitJob,
        Self::IamProjects,
        Self::SecurityTokens,
        Self::Metadata,
    ];

    /// The snake_case name used in fault plans and on the command line, e.g. `show_job`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kill => "kill",
            Self::ShowJob => "show_job",
            Self::ListJobs => "list_jobs",
            Self::SubmitJob => "submit_job",
            Self::IamProjects => "iam_projects",
            Self::SecurityTokens => "security_tokens",
            Self::Metadata => "metadata",
        }
    }
}

/// A route name that is not one of the five API routes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown route {0:?}; expected kill, show_job, list_jobs, submit_job, iam_projects, security_tokens or metadata"
)]
pub struct UnknownRoute(pub String);

impl std::str::FromStr for Route {
    type Err = UnknownRoute;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|route| route.as_str() == s)
            .ok_or_else(|| UnknownRoute(s.to_owned()))
    }
}

/// An API request matched to its route, with the decoded path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ApiCall {
    Mrs {
        project_id: String,
        cluster_id: String,
        op: MrsOp,
    },
    IamProjects,
    SecurityTokens,
    /// `POST /v3.0/OS-AUTH/id-token/tokens` (counted and faulted as `security_tokens`).
    IdToken,
    /// `POST /v5/agencies/assume` on STS (counted and faulted as `security_tokens`).
    StsAssume,
    Metadata,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum MrsOp {
    Kill(String),
    Show(String),
    List,
    Submit,
}

impl ApiCall {
    fn route(&self) -> Route {
        match self {
            Self::IamProjects => Route::IamProjects,
            Self::SecurityTokens | Self::IdToken | Self::StsAssume => Route::SecurityTokens,
            Self::Metadata => Route::Metadata,
            Self::Mrs { op, .. } => match op {
                MrsOp::Kill(_) => Route::Kill,
                MrsOp::Show(_) => Route::ShowJob,
                MrsOp::List => Route::ListJobs,
                MrsOp::Submit => Route::SubmitJob,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdminCall {
    Stats,
    ResetStats,
    ListJobs,
    CreateJob,
    SetFaults,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Api(ApiCall),
    Admin(AdminCall),
    Unknown,
}

fn decode_segment(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

fn match_target(method: &Method, path: &str) -> Target {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let segments: Vec<&str> = trimmed.split('/').collect();
    let mrs = |project: &str, cluster: &str, op| {
        Target::Api(ApiCall::Mrs {
            project_id: decode_segment(project),
            cluster_id: decode_segment(cluster),
            op,
        })
    };
    match (method, segments.as_slice()) {
        (&Method::GET, ["v3", "projects"]) => Target::Api(ApiCall::IamProjects),
        (&Method::POST, ["v3.0", "OS-CREDENTIAL", "securitytokens"]) => {
            Target::Api(ApiCall::SecurityTokens)
        }
        (&Method::GET, ["openstack", "latest", "securitykey"]) => Target::Api(ApiCall::Metadata),
        (&Method::POST, ["v3.0", "OS-AUTH", "id-token", "tokens"]) => Target::Api(ApiCall::IdToken),
        (&Method::POST, ["v5", "agencies", "assume"]) => Target::Api(ApiCall::StsAssume),
        (&Method::GET, ["v2", p, "clusters", c, "job-executions"]) => mrs(p, c, MrsOp::List),
        (&Method::POST, ["v2", p, "clusters", c, "job-executions"]) => mrs(p, c, MrsOp::Submit),
        (&Method::GET, ["v2", p, "clusters", c, "job-executions", j]) => {
            mrs(p, c, MrsOp::Show(decode_segment(j)))
        }
        (&Method::POST, ["v2", p, "clusters", c, "job-executions", j, "kill"]) => {
            mrs(p, c, MrsOp::Kill(decode_segment(j)))
        }
        (&Method::GET, ["__emulator", "stats"]) => Target::Admin(AdminCall::Stats),
        (&Method::POST, ["__emulator", "stats", "reset"]) => Target::Admin(AdminCall::ResetStats),
        (&Method::GET, ["__emulator", "jobs"]) => Target::Admin(AdminCall::ListJobs),
        (&Method::POST, ["__emulator", "jobs"]) => Target::Admin(AdminCall::CreateJob),
        (&Method::POST, ["__emulator", "faults"]) => Target::Admin(AdminCall::SetFaults),
        _ => Target::Unknown,
    }
}

fn response(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    response(status, Some(JSON), value.to_string())
}

/// An error as the API gateway words it.
fn apig_error(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<Full<Bytes>> {
    json_response(
        status,
        &json!({"error_code": code, "error_msg": message, "request_id": request_id}),
    )
}

/// An error as the MRS service words it.
fn mrs_error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    json_response(status, &json!({"error_code": code, "error_msg": message}))
}

/// MRS's answers for a cluster or job it does not know (REFERENCE.md §6; the huaweicloud
/// provider maps a 400 with 12000003 to "cluster gone"). Like MRS, the message names no ID:
/// saying which one is wrong is the client's job.
fn lookup_error(err: &LookupError) -> Response<Full<Bytes>> {
    match err {
        LookupError::ClusterNotFound(_) => mrs_error(
            StatusCode::BAD_REQUEST,
            "12000003",
            "The MRS cluster does not exist.",
        ),
        LookupError::JobNotFound { .. } => {
            mrs_error(StatusCode::NOT_FOUND, "0176", "The job does not exist.")
        }
    }
}

fn new_request_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Handles one HTTP request. `drop_connection` closes the client's TCP connection when cancelled.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    drop_connection: CancellationToken,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request_id = new_request_id();
    let (parts, body) = request.into_parts();
    let target = match match_target(&parts.method, parts.uri.path()) {
        Target::Api(ApiCall::Metadata) if !shared.config.serve_metadata => Target::Unknown,
        target => target,
    };
    let counted = !matches!(target, Target::Admin(_));
    if counted {
        let route = match &target {
            Target::Api(call) => Some(call.route()),
            _ => None,
        };
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok());
        shared.stats.request(route, host);
    }
    let mut response = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => {
            let body = collected.to_bytes();
            match target {
                Target::Admin(call) => admin(&shared, call, &body),
                Target::Unknown => apig_error(
                    StatusCode::NOT_FOUND,
                    "APIGW.0101",
                    "The API does not exist or has not been published in the environment.",
                    &request_id,
                ),
                Target::Api(call) => {
                    api_with_faults(&shared, &drop_connection, call, &parts, &body, &request_id)
                        .await
                }
            }
        }
        Err(_) => apig_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "APIGW.0201",
            "Request entity too large (or the body could not be read).",
            &request_id,
        ),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    if counted {
        shared.stats.response(response.status().as_u16());
    }
    Ok(response)
}

/// Applies latency and the next fault of the route, then (if the fault allows) handles the call.
async fn api_with_faults(
    shared: &Shared,
    drop_connection: &CancellationToken,
    call: ApiCall,
    parts: &Parts,
    body: &Bytes,
    request_id: &str,
) -> Response<Full<Bytes>> {
    if let Some(limiter) = &shared.rate_limiter {
        // The instance's metadata service is not behind the API gateway.
        let bucket = match &call {
            ApiCall::Mrs { project_id, .. } => Some(project_id.as_str()),
            ApiCall::IamProjects
            | ApiCall::SecurityTokens
            | ApiCall::IdToken
            | ApiCall::StsAssume => Some("iam"),
            ApiCall::Metadata => None,
        };
        if let Some(bucket) = bucket
            && !limiter.try_acquire(bucket, Instant::now())
        {
            shared.stats.throttled();
            return apig_error(
                StatusCode::TOO_MANY_REQUESTS,
                "APIGW.0308",
                &format!(
                    "The throttling threshold has been reached: policy user over ratelimit, limit:{}, time:1 second",
                    limiter.rate()
                ),
                request_id,
            );
        }
    }
    let (latency, fault) = {
        let mut faults = shared.lock_faults();
        (faults.latency(), faults.next_fault(call.route()))
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(step) = fault {
        shared.stats.fault_injected();
        let status =
            |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match step {
            FaultStep::Status {
                status: code,
                retry_after,
                body,
            } => {
                let mut resp = match body {
                    Some(body) => response(status(code), Some(JSON), body),
                    None => apig_error(
                        status(code),
                        &format!("EMULATOR.{code}"),
                        &format!("Fault injected by the MRS emulator: HTTP {code}."),
                        request_id,
                    ),
                };
                if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, value);
                }
                return resp;
            }
            FaultStep::Drop => {
                shared.stats.connection_dropped();
                drop_connection.cancel();
                // The connection task drops this future together with the connection.
                std::future::pending::<()>().await;
            }
            FaultStep::DropAfter => {
                let _carried_out = api(shared, call, parts, body, request_id, false);
                shared.stats.answer_dropped_after_handling();
                drop_connection.cancel();
                return std::future::pending().await;
            }
            FaultStep::Delay(delay) => tokio::time::sleep(delay).await,
            FaultStep::Hang => {
                shared.shutdown.cancelled().await;
                return apig_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "EMULATOR.SHUTDOWN",
                    "The emulator is shutting down.",
                    request_id,
                );
            }
            FaultStep::HugeBody {
                status: code,
                bytes,
            } => {
                return response(status(code), Some(JSON), vec![b' '; bytes]);
            }
            FaultStep::Garbage { status: code } => {
                return response(
                    status(code),
                    Some(JSON),
                    Bytes::from_static(b"<html>\x00\xff\xfe not json {{{"),
                );
            }
        }
    }
    api(shared, call, parts, body, request_id, true)
}

/// Authenticates and handles an API call. `answer_delivered` is false when a `drop_after`
/// fault will lose the answer.
fn api(
    shared: &Shared,
    call: ApiCall,
    parts: &Parts,
    body: &Bytes,
    request_id: &str,
    answer_delivered: bool,
) -> Response<Full<Bytes>> {
    let config = &shared.config;
    if call == ApiCall::Metadata {
        // The metadata service answers anyone on the instance; no gateway in front.
        return super::iam::metadata_security_key(shared);
    }
    // IAM itself checks these: the ID token (unsigned request) and the federated token.
    if call == ApiCall::IdToken {
        return super::keyless::id_token(shared, &parts.headers, body);
    }
    if call == ApiCall::SecurityTokens && super::keyless::is_token_method(&parts.headers, body) {
        return super::keyless::token_method(shared, &parts.headers, body);
    }
    let policy = AuthPolicy {
        credentials: &config.credentials,
        security_tokens: config.security_tokens.as_deref(),
        auth_tokens: &config.auth_tokens,
        temporary: &shared.issued,
        max_clock_skew: config.max_clock_skew,
    };
    let request = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body,
    };
    let now = OffsetDateTime::now_utc() + time::Duration::seconds(config.clock_offset_s);
    match authenticate(&request, &policy, now) {
        Ok(Identity::AccessKey {
            temporary: true, ..
        }) => {
            shared.keyless.note_signature(&parts.headers);
            shared.stats.signed_with_temporary_credentials(call.route());
        }
        Ok(_) => shared.keyless.note_signature(&parts.headers),
        Err(err) => {
            if err.is_token_failure() {
                shared.stats.rejected_token();
            } else {
                shared.stats.rejected_signature();
            }
            if matches!(err, AuthError::SecurityTokenExpired { .. }) {
                shared.stats.rejected_expired_credentials();
            }
            return apig_error(
                StatusCode::UNAUTHORIZED,
                err.code(),
                &format!("Incorrect IAM authentication information: {err}"),
                request_id,
            );
        }
    }
    match call {
        ApiCall::IamProjects => iam_projects(shared, parts.uri.query()),
        ApiCall::SecurityTokens => super::iam::assume_agency(shared, body),
        ApiCall::IdToken => super::keyless::id_token(shared, &parts.headers, body),
        ApiCall::StsAssume => {
            if parts.headers.contains_key("x-auth-token") {
                return super::iam::iam_error(
                    StatusCode::FORBIDDEN,
                    "STS v5 takes requests signed with an access key, not a token",
                );
            }
            super::keyless::sts_assume(shared, body)
        }
        ApiCall::Metadata => super::iam::metadata_security_key(shared),
        ApiCall::Mrs {
            project_id,
            cluster_id,
            op,
        } => {
            if let Err(err) = check_project_header(&request, &project_id) {
                shared.stats.rejected_signature();
                return apig_error(
                    StatusCode::UNAUTHORIZED,
                    err.code(),
                    &format!("Incorrect IAM authentication information: {err}"),
                    request_id,
                );
            }
            if project_id != config.project_id {
                return apig_error(
                    StatusCode::FORBIDDEN,
                    "APIGW.0302",
                    &format!(
                        "The IAM user is not authorized to access the API: project {project_id} is not this \
                         account's project in {} (the emulator serves project {})",
                        config.region, config.project_id
                    ),
                    request_id,
                );
            }
            match op {
                MrsOp::Kill(job_id) => kill_job(shared, &cluster_id, &job_id, answer_delivered),
                MrsOp::Show(job_id) => show_job(shared, &cluster_id, &job_id),
                MrsOp::List => list_jobs(shared, &cluster_id, parts.uri.query()),
                MrsOp::Submit => submit_job(shared, &cluster_id, body),
            }
        }
    }
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|piece| piece.split_once('=').or(Some((piece, ""))))
        .find(|(key, _)| decode_segment(key) == name)
        .map(|(_, value)| decode_segment(value))
}

fn iam_projects(shared: &Shared, query: Option<&str>) -> Response<Full<Bytes>> {
    let config = &shared.config;
    let wanted = query_param(query, "name");
    let projects: Vec<Value> = if wanted.as_deref().is_none_or(|name| name == config.region) {
        vec![json!({
            "id": config.project_id,
            "name": config.region,
            "domain_id": "emulator-domain-id",
            "parent_id": "emulator-domain-id",
            "description": "",
            "enabled": true,
            "is_domain": false,
        })]
    } else {
        Vec::new()
    };
    json_response(StatusCode::OK, &json!({"projects": projects}))
}

fn kill_job(
    shared: &Shared,
    cluster_id: &str,
    job_id: &str,
    answer_delivered: bool,
) -> Response<Full<Bytes>> {
    let outcome = shared.lock_jobs().kill(
        cluster_id,
        job_id,
        &shared.config.job_clock,
        KillRequest {
            now: Instant::now(),
            kill_delay: shared.config.kill_delay,
            answer_delivered,
        },
    );
    match outcome {
        Ok(KillOutcome::Accepted) => {
            shared.stats.kill_accepted(job_id);
            response(StatusCode::ACCEPTED, None, Bytes::new())
        }
        Ok(KillOutcome::NotRunning { .. }) => {
            shared.stats.kill_refused(job_id);
            response(StatusCode::BAD_REQUEST, Some(JSON), KILL_FAILED_BODY)
        }
        Err(err) => lookup_error(&err),
    }
}

fn show_job(shared: &Shared, cluster_id: &str, job_id: &str) -> Response<Full<Bytes>> {
    match shared
        .lock_jobs()
        .detail(cluster_id, job_id, Instant::now(), &shared.config.job_clock)
    {
        Ok(detail) => json_response(StatusCode::OK, &json!({"job_detail": detail})),
        Err(err) => lookup_error(&err),
    }
}

/// `GET .../job-executions`: the official API's filters and paging (`limit` 1..=100, default 10;
/// `offset` is a page number from 1), answered 202 as MRS does.
fn list_jobs(shared: &Shared, cluster_id: &str, query: Option<&str>) -> Response<Full<Bytes>> {
    let filter_and_page = parse_list_query(query);
    let (filter, limit, page) = match filter_and_page {
        Ok(parsed) => parsed,
        Err(message) => {
            return mrs_error(
                StatusCode::BAD_REQUEST,
                "0166",
                &format!("Failed to query a job list: {message}."),
            );
        }
    };
    match shared.lock_jobs().list(
        cluster_id,
        &filter,
        Instant::now(),
        &shared.config.job_clock,
    ) {
        Ok(jobs) => {
            let total = jobs.len();
            let page: Vec<Value> = jobs
                .into_iter()
                .skip((page - 1).saturating_mul(limit))
                .take(limit)
                .collect();
            json_response(
                StatusCode::ACCEPTED,
                &json!({"total_record": total, "job_list": page}),
            )
        }
        Err(err) => lookup_error(&err),
    }
}

/// The list route's filters, page size and page number, or why they are refused.
fn parse_list_query(query: Option<&str>) -> Result<(ListFilter, usize, usize), String> {
    let text = |name: &str| query_param(query, name).filter(|v| !v.is_empty());
    let number = |name: &str| -> Result<Option<u64>, String> {
        text(name)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| format!("{name} {v:?} is not a whole number"))
            })
            .transpose()
    };
    let job_state = text("job_state")
        .map(|s| s.parse::<JobState>())
        .transpose()
        .map_err(|e| e.to_string())?;
    let job_result = text("job_result")
        .map(|s| s.parse::<super::jobs::JobResult>())
        .transpose()
        .map_err(|e| e.to_string())?;
    let ascending = match text("sort_by").as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(other) => return Err(format!("sort_by {other:?} is neither asc nor desc")),
    };
    let limit = number("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(format!("limit {limit} is outside 1 to 100"));
    }
    let page = number("offset")?.unwrap_or(1);
    if page < 1 {
        return Err("offset is a page number and starts at 1".to_owned());
    }
    let filter = ListFilter {
        job_name: text("job_name"),
        job_id: text("job_id"),
        user: text("user"),
        job_type: text("job_type"),
        queue: text("queue"),
        job_state,
        job_result,
        submitted_time_begin: number("submitted_time_begin")?,
        submitted_time_end: number("submitted_time_end")?,
        ascending,
    };
    let as_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Ok((filter, as_usize(limit), as_usize(page)))
}

/// Body of `POST .../job-executions` (MRS v2 "add and execute a job").
#[derive(Debug, Deserialize)]
struct SubmitBody {
    job_name: String,
    job_type: String,
    #[serde(default)]
    arguments: Vec<String>,
    #[serde(default)]
    properties: Map<String, Value>,
}

fn submit_job(shared: &Shared, cluster_id: &str, body: &Bytes) -> Response<Full<Bytes>> {
    let parsed: SubmitBody = match serde_json::from_slice(body) {
        Ok(parsed) => parsed,
        Err(err) => {
            return mrs_error(
                StatusCode::BAD_REQUEST,
                "0004",
                &format!(
                    "Invalid job submission body (needs job_name, job_type, optional arguments and properties): {err}"
                ),
            );
        }
    };
    let job_id = shared.lock_jobs().submit(
        cluster_id,
        SubmitJob {
            job_name: parsed.job_name,
            job_type: parsed.job_type,
            arguments: parsed.arguments,
            properties: parsed.properties,
        },
        Instant::now(),
    );
    json_response(
        StatusCode::OK,
        &json!({"job_submit_result": {"job_id": job_id, "state": "COMPLETE"}}),
    )
}

/// Body of `POST /__emulator/jobs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateJobBody {
    cluster_id: String,
    #[serde(default)]
    job_id: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    job_name: Option<String>,
    #[serde(default)]
    job_type: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    queue: Option<String>,
}

fn admin_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json_response(status, &json!({"error": message}))
}

fn admin(shared: &Shared, call: AdminCall, body: &Bytes) -> Response<Full<Bytes>> {
    match call {
        AdminCall::Stats => json_response(StatusCode::OK, &json!(shared.stats.snapshot())),
        AdminCall::ResetStats => {
            shared.stats.reset();
            json_response(StatusCode::OK, &json!(shared.stats.snapshot()))
        }
        AdminCall::ListJobs => {
            let jobs = shared
                .lock_jobs()
                .snapshots(Instant::now(), &shared.config.job_clock);
            json_response(StatusCode::OK, &json!({"jobs": jobs}))
        }
        AdminCall::CreateJob => {
            let parsed: CreateJobBody = match serde_json::from_slice(body) {
                Ok(parsed) => parsed,
                Err(err) => {
                    return admin_error(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "expected {{\"cluster_id\": ..., \"job_id\"?: ..., \"state\"?: \"RUNNING\"}}: {err}"
                        ),
                    );
                }
            };
            let state = match parsed
                .state
                .as_deref()
                .map(str::parse::<JobState>)
                .transpose()
            {
                Ok(state) => state,
                Err(err) => return admin_error(StatusCode::BAD_REQUEST, &err.to_string()),
            };
            let now = Instant::now();
            let mut jobs = shared.lock_jobs();
            let spec = JobSpec {
                job_id: parsed.job_id,
                job_name: parsed.job_name,
                job_type: parsed.job_type,
                user: parsed.user,
                queue: parsed.queue,
                state,
            };
            let job_id = jobs.insert_spec(&parsed.cluster_id, spec, now);
            let snapshot =
                jobs.snapshot(&parsed.cluster_id, &job_id, now, &shared.config.job_clock);
            json_response(StatusCode::CREATED, &json!(snapshot))
        }
        AdminCall::SetFaults => match parse_fault_plan(body) {
            Ok(plan) => {
                shared.replace_faults(plan);
                json_response(StatusCode::OK, &json!({"faults": "replaced"}))
            }
            Err(err) => admin_error(StatusCode::BAD_REQUEST, &err.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_routes_with_decoded_ids() {
        let target = match_target(
            &Method::POST,
            "/v2/p/clusters/c%2D1/job-executions/a%2Fb/kill",
        );
        assert_eq!(
            target,
            Target::Api(ApiCall::Mrs {
                project_id: "p".into(),
                cluster_id: "c-1".into(),
                op: MrsOp::Kill("a/b".into())
            })
        );
        assert_eq!(
            match_target(&Method::GET, "/v2/p/clusters/c/job-executions/"),
            Target::Api(ApiCall::Mrs {
                project_id: "p".into(),
                cluster_id: "c".into(),
                op: MrsOp::List
            })
        );
        assert_eq!(
            match_target(&Method::GET, "/v3/projects"),
            Target::Api(ApiCall::IamProjects)
        );
        assert_eq!(
            match_target(&Method::DELETE, "/v3/projects"),
            Target::Unknown
        );
        assert_eq!(
            match_target(&Method::GET, "/v2/p/clusters/c/job-executions/j/kill"),
            Target::Unknown
        );
        assert_eq!(
            match_target(&Method::GET, "/__emulator/stats"),
            Target::Admin(AdminCall::Stats)
        );
    }

    #[test]
    fn list_query_pages_from_one_and_refuses_what_mrs_refuses() {
        let (filter, limit, page) = parse_list_query(Some(
            "limit=100&offset=3&job_state=RUNNING&submitted_time_begin=5",
        ))
        .expect("valid");
        assert_eq!((limit, page), (100, 3));
        assert_eq!(filter.job_state, Some(JobState::Running));
        assert_eq!(filter.submitted_time_begin, Some(5));
        assert_eq!(parse_list_query(None).map(|(_, l, p)| (l, p)), Ok((10, 1)));
        for bad in [
            "offset=0",
            "limit=101",
            "limit=0",
            "job_state=DONE",
            "job_result=OK",
            "sort_by=up",
            "submitted_time_end=yesterday",
        ] {
            assert!(
                parse_list_query(Some(bad)).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn query_param_decodes_name_and_value() {
        assert_eq!(
            query_param(Some("a=1&name=cn%2Dnorth-4"), "name").as_deref(),
            Some("cn-north-4")
        );
        assert_eq!(query_param(Some("flag"), "flag").as_deref(), Some(""));
        assert_eq!(query_param(None, "name"), None);
    }
}
