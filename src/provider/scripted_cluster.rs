//! A cluster that lives on tokio's clock, for unit tests of the kill and quiet rules.
//!
//! It answers [`ClusterJobs`] as MRS does where those rules care: jobs appear at a set time in a
//! pending state, may move on to another state at a set time, die some time after a kill MRS
//! accepted, refuse a second kill (or a kill of an ended job) with `0175`, and answer `0176` for
//! a job it does not know. From a set time every call can be refused with a 401, as after a
//! disabled key. With `#[tokio::test(start_paused = true)]` a wait of minutes takes
//! milliseconds, and the times the rules saw are the times the script says.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::cluster_jobs::ClusterJobs;
use crate::mrs::{ApiError, JobDetail, JobFilter, JobState, KillAccepted};

/// The seed's `0175` body (not valid JSON, as MRS sends it).
const NOT_RUNNING_BODY: &str =
    "{\n\"error_msg\": \"Failed to terminate the job.\"\n\"error_code\":\"0175\"\n}";

/// One job of the script.
#[derive(Debug, Clone)]
pub struct ScriptedJob {
    /// Job ID.
    pub id: String,
    /// When the job shows up in listings.
    pub appears: Instant,
    /// Its state from then on (until `moves`, a kill or its end).
    pub state: JobState,
    /// A later state and when the job moves to it (say ACCEPTED → RUNNING).
    pub moves: Option<(Instant, JobState)>,
    /// How long it takes to die once a kill is accepted; `None`: it never dies.
    pub dies_after: Option<Duration>,
    /// When it ends as KILLED, once a kill was accepted (by anyone).
    pub killed_at: Option<Instant>,
}

impl ScriptedJob {
    /// A job that is RUNNING from now on and dies `dies_after` after its kill.
    pub fn running(id: impl Into<String>, dies_after: Duration) -> Self {
        Self {
            id: id.into(),
            appears: Instant::now(),
            state: JobState::Running,
            moves: None,
            dies_after: Some(dies_after),
            killed_at: None,
        }
    }

    /// The same job, showing up only `after` from now.
    pub fn arriving_after(mut self, after: Duration) -> Self {
        self.appears = Instant::now() + after;
        self
    }

    /// The job's state at `now`, `None` before it appears.
    fn state_at(&self, now: Instant) -> Option<JobState> {
        if now < self.appears {
            return None;
        }
        if self.killed_at.is_some_and(|at| at <= now) {
            return Some(JobState::Killed);
        }
        match &self.moves {
            Some((at, later)) if *at <= now => Some(later.clone()),
            _ => Some(self.state.clone()),
        }
    }

    fn detail(&self, state: JobState) -> JobDetail {
        JobDetail {
            job_id: Some(self.id.clone()),
            job_name: Some(format!("name-{}", self.id)),
            job_state: Some(state),
            ..JobDetail::default()
        }
    }
}

#[derive(Debug, Default)]
struct Script {
    jobs: Vec<ScriptedJob>,
    refused_from: Option<Instant>,
    kills_sent: usize,
    listings: Vec<JobState>,
    /// A job that moves on to a state once the next listing is answered.
    after_listing: Option<(String, JobState)>,
    panic_on_look: bool,
}

/// The scripted cluster; share it by reference.
#[derive(Debug, Default)]
pub struct ScriptedCluster {
    script: Mutex<Script>,
}

