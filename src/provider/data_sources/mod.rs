//! The provider's data sources: read-only looks at one job execution or a cluster's list.

mod job_execution;
pub(super) mod job_executions;

pub use job_execution::JobExecutionDataSource;
pub use job_executions::JobExecutionsDataSource;
