//! One job's state machine: the clock that moves it NEW → ACCEPTED → RUNNING → FINISHED, and the
//! kill that is only *accepted* (202) before the job shows KILLED some time later.
//!
//! A job's state is derived from elapsed time instead of stored, so every read is a pure function
//! of "now" and the unit tests pin transitions without sleeping. How a job is rendered for the
//! API is not decided here (see `detail.rs`).

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

use super::states::{JobResult, JobState};

/// When a job that follows the clock reaches each state, measured from its creation (a submit,
/// or a job created over the admin route or [`crate::EmulatorHandle::add_job`] without a state).
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

/// How a job moves without a kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Progression {
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
pub(super) struct Phase {
    pub(super) state: JobState,
    pub(super) result: JobResult,
    pub(super) killing: bool,
    pub(super) started_at: Option<Instant>,
    pub(super) ended_at: Option<Instant>,
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

/// One kill request as a job needs it.
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

/// One job: what was submitted, when, and the kills it met.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(super) job_id: String,
    pub(super) job_name: String,
    pub(super) job_type: String,
    pub(super) user: String,
    pub(super) queue: String,
    pub(super) arguments: Vec<String>,
    pub(super) properties: Map<String, Value>,
    pub(super) created: Instant,
    pub(super) created_epoch_ms: u64,
    /// Order of creation, for listing newest first.
    pub(super) sequence: u64,
    pub(super) progression: Progression,
    /// The kills it met: [`Kills::default`] for a new job, then only [`Job::kill`] changes them.
    pub(super) kills: Kills,
}

/// The kill requests one job met and what became of them.
#[derive(Debug, Clone, Default)]
pub(super) struct Kills {
    accepted: Option<KillRecord>,
    kill_requests: u32,
    repeat_kill_requests: u32,
    refused_kill_requests: u32,
    /// Set once a 0175 answer for this job reached the client.
    refusal_delivered: bool,
    kills_after_refusal: u32,
}

impl Job {
    /// The job's state at `now`: the kill's, once one was accepted, else the clock's.
    pub(super) fn phase_at(&self, now: Instant, clock: &JobClock) -> Phase {
        if let Some(kill) = self.kills.accepted {
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

    /// `at` in milliseconds since the epoch, on the wall clock the job was created by.
    pub(super) fn epoch_ms(&self, at: Instant) -> u64 {
        let offset = at.saturating_duration_since(self.created).as_millis();
        self.created_epoch_ms
            .saturating_add(u64::try_from(offset).unwrap_or(u64::MAX))
    }

    /// Applies a kill request as MRS does: accepted once while the job is pending, refused
    /// (0175) while that kill is under way and after the job has ended.
    pub(super) fn kill(&mut self, clock: &JobClock, request: KillRequest) -> KillOutcome {
        let phase = self.phase_at(request.now, clock);
        let kills = &mut self.kills;
        if kills.refusal_delivered {
            kills.kills_after_refusal += 1;
        }
        if phase.killing || phase.state.is_terminal() {
            kills.refused_kill_requests += 1;
            if phase.killing {
                kills.repeat_kill_requests += 1;
            }
            kills.refusal_delivered |= request.answer_delivered;
            return KillOutcome::NotRunning {
                state: phase.state,
                killing: phase.killing,
            };
        }
        kills.kill_requests += 1;
        kills.accepted = Some(KillRecord {
            state_at_kill: phase.state,
            completes_at: request.now + request.kill_delay,
        });
        KillOutcome::Accepted
    }

    /// What a test sees of this job at `now`.
    pub(super) fn snapshot(&self, cluster_id: &str, now: Instant, clock: &JobClock) -> JobSnapshot {
        let phase = self.phase_at(now, clock);
        JobSnapshot {
            cluster_id: cluster_id.to_owned(),
            job_id: self.job_id.clone(),
            job_name: self.job_name.clone(),
            state: phase.state,
            result: phase.result,
            killing: phase.killing,
            kill_requests: self.kills.kill_requests,
            repeat_kill_requests: self.kills.repeat_kill_requests,
            refused_kill_requests: self.kills.refused_kill_requests,
            kills_after_refusal: self.kills.kills_after_refusal,
        }
    }
}
