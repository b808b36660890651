//! What Terraform saved, read back from a workspace's state file: tests check what a user's
//! state holds after an apply, not what the provider meant to write.

use super::terraform::Workspace;

/// One entry of an `mrs_jobs_kill`'s `jobs` attribute, as saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedJob {
    /// `job_id`.
    pub job_id: String,
    /// `request_id`: the kill request MRS accepted for the job.
    pub request_id: String,
    /// `final_job_state`: null until the job's end was seen.
    pub final_job_state: serde_json::Value,
}

/// The `jobs` of the first `mrs_jobs_kill` instance in `ws`'s state, in the order saved, and
/// whether that instance is tainted. Fails the test when the state holds no such instance.
pub fn jobs_kill_record(ws: &Workspace) -> (Vec<RecordedJob>, bool) {
    let state = ws.state_json().expect("state");
    let instance = &state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["type"] == "mrs_jobs_kill")
        .expect("an mrs_jobs_kill in state")["instances"][0];
    let jobs = instance["attributes"]["jobs"]
        .as_array()
        .expect("jobs list")
        .iter()
        .map(|j| RecordedJob {
            job_id: j["job_id"].as_str().unwrap_or_default().to_owned(),
            request_id: j["request_id"].as_str().unwrap_or_default().to_owned(),
            final_job_state: j["final_job_state"].clone(),
        })
        .collect();
    (jobs, instance["status"] == "tainted")
}
