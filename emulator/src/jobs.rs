//! The job store: clusters, their jobs, and the clock that moves a job through its states.
//!
//! A real job goes NEW → ACCEPTED → RUNNING → FINISHED on its own, and a kill is only *accepted*
//! (202) before the job becomes KILLED some time later. The provider must cope with both, so the
//! emulator derives each job's state from elapsed time instead of storing it: reads are pure
//! functions of "now", which also lets the unit tests pin transitions without sleeping.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value, json};

/// `job_state` of an MRS job, as the v2 API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Just created.
    New,
    /// Being saved.
    NewSaving,
    /// Handed to YARN.
    Submitted,
    /// Accepted by YARN, waiting for resources.
    Accepted,
    /// Running.
    Running,
    /// Ended (see the job result for success).
    Finished,
    /// Ended with an error.
    Failed,
    /// Ended by a kill.
    Killed,
}

impl JobState {
    /// Every state, in lifecycle order.
    pub const ALL: [JobState; 8] = [
        Self::New,
        Self::NewSaving,
        Self::Submitted,
        Self::Accepted,
        Self::Running,
        Self::Finished,
        Self::Failed,
        Self::Killed,
    ];

    /// The name on the wire, e.g. `RUNNING`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::NewSaving => "NEW_SAVING",
            Self::Submitted => "SUBMITTED",
            Self::Accepted => "ACCEPTED",
            Self::Running => "RUNNING",
            Self::Finished => "FINISHED",
            Self::Failed => "FAILED",
            Self::Killed => "KILLED",
        }
    }

    /// Whether the job has ended (FINISHED, FAILED or KILLED); such a job cannot be killed.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Finished | Self::Failed | Self::Killed)
    }

    /// The `job_result` MRS reports alongside this state when nothing else decided it.
    fn default_result(self) -> JobResult {
        match self {
            Self::Finished => JobResult::Succeeded,
            Self::Failed => JobResult::Failed,
            Self::Killed => JobResult::Killed,
            _ => JobResult::Undefined,
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job state name that MRS does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown job state {0:?}; expected one of NEW, NEW_SAVING, SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED, KILLED"
)]
pub struct UnknownJobState(pub String);

impl FromStr for JobState {
    type Err = UnknownJobState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownJobState(s.to_owned()))
    }
}

/// `job_result` of an MRS job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobResult {
    /// Finished successfully.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Ended by a kill.
    Killed,
    /// Not ended yet.
    Undefined,
}

impl JobResult {
    /// The name on the wire, e.g. `SUCCEEDED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Killed => "KILLED",
            Self::Undefined => "UNDEFINED",
        }
    }
}

/// A job result name that MRS does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job result {0:?}; expected one of SUCCEEDED, FAILED, KILLED, UNDEFINED")]
pub struct UnknownJobResult(pub String);

impl FromStr for JobResult {
    type Err = UnknownJobResult;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Succeeded, Self::Failed, Self::Killed, Self::Undefined]
            .into_iter()
            .find(|result| result.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownJobResult(s.to_owned()))
    }
}

/// A job to create directly (tests, benchmarks, `POST /__emulator/jobs`): every field left
/// `None` takes the emulator's default (a new UUID, `emulated-N`, `SparkSubmit`, user
/// `emulator`, queue `default`, following the job clock).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobSpec {
    /// The job's id.
    pub job_id: Option<String>,
    /// `job_name`.
    pub job_name: Option<String>,
    /// `job_type`, e.g. `MapReduce`.
    pub job_type: Option<String>,
    /// The submitting user.
    pub user: Option<String>,
    /// The YARN queue.
    pub queue: Option<String>,
    /// A state the job stays in until killed; `None` follows the job clock.
    pub state: Option<JobState>,
}

/// The list route's query filters, as MRS applies them: `job_name` matches any part of the
/// name (case-insensitive), the others match exactly; times are epoch milliseconds, inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ListFilter {
    pub(crate) job_name: Option<String>,
    pub(crate) job_id: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) job_type: Option<String>,
    pub(crate) queue: Option<String>,
    pub(crate) job_state: Option<JobState>,
    pub(crate) job_result: Option<JobResult>,
    pub(crate) submitted_time_begin: Option<u64>,
    pub(crate) submitted_time_end: Option<u64>,
    /// Oldest first instead of MRS's default newest first.
    pub(crate) ascending: bool,
}

