//! Coalesced looks at job states: everyone in the process who waits for jobs of one cluster
//! shares a few list calls per tick instead of sending one `show job` per job per tick.
//!
//! Waiting for 400 kills with one GET per job per second would spend the API's allowance on
//! polling, and the gateway throttles a project, not a request. So a look goes through the
//! cluster's `Poller` entry: at most one *round* per [`ROUND_INTERVAL`] and cluster, and a round
//! answers every job asked about since the last one. A round lists the cluster's jobs submitted in
//! the window that holds the wanted jobs (their submission times are learnt from listings and
//! earlier looks), so it costs one call per 100 jobs whatever their state; a job whose submission
//! time is not known yet is shown individually, once.
//!
//! The poller sits above the API and below [`MrsClient`](super::MrsClient): it calls the API
//! itself and remembers what its rounds see, and the client, which owns it, tells it what every
//! other listing saw (`Poller::remember`). The API knows nothing of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::api::{Api, Args};
use super::error::ApiError;
use super::listing::list_jobs;
use super::model::{JobDetail, JobFilter};
use super::operations::SHOW_JOB;

/// Shortest time between two rounds for one cluster.
pub const ROUND_INTERVAL: Duration = Duration::from_secs(1);

/// How long a round waits for others who ask at about the same time.
const GATHER: Duration = Duration::from_millis(20);

/// The poll state of every cluster a client has looked at.
#[derive(Default)]
pub(crate) struct Poller {
    clusters: Mutex<HashMap<(String, String), Arc<ClusterPoll>>>,
}

/// One cluster: who wants what, the last round's results, and the lock that makes rounds
/// single-flight.
#[derive(Default)]
struct ClusterPoll {
    state: Mutex<PollState>,
    round: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct PollState {
    /// Jobs asked about since the last round started.
    wanted: HashMap<String, ()>,
    /// Submission times (ms since the epoch) seen so far, per job.
    submitted: HashMap<String, i64>,
    last: Option<Round>,
}

/// The outcome of one round.
#[derive(Clone)]
struct Round {
    started: Instant,
    results: Arc<HashMap<String, Result<JobDetail, ApiError>>>,
}

impl Poller {
    fn cluster(&self, project_id: &str, cluster_id: &str) -> Arc<ClusterPoll> {
        let mut clusters = self.clusters.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            clusters
                .entry((project_id.to_owned(), cluster_id.to_owned()))
                .or_default(),
        )
    }

    /// Remembers when jobs were submitted (from a listing), so rounds can find them by window.
    pub(crate) fn remember(&self, project_id: &str, cluster_id: &str, jobs: &[JobDetail]) {
        let cluster = self.cluster(project_id, cluster_id);
        let mut state = cluster.state.lock().unwrap_or_else(PoisonError::into_inner);
        for job in jobs {
            if let (Some(id), Some(ms)) = (&job.job_id, job.submitted_time.filter(|ms| *ms > 0)) {
                state.submitted.insert(id.clone(), ms);
            }
        }
    }