impl ScriptedCluster {
    /// A cluster with these jobs.
    pub fn with_jobs(jobs: impl IntoIterator<Item = ScriptedJob>) -> Self {
        let cluster = Self::default();
        cluster.script().jobs.extend(jobs);
        cluster
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds jobs to the script.
    pub fn add(&self, jobs: impl IntoIterator<Item = ScriptedJob>) {
        self.script().jobs.extend(jobs);
    }

    /// Every call from `after` on answers 401 APIGW.0301.
    pub fn refuse_credentials_after(&self, after: Duration) {
        self.script().refused_from = Some(Instant::now() + after);
    }

    /// Once the next listing is answered, job `job_id` moves on to `to`: a job that changes
    /// state between two listings.
    pub fn move_after_next_listing(&self, job_id: &str, to: JobState) {
        self.script().after_listing = Some((job_id.to_owned(), to));
    }

    /// Every look at the jobs panics (a provider bug, for the panic guard's tests).
    pub fn panic_on_look(&self) {
        self.script().panic_on_look = true;
    }

    /// Kill requests received, accepted or not.
    pub fn kills_sent(&self) -> usize {
        self.script().kills_sent
    }

    /// The states listed, in order.
    pub fn listings(&self) -> Vec<JobState> {
        self.script().listings.clone()
    }

    /// The IDs of jobs pending now.
    pub fn pending_now(&self) -> Vec<String> {
        let now = Instant::now();
        self.script()
            .jobs
            .iter()
            .filter(|j| j.state_at(now).is_some_and(|s| !s.is_terminal()))
            .map(|j| j.id.clone())
            .collect()
    }

    /// Accepts a kill from outside the provider (the console, an earlier apply).
    pub fn kill_elsewhere(&self, job_id: &str) {
        let now = Instant::now();
        let mut script = self.script();
        if let Some(job) = script.jobs.iter_mut().find(|j| j.id == job_id) {
            job.killed_at = job.dies_after.map(|d| now + d);
        }
    }

    fn refused(script: &Script, operation: &str) -> Option<ApiError> {
        script.refused_from.filter(|at| *at <= Instant::now()).map(|_| {
            ApiError::from_response(
                operation,
                401,
                Some("req-refused".into()),
                br#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}"#,
            )
        })
    }

    fn look(script: &Script, job_id: &str) -> Result<JobDetail, Box<ApiError>> {
        if let Some(err) = Self::refused(script, "look at job") {
            return Err(Box::new(err));
        }
        let now = Instant::now();
        script
            .jobs
            .iter()
            .find(|j| j.id == job_id)
            .and_then(|j| j.state_at(now).map(|state| j.detail(state)))
            .ok_or_else(|| {
                Box::new(ApiError::from_response(
                    "look at job",
                    400,
                    None,
                    br#"{"error_code":"0176","error_msg":"The job does not exist."}"#,
                ))
            })
    }
}

#[async_trait]
impl ClusterJobs for ScriptedCluster {
    async fn list_jobs(
        &self,
        _project_id: &str,
        _cluster_id: &str,
        filter: &JobFilter,
        _deadline: Instant,
    ) -> Result<Vec<JobDetail>, ApiError> {
        let mut script = self.script();
        if let Some(err) = Self::refused(&script, "list jobs") {
            return Err(err);
        }
        let now = Instant::now();
        let listed: Vec<JobDetail> = script
            .jobs
            .iter()
            .filter_map(|j| j.state_at(now).map(|state| j.detail(state)))
            .filter(|d| filter.job_state.is_none() || d.job_state == filter.job_state)
            .collect();
        if let Some(state) = &filter.job_state {
            script.listings.push(state.clone());
            if let Some((job_id, to)) = script.after_listing.take()
                && let Some(job) = script.jobs.iter_mut().find(|j| j.id == job_id)
            {
                job.moves = Some((now, to));
            }
        }
        Ok(listed)
    }

    async fn look_at_jobs(
        &self,
        _project_id: &str,
        _cluster_id: &str,
        job_ids: &[String],
        _deadline: Instant,
    ) -> HashMap<String, Result<JobDetail, ApiError>> {
        let script = self.script();
        assert!(
            !script.panic_on_look,
            "scripted panic while looking at jobs"
        );
        job_ids
            .iter()
            .map(|id| (id.clone(), Self::look(&script, id).map_err(|e| *e)))
            .collect()
    }

    async fn poll_job(
        &self,
        _project_id: &str,
        _cluster_id: &str,
        job_id: &str,
        _deadline: Instant,
    ) -> Result<JobDetail, ApiError> {
        Self::look(&self.script(), job_id).map_err(|e| *e)
    }

    async fn kill_job(
        &self,
        _project_id: &str,
        _cluster_id: &str,
        job_id: &str,
        _deadline: Instant,
    ) -> Result<KillAccepted, ApiError> {
        let mut script = self.script();
        script.kills_sent += 1;
        if let Some(err) = Self::refused(&script, "kill job") {
            return Err(err);
        }
        let now = Instant::now();
        let not_running =
            || ApiError::from_response("kill job", 400, None, NOT_RUNNING_BODY.as_bytes());
        let Some(job) = script.jobs.iter_mut().find(|j| j.id == job_id) else {
            return Err(ApiError::from_response(
                "kill job",
                400,
                None,
                br#"{"error_code":"0176","error_msg":"The job does not exist."}"#,
            ));
        };
        match job.state_at(now) {
            None => Err(ApiError::from_response(
                "kill job",
                400,
                None,
                br#"{"error_code":"0176","error_msg":"The job does not exist."}"#,
            )),
            Some(state) if state.is_terminal() || job.killed_at.is_some() => Err(not_running()),
            Some(_) => {
                // A kill that never takes effect still leaves the job "being killed": MRS
                // refuses a second one.
                job.killed_at = Some(
                    job.dies_after
                        .map_or(now + Duration::from_secs(86_400 * 365), |d| now + d),
                );
                Ok(KillAccepted {
                    request_id: Some(format!("req-{job_id}")),
                    status: 202,
                    warning: None,
                })
            }
        }
    }
}
