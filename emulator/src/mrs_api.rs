//! The MRS service behind the gateway: kill, show, list and submit jobs, answered as MRS answers
//! them (202 for an accepted kill and for a list, 0175 for a kill MRS refuses, 12000003 and 0176
//! for what it does not know).
//!
//! The router has already counted, throttled, faulted and authenticated the request and checked
//! its project; a handler here only reads the job store and words the answer.

use std::time::Instant;

use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::call::{Call, query_param};
use crate::jobs::{
    JobResult, JobState, KillOutcome, KillRequest, ListFilter, LookupError, SubmitJob, job_detail,
};
use crate::responses::{Answer, JSON, json_response, mrs_error, response};

/// The body a failed kill returns, byte for byte as the official API page shows it
/// (note: not valid JSON, there is no comma between the members). MRS sends it for a kill of a
/// job that is being killed or has ended.
pub const KILL_FAILED_BODY: &str =
    "{\n\"error_msg\": \"Failed to terminate the job.\"\n\"error_code\":\"0175\"\n}";

/// MRS's answers for a cluster or job it does not know (REFERENCE.md §6; the huaweicloud
/// provider maps a 400 with 12000003 to "cluster gone"). Like MRS, the message names no ID:
/// saying which one is wrong is the client's job.
fn lookup_error(err: &LookupError) -> Answer {
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

/// `POST .../job-executions/{job_id}/kill`: 202 once, then 0175 while it is under way and after.
pub(crate) fn kill_job(call: &Call<'_>) -> Answer {
    let shared = call.shared;
    let job_id = call.param("job_id");
    let outcome = shared.lock_jobs().kill(
        call.param("cluster_id"),
        job_id,
        &shared.config.job_clock,
        KillRequest {
            now: Instant::now(),
            kill_delay: shared.config.kill_delay,
            answer_delivered: call.answer_delivered,
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

/// `GET .../job-executions/{job_id}`: `{"job_detail": {...}}`.
pub(crate) fn show_job(call: &Call<'_>) -> Answer {
    let shared = call.shared;
    let jobs = shared.lock_jobs();
    match jobs.job(call.param("cluster_id"), call.param("job_id")) {
        Ok(job) => {
            let detail = job_detail(job, Instant::now(), &shared.config.job_clock);
            json_response(StatusCode::OK, &json!({"job_detail": detail}))
        }
        Err(err) => lookup_error(&err),
    }
}

/// `GET .../job-executions`: the official API's filters and paging (`limit` 1..=100, default 10;
/// `offset` is a page number from 1), answered 202 as MRS does.
pub(crate) fn list_jobs(call: &Call<'_>) -> Answer {
    let (filter, limit, page) = match parse_list_query(call.parts.uri.query()) {
        Ok(parsed) => parsed,
        Err(message) => {
            return mrs_error(
                StatusCode::BAD_REQUEST,
                "0166",
                &format!("Failed to query a job list: {message}."),
            );
        }
    };
    let clock = &call.shared.config.job_clock;
    let now = Instant::now();
    let jobs = call.shared.lock_jobs();
    match jobs.list(call.param("cluster_id"), &filter, now, clock) {
        Ok(listed) => {
            let total = listed.len();
            let page: Vec<Value> = listed
                .into_iter()
                .skip((page - 1).saturating_mul(limit))
                .take(limit)
                .map(|job| job_detail(job, now, clock))
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
        .map(|s| s.parse::<JobResult>())
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

/// `POST .../job-executions`: a new job on the job clock, `{"job_submit_result": {...}}`.
pub(crate) fn submit_job(call: &Call<'_>) -> Answer {
    let parsed: SubmitBody = match serde_json::from_slice(call.body) {
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
    let job_id = call.shared.lock_jobs().submit(
        call.param("cluster_id"),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