impl ListFilter {
    fn matches(&self, job: &Job, phase: &Phase) -> bool {
        let same =
            |wanted: &Option<String>, actual: &str| wanted.as_deref().is_none_or(|w| w == actual);
        self.job_name.as_deref().is_none_or(|w| {
            job.job_name
                .to_ascii_lowercase()
                .contains(&w.to_ascii_lowercase())
        }) && same(&self.job_id, &job.job_id)
            && same(&self.user, &job.user)
            && same(&self.job_type, &job.job_type)
            && same(&self.queue, &job.queue)
            && self.job_state.is_none_or(|s| s == phase.state)
            && self.job_result.is_none_or(|r| r == phase.result)
            && self
                .submitted_time_begin
                .is_none_or(|t| job.created_epoch_ms >= t)
            && self
                .submitted_time_end
                .is_none_or(|t| job.created_epoch_ms <= t)
    }
}

/// When a submitted job reaches each state, measured from its submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobClock {
    /// NEW → ACCEPTED.
    pub accepted_after: Duration,
    /// ACCEPTED → RUNNING.
    pub running_after: Duration,
    /// RUNNING → FINISHED (result SUCCEEDED).
    pub finished_after: Duration,
}

impl Default for JobClock {
    /// Quick enough for demos, long enough that a kill issued right after submit finds a live job.
    fn default() -> Self {
        Self {
            accepted_after: Duration::from_millis(200),
            running_after: Duration::from_millis(500),
            finished_after: Duration::from_secs(600),
        }
    }
}

/// What a test can see of one job at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobSnapshot {
    /// Cluster the job belongs to.
    pub cluster_id: String,
    /// The job's id.
    pub job_id: String,
    /// `job_name` as submitted.
    pub job_name: String,
    /// Current `job_state`.
    pub state: JobState,
    /// Current `job_result`.
    pub result: JobResult,
    /// True between an accepted kill and the job becoming KILLED.
    pub killing: bool,
    /// Kill requests answered 202: at most one per job, as with MRS.
    pub kill_requests: u32,
    /// Kill requests that arrived while an accepted kill was still under way (answered 0175).
    pub repeat_kill_requests: u32,
    /// Kill requests answered 400 / 0175: repeats during the kill and kills of an ended job.
    pub refused_kill_requests: u32,
    /// Kill requests that arrived after a 0175 answer for this job had been delivered; a client
    /// that reconciles instead of insisting keeps this at 0.
    pub kills_after_refusal: u32,
}

/// The body of a submit request (MRS v2 `job-executions`), as far as the emulator uses it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SubmitJob {
    pub(crate) job_name: String,
    pub(crate) job_type: String,
    pub(crate) arguments: Vec<String>,
    pub(crate) properties: Map<String, Value>,
}

/// How a job moves without a kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progression {
    /// Follows the [`JobClock`] from its creation.
    Clock,
    /// Stays in this state (jobs created directly by tests or `--job`).
    Pinned(JobState),
}

/// A kill that was accepted.
#[derive(Debug, Clone, Copy)]
struct KillRecord {
    /// The state the job showed when the kill arrived; it keeps showing it until `completes_at`.
    state_at_kill: JobState,
    completes_at: Instant,
}

/// One job's state at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Phase {
    state: JobState,
    result: JobResult,
    killing: bool,
    started_at: Option<Instant>,
    ended_at: Option<Instant>,
}

#[derive(Debug, Clone)]
struct Job {
    job_id: String,
    job_name: String,
    job_type: String,
    user: String,
    queue: String,
    arguments: Vec<String>,
    properties: Map<String, Value>,
    created: Instant,
    created_epoch_ms: u64,
    /// Order of creation, for listing newest first.
    sequence: u64,
    progression: Progression,
    kill: Option<KillRecord>,
    kill_requests: u32,
    repeat_kill_requests: u32,
    refused_kill_requests: u32,
    /// Set once a 0175 answer for this job reached the client.
    refusal_delivered: bool,
    kills_after_refusal: u32,
}

