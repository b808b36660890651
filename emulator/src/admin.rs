//! The emulator's own routes under `/__emulator`: read and reset the counters, list and create
//! jobs, replace the fault plan.
//!
//! They exist so that an emulator started as a separate process (the demo, a Terraform test, a
//! benchmark) can be inspected and steered over HTTP while a client runs against it: a job
//! created here without a state appears mid-apply and follows the job clock (NEW, ACCEPTED, then
//! RUNNING). No gateway stands in front of them: they are never counted, throttled, faulted or
//! authenticated.

use std::time::Instant;

use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::call::Call;
use crate::faults::parse_fault_plan;
use crate::jobs::{JobSpec, JobState};
use crate::responses::{Answer, admin_error, json_response};

/// `GET /__emulator/stats`: the counters so far.
pub(crate) fn stats(call: &Call<'_>) -> Answer {
    json_response(StatusCode::OK, &json!(call.shared.stats.snapshot()))
}

/// `POST /__emulator/stats/reset`: zeroes the counters and answers them.
pub(crate) fn reset_stats(call: &Call<'_>) -> Answer {
    call.shared.stats.reset();
    json_response(StatusCode::OK, &json!(call.shared.stats.snapshot()))
}

/// `GET /__emulator/jobs`: every job of every cluster as it is now.
pub(crate) fn list_jobs(call: &Call<'_>) -> Answer {
    let shared = call.shared;
    let jobs = shared
        .lock_jobs()
        .snapshots(Instant::now(), &shared.config.job_clock);
    json_response(StatusCode::OK, &json!({"jobs": jobs}))
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

/// `POST /__emulator/jobs`: creates (or replaces) a job, pinned in `state` or, without one,
/// following the job clock from now; answers 201 with its snapshot.
pub(crate) fn create_job(call: &Call<'_>) -> Answer {
    let shared = call.shared;
    let parsed: CreateJobBody = match serde_json::from_slice(call.body) {
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
    let snapshot = jobs.snapshot(&parsed.cluster_id, &job_id, now, &shared.config.job_clock);
    json_response(StatusCode::CREATED, &json!(snapshot))
}

/// `POST /__emulator/faults`: replaces the fault plan (JSON, see [`parse_fault_plan`]).
pub(crate) fn set_faults(call: &Call<'_>) -> Answer {
    match parse_fault_plan(call.body) {
        Ok(plan) => {
            call.shared.replace_faults(plan);
            json_response(StatusCode::OK, &json!({"faults": "replaced"}))
        }
        Err(err) => admin_error(StatusCode::BAD_REQUEST, &err.to_string()),
    }
}
