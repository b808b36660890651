//! The shapes MRS sends and accepts for jobs.
//!
//! Every field the service returns is optional and read leniently (a number may arrive as a
//! string, an unknown state is kept as text): a new or odd field in an answer must not turn a
//! successful call into an error.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Execution state of an MRS job (`job_state`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobState {
    /// `NEW`: created.
    New,
    /// `NEW_SAVING`: created, being saved.
    NewSaving,
    /// `SUBMITTED`: submitted to the cluster.
    Submitted,
    /// `ACCEPTED`: accepted by YARN.
    Accepted,
    /// `RUNNING`: running.
    Running,
    /// `FINISHED`: ended (see `job_result` for success).
    Finished,
    /// `FAILED`: ended with a failure.
    Failed,
    /// `KILLED`: terminated.
    Killed,
    /// A state this client does not know, as the API spelled it (on one line, escaped, at most
    /// 64 bytes: it is shown to the user).
    Other(String),
}

impl JobState {
    /// Parses the API's spelling; case-insensitive, unknown values become [`JobState::Other`].
    pub fn from_api(value: &str) -> Self {
        match value.trim().to_ascii_uppercase().as_str() {
            "NEW" => JobState::New,
            "NEW_SAVING" => JobState::NewSaving,
            "SUBMITTED" => JobState::Submitted,
            "ACCEPTED" => JobState::Accepted,
            "RUNNING" => JobState::Running,
            "FINISHED" => JobState::Finished,
            "FAILED" => JobState::Failed,
            "KILLED" => JobState::Killed,
            _ => JobState::Other(super::shown_text::one_line_bounded(value, 64)),
        }
    }

    /// The API's spelling, e.g. `RUNNING`.
    pub fn as_str(&self) -> &str {
        match self {
            JobState::New => "NEW",
            JobState::NewSaving => "NEW_SAVING",
            JobState::Submitted => "SUBMITTED",
            JobState::Accepted => "ACCEPTED",
            JobState::Running => "RUNNING",
            JobState::Finished => "FINISHED",
            JobState::Failed => "FAILED",
            JobState::Killed => "KILLED",
            JobState::Other(s) => s,
        }
    }

    /// True for states a job never leaves: `FINISHED`, `FAILED`, `KILLED`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Finished | JobState::Failed | JobState::Killed
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JobState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(JobState::from_api(&text))
    }
}

/// One job as `show job` and `list jobs` describe it (`job_detail` / `job_list[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobDetail {
    /// Job ID.
    #[serde(deserialize_with = "lenient_string")]
    pub job_id: Option<String>,
    /// User who submitted it.
    #[serde(deserialize_with = "lenient_string")]
    pub user: Option<String>,
    /// Job name.
    #[serde(deserialize_with = "lenient_string")]
    pub job_name: Option<String>,
    /// `SUCCEEDED`, `FAILED`, `KILLED` or `UNDEFINED` (still running).
    #[serde(deserialize_with = "lenient_string")]
    pub job_result: Option<String>,
    /// Execution state.
    #[serde(deserialize_with = "lenient_state")]
    pub job_state: Option<JobState>,
    /// Progress, 0–100 as the API reports it.
    #[serde(deserialize_with = "lenient_f64")]
    pub job_progress: Option<f64>,
    /// `MapReduce`, `SparkSubmit`, `HiveScript`, ...
    #[serde(deserialize_with = "lenient_string")]
    pub job_type: Option<String>,
    /// Start time, ms since the Unix epoch.
    #[serde(deserialize_with = "lenient_i64")]
    pub started_time: Option<i64>,
    /// Submission time, ms since the Unix epoch.
    #[serde(deserialize_with = "lenient_i64")]
    pub submitted_time: Option<i64>,
    /// End time, ms since the Unix epoch.
    #[serde(deserialize_with = "lenient_i64")]
    pub finished_time: Option<i64>,
    /// Run time in ms.
    #[serde(deserialize_with = "lenient_i64")]
    pub elapsed_time: Option<i64>,
    /// Arguments, as the API renders them (a string; arrays are kept as JSON text).
    #[serde(deserialize_with = "lenient_string")]
    pub arguments: Option<String>,
    /// Launcher job ID.
    #[serde(deserialize_with = "lenient_string")]
    pub launcher_id: Option<String>,
    /// Properties, as the API renders them (objects are kept as JSON text).
    #[serde(deserialize_with = "lenient_string")]
    pub properties: Option<String>,
    /// YARN application ID.
    #[serde(deserialize_with = "lenient_string")]
    pub app_id: Option<String>,
    /// YARN tracking URL.
    #[serde(deserialize_with = "lenient_string")]
    pub tracking_url: Option<String>,
    /// YARN queue.
    #[serde(deserialize_with = "lenient_string")]
    pub queue: Option<String>,
}

/// Which jobs `list jobs` returns: the official API's query filters (every one optional).
/// `job_name` matches any part of the name; the others match exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Part of the job name (the API matches it fuzzily).
    pub job_name: Option<String>,
    /// Exactly this job ID.
    pub job_id: Option<String>,
    /// The submitting user.
    pub user: Option<String>,
    /// Job type, e.g. `SparkSubmit`.
    pub job_type: Option<String>,
    /// Job state, e.g. `RUNNING`.
    pub job_state: Option<JobState>,
    /// Job result, e.g. `SUCCEEDED`.
    pub job_result: Option<String>,
    /// YARN queue.
    pub queue: Option<String>,
    /// Submitted at or after, ms since the Unix epoch.
    pub submitted_time_begin: Option<i64>,
    /// Submitted at or before, ms since the Unix epoch.
    pub submitted_time_end: Option<i64>,
}