impl Job {
    fn phase_at(&self, now: Instant, clock: &JobClock) -> Phase {
        if let Some(kill) = self.kill {
            if now >= kill.completes_at {
                return Phase {
                    state: JobState::Killed,
                    result: JobResult::Killed,
                    killing: false,
                    started_at: self.natural_phase(kill.completes_at, clock).started_at,
                    ended_at: Some(kill.completes_at),
                };
            }
            let natural = self.natural_phase(now, clock);
            return Phase {
                state: kill.state_at_kill,
                result: JobResult::Undefined,
                killing: true,
                ..natural
            };
        }
        self.natural_phase(now, clock)
    }

    fn natural_phase(&self, now: Instant, clock: &JobClock) -> Phase {
        let (state, started_at, ended_at) = match self.progression {
            Progression::Pinned(state) => {
                let started =
                    (state == JobState::Running || state.is_terminal()).then_some(self.created);
                (state, started, state.is_terminal().then_some(self.created))
            }
            Progression::Clock => {
                let elapsed = now.saturating_duration_since(self.created);
                let started = self.created + clock.running_after;
                if elapsed < clock.accepted_after {
                    (JobState::New, None, None)
                } else if elapsed < clock.running_after {
                    (JobState::Accepted, None, None)
                } else if elapsed < clock.finished_after {
                    (JobState::Running, Some(started), None)
                } else {
                    (
                        JobState::Finished,
                        Some(started),
                        Some(self.created + clock.finished_after),
                    )
                }
            }
        };
        Phase {
            state,
            result: state.default_result(),
            killing: false,
            started_at,
            ended_at,
        }
    }

    fn epoch_ms(&self, at: Instant) -> u64 {
        let offset = at.saturating_duration_since(self.created).as_millis();
        self.created_epoch_ms
            .saturating_add(u64::try_from(offset).unwrap_or(u64::MAX))
    }

    fn snapshot(&self, cluster_id: &str, now: Instant, clock: &JobClock) -> JobSnapshot {
        let phase = self.phase_at(now, clock);
        JobSnapshot {
            cluster_id: cluster_id.to_owned(),
            job_id: self.job_id.clone(),
            job_name: self.job_name.clone(),
            state: phase.state,
            result: phase.result,
            killing: phase.killing,
            kill_requests: self.kill_requests,
            repeat_kill_requests: self.repeat_kill_requests,
            refused_kill_requests: self.refused_kill_requests,
            kills_after_refusal: self.kills_after_refusal,
        }
    }

    /// The `job_detail` object of the v2 API; times are milliseconds since the epoch.
    fn detail(&self, now: Instant, clock: &JobClock) -> Value {
        let phase = self.phase_at(now, clock);
        let progress = match phase.state {
            JobState::Finished => 100.0,
            JobState::Running => 50.0,
            _ => 0.0,
        };
        let elapsed_until = phase.ended_at.unwrap_or(now);
        let elapsed_ms = u64::try_from(
            elapsed_until
                .saturating_duration_since(self.created)
                .as_millis(),
        )
        .unwrap_or(u64::MAX);
        // MRS renders arguments and properties as strings, not as JSON arrays/objects.
        let arguments = format!("[{}]", self.arguments.join(", "));
        let properties = Value::Object(self.properties.clone()).to_string();
        let app_id = phase
            .started_at
            .map(|_| {
                format!(
                    "application_{}_{:04}",
                    self.created_epoch_ms,
                    self.sequence % 10_000
                )
            })
            .unwrap_or_default();
        json!({
            "job_id": self.job_id,
            "user": self.user,
            "job_name": self.job_name,
            "job_result": phase.result.as_str(),
            "job_state": phase.state.as_str(),
            "job_progress": progress,
            "job_type": self.job_type,
            "started_time": phase.started_at.map_or(0, |t| self.epoch_ms(t)),
            "submitted_time": self.created_epoch_ms,
            "finished_time": phase.ended_at.map_or(0, |t| self.epoch_ms(t)),
            "elapsed_time": elapsed_ms,
            "arguments": arguments,
            "launcher_id": format!("launcher_{}", self.job_id),
            "properties": properties,
            "app_id": app_id,
            "tracking_url": if app_id.is_empty() { String::new() } else { format!("http://emulator.invalid/proxy/{app_id}/") },
            "queue": self.queue,
        })
    }
}

