//! The provider's data sources: read-only looks at one job execution or a cluster's list. Both
//! show a job the same way (`job_entry.rs`).

mod job_entry;
mod job_execution;
mod job_executions;

pub use job_execution::JobExecutionDataSource;
pub use job_executions::JobExecutionsDataSource;
