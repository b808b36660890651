//! The provider's resources: each kill is a record in state, so the plan shows it and the next
//! apply does not send it again.

mod job_kill;
mod jobs_kill;

pub use job_kill::JobKillResource;
pub use jobs_kill::JobsKillResource;
