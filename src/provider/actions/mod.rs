//! The provider's actions (Terraform 1.14+): the same kills as the resources, invoked on demand
//! and kept in no state.

mod job_kill;
mod jobs_kill;

pub use job_kill::JobKillAction;
pub use jobs_kill::JobsKillAction;