/// Why a job lookup failed; each maps to the MRS error for it (12000003, 0176).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LookupError {
    #[error("cluster {0} does not exist")]
    ClusterNotFound(String),
    #[error("job {job_id} does not exist in cluster {cluster_id}")]
    JobNotFound { cluster_id: String, job_id: String },
}

/// What a kill request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KillOutcome {
    /// 202: the job will be KILLED after the kill delay.
    Accepted,
    /// 400 / 0175, as MRS answers a kill of a job that is being killed (`killing`, the job still
    /// shows `state`) or has ended in `state`.
    NotRunning {
        /// The state the job shows.
        state: JobState,
        /// An accepted kill is still under way.
        killing: bool,
    },
}

/// One kill request as the job store needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KillRequest {
    /// When it arrived.
    pub(crate) now: Instant,
    /// Time from an accepted kill to KILLED.
    pub(crate) kill_delay: Duration,
    /// Whether the answer reaches the client (false when a `drop_after` fault closes the
    /// connection after the request was carried out).
    pub(crate) answer_delivered: bool,
}

/// All clusters and jobs of one emulator.
#[derive(Debug, Default)]
pub(crate) struct JobStore {
    clusters: BTreeMap<String, BTreeMap<String, Job>>,
    next_sequence: u64,
}

impl JobStore {
    fn new_job(
        &mut self,
        job_id: String,
        submit: SubmitJob,
        progression: Progression,
        now: Instant,
    ) -> Job {
        self.next_sequence += 1;
        let created_epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Job {
            job_id,
            job_name: submit.job_name,
            job_type: submit.job_type,
            user: "emulator".to_owned(),
            queue: "default".to_owned(),
            arguments: submit.arguments,
            properties: submit.properties,
            created: now,
            created_epoch_ms,
            sequence: self.next_sequence,
            progression,
            kill: None,
            kill_requests: 0,
            repeat_kill_requests: 0,
            refused_kill_requests: 0,
            refusal_delivered: false,
            kills_after_refusal: 0,
        }
    }

    /// Submits a job that follows the job clock; the cluster is created on first use.
    pub(crate) fn submit(&mut self, cluster_id: &str, submit: SubmitJob, now: Instant) -> String {
        let job_id = new_uuid();
        let job = self.new_job(job_id.clone(), submit, Progression::Clock, now);
        self.clusters
            .entry(cluster_id.to_owned())
            .or_default()
            .insert(job_id.clone(), job);
        job_id
    }

    /// Creates (or replaces) a job directly. With a state it stays there until killed;
    /// without one it follows the job clock from now.
    pub(crate) fn insert(
        &mut self,
        cluster_id: &str,
        job_id: Option<&str>,
        state: Option<JobState>,
        now: Instant,
    ) -> String {
        let spec = JobSpec {
            job_id: job_id.map(str::to_owned),
            state,
            ..JobSpec::default()
        };
        self.insert_spec(cluster_id, spec, now)
    }

    /// Creates (or replaces) a job as `spec` describes it.
    pub(crate) fn insert_spec(&mut self, cluster_id: &str, spec: JobSpec, now: Instant) -> String {
        let job_id = spec.job_id.unwrap_or_else(new_uuid);
        let submit = SubmitJob {
            job_name: spec
                .job_name
                .unwrap_or_else(|| format!("emulated-{}", self.next_sequence + 1)),
            job_type: spec.job_type.unwrap_or_else(|| "SparkSubmit".to_owned()),
            ..SubmitJob::default()
        };
        let progression = spec.state.map_or(Progression::Clock, Progression::Pinned);
        let mut job = self.new_job(job_id.clone(), submit, progression, now);
        if let Some(user) = spec.user {
            job.user = user;
        }
        if let Some(queue) = spec.queue {
            job.queue = queue;
        }
        self.clusters
            .entry(cluster_id.to_owned())
            .or_default()
            .insert(job_id.clone(), job);
        job_id
    }

    fn cluster(&self, cluster_id: &str) -> Result<&BTreeMap<String, Job>, LookupError> {
        self.clusters
            .get(cluster_id)
            .ok_or_else(|| LookupError::ClusterNotFound(cluster_id.to_owned()))
    }