impl JobFilter {
    /// The filter's query parameters, in the API's names; unset filters are left out.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        let text = [
            ("job_name", &self.job_name),
            ("job_id", &self.job_id),
            ("user", &self.user),
            ("job_type", &self.job_type),
            ("job_result", &self.job_result),
            ("queue", &self.queue),
        ];
        let mut query: Vec<(&'static str, String)> = text
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
            .collect();
        if let Some(state) = &self.job_state {
            query.push(("job_state", state.as_str().to_owned()));
        }
        for (name, ms) in [
            ("submitted_time_begin", self.submitted_time_begin),
            ("submitted_time_end", self.submitted_time_end),
        ] {
            if let Some(ms) = ms {
                query.push((name, ms.to_string()));
            }
        }
        query
    }
}

/// Body of `POST /v2/{project_id}/clusters/{cluster_id}/job-executions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitJob {
    /// Job name (letters, digits, `-`, `_`).
    pub job_name: String,
    /// Job type, e.g. `MapReduce`, `SparkSubmit`.
    pub job_type: String,
    /// Program and its arguments.
    #[serde(default)]
    pub arguments: Vec<String>,
    /// Program properties.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

/// What `submit job` answers (`job_submit_result`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmitJobResult {
    /// ID of the new job.
    pub job_id: String,
    /// Submission state, e.g. `COMPLETE`.
    pub state: String,
}

/// Answer of `show job`.
#[derive(Debug, Deserialize)]
pub(crate) struct ShowJobResponse {
    pub(crate) job_detail: Option<JobDetail>,
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

/// Answer of `list jobs`.
#[derive(Debug, Deserialize)]
pub(crate) struct ListJobsResponse {
    /// Missing means the answer is not a job listing: an error, not an empty page.
    pub(crate) job_list: Option<Vec<JobDetail>>,
    /// How many jobs match the filters in all.
    pub(crate) total_record: Option<u64>,
}

/// Answer of `submit job`.
#[derive(Debug, Deserialize)]
pub(crate) struct SubmitJobResponse {
    pub(crate) job_submit_result: Option<SubmitJobWire>,
}

/// `job_submit_result` before its required field is checked.
#[derive(Debug, Deserialize)]
pub(crate) struct SubmitJobWire {
    #[serde(default, deserialize_with = "lenient_string")]
    pub(crate) job_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub(crate) state: Option<String>,
}

/// IAM's answer to `GET /v3/projects?name=...`.
#[derive(Debug, Deserialize)]
pub(crate) struct ProjectsResponse {
    #[serde(default)]
    pub(crate) projects: Vec<Project>,
}

/// One IAM project.
#[derive(Debug, Deserialize)]
pub(crate) struct Project {
    #[serde(default, deserialize_with = "lenient_string")]
    pub(crate) id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub(crate) name: Option<String>,
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    })
}

fn lenient_state<'de, D: Deserializer<'de>>(d: D) -> Result<Option<JobState>, D::Error> {
    Ok(lenient_string(d)?
        .filter(|s| !s.trim().is_empty())
        .map(|s| JobState::from_api(&s)))
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('%').parse().ok(),
        _ => None,
    })
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_state_round_trips_api_spelling_and_keeps_unknown_values() {
        for s in [
            "NEW",
            "NEW_SAVING",
            "SUBMITTED",
            "ACCEPTED",
            "RUNNING",
            "FINISHED",
            "FAILED",
            "KILLED",
        ] {
            assert_eq!(JobState::from_api(s).as_str(), s);
        }
        assert_eq!(JobState::from_api("New"), JobState::New);
        assert_eq!(
            JobState::from_api("SUSPENDED"),
            JobState::Other("SUSPENDED".into())
        );
        assert!(JobState::Killed.is_terminal());
        assert!(!JobState::Running.is_terminal());
    }

    #[test]
    fn job_detail_reads_numbers_sent_as_strings_and_ignores_unknown_fields() {
        let json = r#"{"job_detail": {"job_id": "j1", "job_state": "KILLED", "job_progress": "100",
            "elapsed_time": 1234, "submitted_time": "1700000000000", "arguments": ["a", "b"],
            "properties": {"k": "v"}, "something_new": {"x": 1}, "queue": null}}"#;
        let parsed: ShowJobResponse = serde_json::from_str(json).unwrap();
        let job = parsed.job_detail.unwrap();
        assert_eq!(job.job_id.as_deref(), Some("j1"));
        assert_eq!(job.job_state, Some(JobState::Killed));
        assert_eq!(job.job_progress, Some(100.0));
        assert_eq!(job.elapsed_time, Some(1234));
        assert_eq!(job.submitted_time, Some(1_700_000_000_000));
        assert_eq!(job.arguments.as_deref(), Some(r#"["a","b"]"#));
        assert_eq!(job.properties.as_deref(), Some(r#"{"k":"v"}"#));
        assert_eq!(job.queue, None);
    }

    #[test]
    fn submit_job_serialises_as_the_v2_body() {
        let job = SubmitJob {
            job_name: "wc".into(),
            job_type: "MapReduce".into(),
            arguments: vec!["obs://b/x.jar".into()],
            properties: BTreeMap::from([("k".into(), "v".into())]),
        };
        assert_eq!(
            serde_json::to_string(&job).unwrap(),
            r#"{"job_name":"wc","job_type":"MapReduce","arguments":["obs://b/x.jar"],"properties":{"k":"v"}}"#
        );
    }
}
