//! A job rendered as MRS renders it: the v2 API's `job_detail` object.
//!
//! The state machine says what a job *is* at an instant; this file says how MRS *shows* it (times
//! in epoch milliseconds, arguments and properties as strings, an `app_id` once YARN has it), so
//! the wire shape can follow the official SDK's model without touching the transitions.

use std::time::Instant;

use serde_json::{Value, json};

use super::lifecycle::{Job, JobClock};
use super::states::JobState;

/// The `job_detail` object of the v2 API for `job` at `now`; times are milliseconds since the epoch.
pub(crate) fn job_detail(job: &Job, now: Instant, clock: &JobClock) -> Value {
    let phase = job.phase_at(now, clock);
    let progress = match phase.state {
        JobState::Finished => 100.0,
        JobState::Running => 50.0,
        _ => 0.0,
    };
    let elapsed_until = phase.ended_at.unwrap_or(now);
    let elapsed_ms = u64::try_from(
        elapsed_until
            .saturating_duration_since(job.created)
            .as_millis(),
    )
    .unwrap_or(u64::MAX);
    // MRS renders arguments and properties as strings, not as JSON arrays/objects.
    let arguments = format!("[{}]", job.arguments.join(", "));
    let properties = Value::Object(job.properties.clone()).to_string();
    let app_id = phase
        .started_at
        .map(|_| {
            format!(
                "application_{}_{:04}",
                job.created_epoch_ms,
                job.sequence % 10_000
            )
        })
        .unwrap_or_default();
    json!({
        "job_id": job.job_id,
        "user": job.user,
        "job_name": job.job_name,
        "job_result": phase.result.as_str(),
        "job_state": phase.state.as_str(),
        "job_progress": progress,
        "job_type": job.job_type,
        "started_time": phase.started_at.map_or(0, |t| job.epoch_ms(t)),
        "submitted_time": job.created_epoch_ms,
        "finished_time": phase.ended_at.map_or(0, |t| job.epoch_ms(t)),
        "elapsed_time": elapsed_ms,
        "arguments": arguments,
        "launcher_id": format!("launcher_{}", job.job_id),
        "properties": properties,
        "app_id": app_id,
        "tracking_url": if app_id.is_empty() { String::new() } else { format!("http://emulator.invalid/proxy/{app_id}/") },
        "queue": job.queue,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::store::JobStore;
    use super::super::store::tests::{CLOCK, submitted};
    use super::*;

    #[test]
    fn job_detail_has_every_official_field_with_times_in_ms() {
        let mut store = JobStore::default();
        let t0 = Instant::now();
        let job = submitted(&mut store, t0);
        let detail = job_detail(
            store.job("c1", &job).expect("job"),
            t0 + Duration::from_secs(11),
            &CLOCK,
        );
        for field in [
            "job_id",
            "user",
            "job_name",
            "job_result",
            "job_state",
            "job_progress",
            "job_type",
            "started_time",
            "submitted_time",
            "finished_time",
            "elapsed_time",
            "arguments",
            "launcher_id",
            "properties",
            "app_id",
            "tracking_url",
            "queue",
        ] {
            assert!(detail.get(field).is_some(), "missing {field}");
        }
        assert_eq!(detail["elapsed_time"], 10_000);
        let submitted = detail["submitted_time"].as_u64().expect("number");
        assert_eq!(detail["finished_time"].as_u64(), Some(submitted + 10_000));
        assert_eq!(detail["arguments"], "[a, b]");
        assert_eq!(detail["job_state"], "FINISHED");
        assert_eq!(detail["job_result"], "SUCCEEDED");
    }
}
