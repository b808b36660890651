//! A local stand-in for Huawei Cloud MRS (and the bits of IAM, STS and ECS metadata the provider needs).
//!
//! The demo, the tests, the benchmarks and users' CI need an MRS that is free, fast, always there
//! and able to fail on purpose. The emulator speaks the same HTTP API (§1 of REFERENCE.md), checks
//! AK/SK signatures with its own verifier, runs jobs on a clock and can inject faults. It owns its
//! accept loop so it can count TCP connections and drop them. It serves plain HTTP or, given a
//! certificate ([`EmulatorConfig::tls`]), HTTPS, on one address or several
//! ([`EmulatorHandle::listen_also`]), so tests can put it behind Huawei Cloud's real host names.
//!
//! It serves nine API routes, counted and faulted under seven [`Route`] names, and five admin
//! routes (`route_table.rs` holds them, one row each):
//!
//! | route name | method and path |
//! |---|---|
//! | `kill` | `POST /v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}/kill` |
//! | `show_job` | `GET /v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}` |
//! | `list_jobs` | `GET /v2/{project_id}/clusters/{cluster_id}/job-executions` |
//! | `submit_job` | `POST /v2/{project_id}/clusters/{cluster_id}/job-executions` |
//! | `iam_projects` | `GET /v3/projects` (IAM) |
//! | `security_tokens` | `POST /v3.0/OS-CREDENTIAL/securitytokens`, `POST /v3.0/OS-AUTH/id-token/tokens` (IAM), `POST /v5/agencies/assume` (STS) |
//! | `metadata` | `GET /openstack/latest/securitykey` (ECS metadata, with [`EmulatorConfig::serve_metadata`]) |
//! | (admin) | `GET /__emulator/stats`, `POST /__emulator/stats/reset`, `GET` and `POST /__emulator/jobs`, `POST /__emulator/faults` |
//!
//! The files use each other one way. In this order each uses only files after it: `server`
//! (listeners, the handle), `router` (the gateway's steps, as the matched row says),
//! `route_table`, the handlers `admin`, `iam`, `keyless`, `mrs_api`, then `call` (what a handler
//! gets), `shared` (the running state), `auth`, `signing`, `responses`, `config`, `jobs/`,
//! `stats`, `faults`, `route_names`, `issued`, `rate_limit`, `tls`. This file only declares and
//! re-exports (`cargo test --test module_graph emulator_src` checks it).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mrs_emulator::{Emulator, EmulatorConfig, JobState};
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! let job = emulator.add_job("cluster-1", None, Some(JobState::Running));
//! println!("kill {job} at {}", emulator.url());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod auth;
mod call;
mod config;
mod faults;
mod iam;
mod issued;
mod jobs;
mod keyless;
mod mrs_api;
mod rate_limit;
mod responses;
mod route_names;
mod route_table;
mod router;
mod server;
mod shared;
mod signing;
mod stats;
mod tls;

pub use config::{
    Agency, DEFAULT_ACCESS_KEY, DEFAULT_AGENCY_DOMAIN_ID, DEFAULT_PROJECT_ID, DEFAULT_REGION,
    DEFAULT_SECRET_KEY, EmulatorConfig, OidcProvider,
};
pub use faults::{FaultPlan, FaultSpecError, FaultStep, parse_fault_plan};
pub use issued::IssuedCredential;
pub use jobs::{
    JobClock, JobResult, JobSnapshot, JobSpec, JobState, UnknownJobResult, UnknownJobState,
};
pub use mrs_api::KILL_FAILED_BODY;
pub use route_names::{Route, UnknownRoute};
pub use server::{Emulator, EmulatorHandle};
pub use stats::{RouteCounts, Stats};
pub use tls::{TlsIdentity, TlsIdentityError};

#[cfg(test)]
mod tests;
