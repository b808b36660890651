//! The job store: every cluster of one emulator and its jobs, found by id, listed and filtered
//! as MRS does, and changed only through the transitions of `lifecycle.rs`.
//!
//! Jobs arrive three ways: submitted over the API (they follow the job clock), created by a test
//! or the admin route `POST /__emulator/jobs` while a client is running (pinned in a state, or
//! following the clock from their creation, so they turn ACCEPTED and then RUNNING mid-apply), and
//! replaced by id.

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::lifecycle::{
    Job, JobClock, JobSnapshot, KillOutcome, KillRequest, Kills, Phase, Progression,
};
use super::states::{JobResult, JobState};

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

/// The body of a submit request (MRS v2 `job-executions`), as far as the emulator uses it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SubmitJob {
    pub(crate) job_name: String,
    pub(crate) job_type: String,
    pub(crate) arguments: Vec<String>,
    pub(crate) properties: Map<String, Value>,
}

/// Why a job lookup failed; each maps to the MRS error for it (12000003, 0176).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LookupError {
    #[error("cluster {0} does not exist")]
    ClusterNotFound(String),
    #[error("job {job_id} does not exist in cluster {cluster_id}")]
    JobNotFound { cluster_id: String, job_id: String },
}

/// All clusters and jobs of one emulator.
#[derive(Debug, Default)]
pub(crate) struct JobStore {
    clusters: BTreeMap<String, BTreeMap<String, Job>>,
    next_sequence: u64,
}

/// Defaults of a job created without saying otherwise.
const DEFAULT_USER: &str = "emulator";
const DEFAULT_QUEUE: &str = "default";

impl JobStore {
    fn add(&mut self, cluster_id: &str, job: Job) -> String {
        let job_id = job.job_id.clone();
        self.clusters
            .entry(cluster_id.to_owned())
            .or_default()
            .insert(job_id.clone(), job);
        job_id
    }

    /// A job created now, with the next sequence number, the default user and queue, and no
    /// kills yet.
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
            user: DEFAULT_USER.to_owned(),
            queue: DEFAULT_QUEUE.to_owned(),
            arguments: submit.arguments,
            properties: submit.properties,
            created: now,
            created_epoch_ms,
            sequence: self.next_sequence,
            progression,
            kills: Kills::default(),
        }
    }

    /// Submits a job that follows the job clock; the cluster is created on first use.
    pub(crate) fn submit(&mut self, cluster_id: &str, submit: SubmitJob, now: Instant) -> String {
        let job = self.new_job(new_uuid(), submit, Progression::Clock, now);
        self.add(cluster_id, job)
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
        let mut job = self.new_job(job_id, submit, progression, now);
        if let Some(user) = spec.user {
            job.user = user;
        }
        if let Some(queue) = spec.queue {
            job.queue = queue;
        }
        self.add(cluster_id, job)
    }

    fn cluster(&self, cluster_id: &str) -> Result<&BTreeMap<String, Job>, LookupError> {
        self.clusters
            .get(cluster_id)
            .ok_or_else(|| LookupError::ClusterNotFound(cluster_id.to_owned()))
    }

    /// One job, or which of cluster and job does not exist.
    pub(crate) fn job(&self, cluster_id: &str, job_id: &str) -> Result<&Job, LookupError> {
        self.cluster(cluster_id)?
            .get(job_id)
            .ok_or_else(|| LookupError::JobNotFound {
                cluster_id: cluster_id.to_owned(),
                job_id: job_id.to_owned(),
            })
    }

    /// The jobs of a cluster that pass `filter` at `now`, newest first unless it says otherwise.
    pub(crate) fn list(
        &self,
        cluster_id: &str,
        filter: &ListFilter,
        now: Instant,
        clock: &JobClock,
    ) -> Result<Vec<&Job>, LookupError> {
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
        Ok(jobs)
    }

    /// Applies a kill request to one job (see [`Job::kill`]).
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
        Ok(job.kill(clock, request))
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
pub(super) mod tests {
    use std::time::Duration;

    use super::*;

    /// The job clock of the jobs unit tests: ACCEPTED at 1 s, RUNNING at 2 s, FINISHED at 10 s.
    pub(in crate::jobs) const CLOCK: JobClock = JobClock {
        accepted_after: Duration::from_secs(1),
        running_after: Duration::from_secs(2),
        finished_after: Duration::from_secs(10),
    };

    /// The id of a `wordcount` MapReduce job (arguments `a b`) submitted at `t0` to cluster `c1`.
    pub(in crate::jobs) fn submitted(store: &mut JobStore, t0: Instant) -> String {
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
            store.job("nope", "j").err(),
            Some(LookupError::ClusterNotFound("nope".into()))
        );
        store.insert("c1", Some("j"), None, now);
        assert!(matches!(
            store.kill("c1", "other", &CLOCK, kill_at(now, Duration::ZERO)),
            Err(LookupError::JobNotFound { .. })
        ));
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
                .map(|job| job.job_id.clone())
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
    }

    #[test]
    fn a_job_created_mid_run_without_a_state_follows_the_clock_from_its_creation() {
        // Issue 18: jobs that appear while an apply runs (POST /__emulator/jobs without a state)
        // are ACCEPTED first and turn RUNNING on the job clock, counted from when they were created.
        let mut store = JobStore::default();
        let t0 = Instant::now();
        let early = store.insert_spec("c1", JobSpec::default(), t0);
        let t1 = t0 + Duration::from_millis(2_500);
        let late = store.insert_spec(
            "c1",
            JobSpec {
                job_name: Some("mid-apply".into()),
                ..JobSpec::default()
            },
            t1,
        );
        let at = |ms| t1 + Duration::from_millis(ms);
        assert_eq!(state(&store, &early, at(0)).0, JobState::Running);
        assert_eq!(state(&store, &late, at(0)).0, JobState::New);
        assert_eq!(state(&store, &late, at(1_000)).0, JobState::Accepted);
        assert_eq!(state(&store, &late, at(1_999)).0, JobState::Accepted);
        assert_eq!(state(&store, &late, at(2_000)).0, JobState::Running);
        let running = ListFilter {
            job_state: Some(JobState::Running),
            ..ListFilter::default()
        };
        let listed = |ms| -> Vec<String> {
            store
                .list("c1", &running, at(ms), &CLOCK)
                .expect("cluster")
                .iter()
                .map(|job| job.job_id.clone())
                .collect()
        };
        assert_eq!(
            listed(1_000),
            std::slice::from_ref(&early),
            "still ACCEPTED: not listed as RUNNING"
        );
        assert_eq!(listed(2_000), [late, early], "now RUNNING, newest first");
    }

    #[test]
    fn uuids_have_the_canonical_v4_shape() {
        let id = new_uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(id.split('-').map(str::len).eq([8, 4, 4, 4, 12]));
    }
}