    fn job(&self, cluster_id: &str, job_id: &str) -> Result<&Job, LookupError> {
        self.cluster(cluster_id)?
            .get(job_id)
            .ok_or_else(|| LookupError::JobNotFound {
                cluster_id: cluster_id.to_owned(),
                job_id: job_id.to_owned(),
            })
    }

    /// The `job_detail` of one job.
    pub(crate) fn detail(
        &self,
        cluster_id: &str,
        job_id: &str,
        now: Instant,
        clock: &JobClock,
    ) -> Result<Value, LookupError> {
        Ok(self.job(cluster_id, job_id)?.detail(now, clock))
    }

    /// The jobs of a cluster that pass `filter`, newest first unless it says otherwise.
    pub(crate) fn list(
        &self,
        cluster_id: &str,
        filter: &ListFilter,
        now: Instant,
        clock: &JobClock,
    ) -> Result<Vec<Value>, LookupError> {
        let mut jobs: Vec<&Job> = self
            .cluster(cluster_id)?
            .values()
            .filter(|job| filter.matches(job, &job.phase_at(now, clock)))
            .collect();
        if filter.ascending {
            jobs.sort_by_key(|job| job.sequence);
        } else {
            jobs.sort_by_key(|job| std::cmp::Reverse(job.sequence));
        }
        Ok(jobs.into_iter().map(|job| job.detail(now, clock)).collect())
    }

    /// Applies a kill request as MRS does: accepted once while the job is pending, refused
    /// (0175) while that kill is under way and after the job has ended.
    pub(crate) fn kill(
        &mut self,
        cluster_id: &str,
        job_id: &str,
        clock: &JobClock,
        request: KillRequest,
    ) -> Result<KillOutcome, LookupError> {
        let not_found = || LookupError::JobNotFound {
            cluster_id: cluster_id.to_owned(),
            job_id: job_id.to_owned(),
        };
        let job = self
            .clusters
            .get_mut(cluster_id)
            .ok_or_else(|| LookupError::ClusterNotFound(cluster_id.to_owned()))?
            .get_mut(job_id)
            .ok_or_else(not_found)?;
        if job.refusal_delivered {
            job.kills_after_refusal += 1;
        }
        let phase = job.phase_at(request.now, clock);
        if phase.killing || phase.state.is_terminal() {
            job.refused_kill_requests += 1;
            if phase.killing {
                job.repeat_kill_requests += 1;
            }
            job.refusal_delivered |= request.answer_delivered;
            return Ok(KillOutcome::NotRunning {
                state: phase.state,
                killing: phase.killing,
            });
        }
        job.kill_requests += 1;
        job.kill = Some(KillRecord {
            state_at_kill: phase.state,
            completes_at: request.now + request.kill_delay,
        });
        Ok(KillOutcome::Accepted)
    }

    /// What a test sees of one job.
    pub(crate) fn snapshot(
        &self,
        cluster_id: &str,
        job_id: &str,
        now: Instant,
        clock: &JobClock,
    ) -> Option<JobSnapshot> {
        self.job(cluster_id, job_id)
            .ok()
            .map(|job| job.snapshot(cluster_id, now, clock))
    }

    /// Every job of every cluster, clusters in name order and jobs oldest first.
    pub(crate) fn snapshots(&self, now: Instant, clock: &JobClock) -> Vec<JobSnapshot> {
        let mut all = Vec::new();
        for (cluster_id, jobs) in &self.clusters {
            let mut jobs: Vec<&Job> = jobs.values().collect();
            jobs.sort_by_key(|job| job.sequence);
            all.extend(
                jobs.into_iter()
                    .map(|job| job.snapshot(cluster_id, now, clock)),
            );
        }
        all
    }
}