    /// Each job's state as seen by a round that started after this call, sharing rounds with
    /// everyone else looking at the same cluster.
    pub(super) async fn look(
        &self,
        api: &Api,
        project_id: &str,
        cluster_id: &str,
        job_ids: &[String],
        deadline: Instant,
    ) -> HashMap<String, Result<JobDetail, ApiError>> {
        let asked = Instant::now();
        let cluster = self.cluster(project_id, cluster_id);
        {
            let mut state = cluster.state.lock().unwrap_or_else(PoisonError::into_inner);
            for id in job_ids {
                state.wanted.insert(id.clone(), ());
            }
        }
        let mut answers = HashMap::new();
        let mut missing: Vec<String> = job_ids.to_vec();
        let take = |round: &Round, missing: &mut Vec<String>, answers: &mut HashMap<_, _>| {
            missing.retain(|id| match round.results.get(id) {
                Some(result) => {
                    answers.insert(id.clone(), result.clone());
                    false
                }
                None => true,
            });
        };
        let _round = cluster.round.lock().await;
        let last = cluster
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last
            .clone();
        // A round that started after this call registered covers it (rounds drain the wanted
        // set before they start); one that drained the set earlier does not.
        if let Some(round) = last.as_ref().filter(|r| r.started >= asked) {
            take(round, &mut missing, &mut answers);
        }
        if missing.is_empty() {
            return answers;
        }
        // Wait for the cluster's next turn, and a moment more so that callers asking together
        // (every kill of one apply) end up in one round.
        let next = last
            .as_ref()
            .map_or(asked, |round| round.started + ROUND_INTERVAL)
            .max(asked + GATHER);
        if next > deadline {
            return answers;
        }
        tokio::time::sleep_until(next.into()).await;
        {
            let mut state = cluster.state.lock().unwrap_or_else(PoisonError::into_inner);
            for id in &missing {
                state.wanted.insert(id.clone(), ());
            }
        }
        let round = self
            .run_round(api, project_id, cluster_id, &cluster, deadline)
            .await;
        take(&round, &mut missing, &mut answers);
        cluster
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last = Some(round);
        answers
    }

    /// Looks at every wanted job of the cluster: one windowed listing for the jobs whose
    /// submission time is known, a `show job` for the others.
    async fn run_round(
        &self,
        api: &Api,
        project_id: &str,
        cluster_id: &str,
        cluster: &ClusterPoll,
        deadline: Instant,
    ) -> Round {
        let (wanted, submitted): (Vec<String>, HashMap<String, i64>) = {
            let mut state = cluster.state.lock().unwrap_or_else(PoisonError::into_inner);
            let wanted: Vec<String> = state.wanted.drain().map(|(id, ())| id).collect();
            let submitted = wanted
                .iter()
                .filter_map(|id| state.submitted.get(id).map(|ms| (id.clone(), *ms)))
                .collect();
            (wanted, submitted)
        };
        // After the drain: every look registered before this instant is covered by this round.
        let started = Instant::now();
        let mut results: HashMap<String, Result<JobDetail, ApiError>> = HashMap::new();
        let mut individually: Vec<String> = wanted
            .iter()
            .filter(|id| !submitted.contains_key(*id))
            .cloned()
            .collect();
        if let (Some(begin), Some(end)) = (submitted.values().min(), submitted.values().max()) {
            let filter = JobFilter {
                submitted_time_begin: Some(*begin),
                submitted_time_end: Some(*end),
                ..JobFilter::default()
            };
            match list_jobs(api, project_id, cluster_id, &filter, deadline, None).await {
                Ok(jobs) => {
                    self.remember(project_id, cluster_id, &jobs);
                    let mut listed: HashMap<String, JobDetail> = jobs
                        .into_iter()
                        .filter_map(|job| job.job_id.clone().map(|id| (id, job)))
                        .collect();
                    for id in submitted.keys() {
                        match listed.remove(id) {
                            Some(job) => {
                                results.insert(id.clone(), Ok(job));
                            }
                            // Not in its own window (a clock step, a purged record): ask directly.
                            None => individually.push(id.clone()),
                        }
                    }
                }
                Err(err) => {
                    for id in submitted.keys() {
                        results.insert(id.clone(), Err(err.clone()));
                    }
                }
            }
        }
        let shown = futures::future::join_all(individually.iter().map(|id| {
            let args = Args::values(&[
                ("project_id", project_id),
                ("cluster_id", cluster_id),
                ("job_id", id),
            ]);
            api.call(&SHOW_JOB, args, deadline)
        }))
        .await;
        let mut learnt = Vec::new();
        for (id, result) in individually.into_iter().zip(shown) {
            if let Ok(job) = &result {
                learnt.push(job.clone());
            }
            results.insert(id, result);
        }
        self.remember(project_id, cluster_id, &learnt);
        Round {
            started,
            results: Arc::new(results),
        }
    }
}
