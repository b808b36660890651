//! MRS jobs as the emulator keeps them: their state names, the state machine that moves them on
//! a clock and under kills, the store that holds them per cluster, and their MRS-shaped JSON.
//!
//! Inside, the arrows run one way: `states` ← `lifecycle` ← `store`, and `detail` renders what
//! `lifecycle` holds. The state machine knows nothing of JSON, and the rendering changes no state.

mod detail;
mod lifecycle;
mod states;
mod store;

pub(crate) use detail::job_detail;
pub use lifecycle::{JobClock, JobSnapshot};
pub(crate) use lifecycle::{KillOutcome, KillRequest};
pub use states::{JobResult, JobState, UnknownJobResult, UnknownJobState};
pub use store::JobSpec;
pub(crate) use store::{JobStore, ListFilter, LookupError, SubmitJob};