/// A random version-4 UUID in its usual text form, the shape MRS uses for job ids.
pub(crate) fn new_uuid() -> String {
    let bits: u128 = rand::random();
    let bits = (bits & !(0xF << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOCK: JobClock = JobClock {
        accepted_after: Duration::from_secs(1),
        running_after: Duration::from_secs(2),
        finished_after: Duration::from_secs(10),
    };

    fn submitted(store: &mut JobStore, t0: Instant) -> String {
        store.submit(
            "c1",
            SubmitJob {
                job_name: "wordcount".into(),
                job_type: "MapReduce".into(),
                arguments: vec!["a".into(), "b".into()],
                properties: Map::new(),
            },
            t0,
        )
    }

    fn kill_at(at: Instant, delay: Duration) -> KillRequest {
        KillRequest {
            now: at,
            kill_delay: delay,
            answer_delivered: true,
        }
    }

    fn state(store: &JobStore, job: &str, at: Instant) -> (JobState, JobResult) {
        let snap = store.snapshot("c1", job, at, &CLOCK).expect("job exists");
        (snap.state, snap.result)
    }

    #[test]
    fn submitted_job_walks_new_accepted_running_finished() {
        let mut store = JobStore::default();
        let t0 = Instant::now();
        let job = submitted(&mut store, t0);
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(
            state(&store, &job, at(0)),
            (JobState::New, JobResult::Undefined)
        );
        assert_eq!(
            state(&store, &job, at(1_000)),
            (JobState::Accepted, JobResult::Undefined)
        );
        assert_eq!(
            state(&store, &job, at(2_500)),
            (JobState::Running, JobResult::Undefined)
        );
        assert_eq!(
            state(&store, &job, at(10_000)),
            (JobState::Finished, JobResult::Succeeded)
        );
    }

    #[test]
    fn kill_shows_old_state_until_delay_then_killed() {
        let mut store = JobStore::default();
        let t0 = Instant::now();
        let job = submitted(&mut store, t0);
        let at = |ms| t0 + Duration::from_millis(ms);
        let delay = Duration::from_secs(3);
        assert_eq!(
            store.kill("c1", &job, &CLOCK, kill_at(at(3_000), delay)),
            Ok(KillOutcome::Accepted)
        );
        let snap = store.snapshot("c1", &job, at(4_000), &CLOCK).expect("job");
        assert_eq!((snap.state, snap.killing), (JobState::Running, true));
        assert_eq!(
            store.kill("c1", &job, &CLOCK, kill_at(at(5_000), delay)),
            Ok(KillOutcome::NotRunning {
                state: JobState::Running,
                killing: true
            }),
            "a repeat during the kill window is refused, as MRS does"
        );
        // The natural clock would finish it at 10 s; the kill wins.
        assert_eq!(
            state(&store, &job, at(6_000)),
            (JobState::Killed, JobResult::Killed)
        );
        assert_eq!(
            state(&store, &job, at(60_000)),
            (JobState::Killed, JobResult::Killed)
        );
        let snap = store.snapshot("c1", &job, at(6_000), &CLOCK).expect("job");
        assert_eq!((snap.kill_requests, snap.repeat_kill_requests), (1, 1));
        assert_eq!(snap.kills_after_refusal, 0);
        assert_eq!(
            store.kill("c1", &job, &CLOCK, kill_at(at(7_000), delay)),
            Ok(KillOutcome::NotRunning {
                state: JobState::Killed,
                killing: false
            })
        );
        let snap = store.snapshot("c1", &job, at(7_000), &CLOCK).expect("job");
        assert_eq!(
            (snap.refused_kill_requests, snap.kills_after_refusal),
            (2, 1),
            "the kill after a delivered 0175 is counted"
        );
    }

    #[test]
    fn kill_of_finished_job_is_refused() {
        let mut store = JobStore::default();
        let t0 = Instant::now();
        let job = submitted(&mut store, t0);
        assert_eq!(
            store.kill(
                "c1",
                &job,
                &CLOCK,
                kill_at(t0 + Duration::from_secs(11), Duration::ZERO)
            ),
            Ok(KillOutcome::NotRunning {
                state: JobState::Finished,
                killing: false
            })
        );
    }

    #[test]
    fn refusal_whose_answer_was_lost_does_not_count_later_kills() {
        let mut store = JobStore::default();
        let t0 = Instant::now();
        let job = store.insert("c1", Some("j"), Some(JobState::Finished), t0);
        let lost = KillRequest {
            answer_delivered: false,
            ..kill_at(t0, Duration::ZERO)
        };
        assert!(matches!(
            store.kill("c1", &job, &CLOCK, lost),
            Ok(KillOutcome::NotRunning { .. })
        ));
        assert!(matches!(
            store.kill("c1", &job, &CLOCK, kill_at(t0, Duration::ZERO)),
            Ok(KillOutcome::NotRunning { .. })
        ));
        let snap = store.snapshot("c1", &job, t0, &CLOCK).expect("job");
        assert_eq!(
            (snap.refused_kill_requests, snap.kills_after_refusal),
            (2, 0)
        );
    }

    #[test]
    fn pinned_job_stays_in_its_state() {
        let mut store = JobStore::default();
        let t0 = Instant::now();
        let job = store.insert("c2", Some("j-1"), Some(JobState::Running), t0);
        assert_eq!(job, "j-1");
        let snap = store
            .snapshot("c2", "j-1", t0 + Duration::from_secs(3600), &CLOCK)
            .expect("job");
        assert_eq!(snap.state, JobState::Running);
    }

    #[test]
    fn lookups_name_the_missing_cluster_or_job() {
        let mut store = JobStore::default();
        let now = Instant::now();
        assert_eq!(
            store.detail("nope", "j", now, &CLOCK),
            Err(LookupError::ClusterNotFound("nope".into()))
        );
        store.insert("c1", Some("j"), None, now);
        assert!(matches!(
            store.kill("c1", "other", &CLOCK, kill_at(now, Duration::ZERO)),
            Err(LookupError::JobNotFound { .. })
        ));
    }

    #[test]
    fn job_detail_has_every_official_field_with_times_in_ms() {
        let mut store = JobStore::default();
        let t0 = Instant::now();
        let job = submitted(&mut store, t0);
        let detail = store
            .detail("c1", &job, t0 + Duration::from_secs(11), &CLOCK)
            .expect("job");
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
    }

    #[test]
    fn list_filters_match_like_mrs_and_list_newest_first() {
        let mut store = JobStore::default();
        let t0 = Instant::now();
        let spec = |id: &str, name: &str, user: &str, state| JobSpec {
            job_id: Some(id.into()),
            job_name: Some(name.into()),
            user: Some(user.into()),
            queue: Some(if user == "etl" { "batch" } else { "default" }.into()),
            job_type: Some("Flink".into()),
            state: Some(state),
        };
        store.insert_spec("c1", spec("a", "Nightly-ETL", "etl", JobState::Running), t0);
        store.insert_spec("c1", spec("b", "adhoc", "ana", JobState::Running), t0);
        store.insert_spec("c1", spec("c", "etl-retry", "etl", JobState::Finished), t0);
        store.insert("c2", Some("d"), Some(JobState::Running), t0);
        let ids = |filter: ListFilter| -> Vec<String> {
            store
                .list("c1", &filter, t0, &CLOCK)
                .expect("cluster")
                .iter()
                .map(|j| j["job_id"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(ids(ListFilter::default()), ["c", "b", "a"]);
        let by_name = ListFilter {
            job_name: Some("etl".into()),
            ..ListFilter::default()
        };
        assert_eq!(ids(by_name), ["c", "a"]);
        let running_etl = ListFilter {
            user: Some("etl".into()),
            job_state: Some(JobState::Running),
            ..ListFilter::default()
        };
        assert_eq!(ids(running_etl), ["a"]);
        let succeeded = ListFilter {
            job_result: Some(JobResult::Succeeded),
            queue: Some("batch".into()),
            ascending: true,
            ..ListFilter::default()
        };
        assert_eq!(ids(succeeded), ["c"]);
        let future = ListFilter {
            submitted_time_begin: Some(u64::MAX),
            ..ListFilter::default()
        };
        assert!(ids(future).is_empty());
        assert_eq!(
            "killed".parse::<JobResult>(),
            Ok(JobResult::Killed),
            "results parse like states"
        );
    }

    #[test]
    fn uuids_have_the_canonical_v4_shape() {
        let id = new_uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(id.split('-').map(str::len).eq([8, 4, 4, 4, 12]));
    }

    #[test]
    fn job_state_names_round_trip() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
        }
        assert!("DONE".parse::<JobState>().is_err());
    }
}
