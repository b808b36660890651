//! The names MRS gives a job's state and result, as the v2 API spells them on the wire.
//!
//! They are what tests, the admin route and the list filters parse, so they live apart from the
//! clock that moves a job between them.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

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
    pub(super) fn default_result(self) -> JobResult {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_state_names_round_trip() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
        }
        assert!("DONE".parse::<JobState>().is_err());
    }

    #[test]
    fn results_parse_like_states() {
        assert_eq!("killed".parse::<JobResult>(), Ok(JobResult::Killed));
        assert!("OK".parse::<JobResult>().is_err());
    }
}
