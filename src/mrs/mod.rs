//! Client for Huawei Cloud MapReduce Service (MRS): the HTTP calls the provider makes and the
//! AK/SK signing they need.
//!
//! Nothing here knows about Terraform. The provider builds a [`ClientConfig`], turns it into an
//! [`MrsClient`] once, and calls e.g. [`MrsClient::kill_job`] with a deadline; failures come
//! back as [`ApiError`]s whose [`summary`](ApiError::summary) and [`detail`](ApiError::detail)
//! map onto a Terraform diagnostic. Nothing here reads the environment: the provider does, and
//! hands the values in.
//!
//! Layout, top to bottom (each room uses only rooms below it; `tests/module_graph.rs` checks):
//!
//! - [`client`]: [`MrsClient`], the provider's handle. Owns the API and the [`poller`], and
//!   hands the jobs a listing saw to the poller from above.
//! - [`poller`]: coalesced looks at job states, a few list calls per tick for every waiter.
//! - `listing`: a whole listing, page by page, within its bounds of pages and bytes.
//! - `api`: the one generic call of an operation: path filled from checked IDs, answer read as
//!   the operation's response type.
//! - `operations`: every MRS and IAM operation, each described once (method, path template,
//!   retry rule, response type). Adding an endpoint starts here.
//! - [`config`]: the [`ClientConfig`] bundle the provider fills in, endpoint building from
//!   [`regions`] (the SDKs' region tables), and the small values handed below:
//!   TLS, retry and transport settings, the identity service.
//! - [`credentials`]: the [`Credentials`] requests are signed with, and the sources of keys that
//!   expire (ECS metadata, assumed agencies, OIDC), one file per source behind one trait; also
//!   KooCLI's shared config file, and the signing of a request with any of them.
//! - `transport`: sign (through an `Authenticate` it is handed), send, retry loop, bounded
//!   bodies; `governor` (one shared pace per client), [`retry`] (when to try again) and `tls`
//!   (how servers are checked; the system CA roots are loaded once, in the background).
//! - Leaves: [`signer`] (SDK-HMAC-SHA256 and SM3), [`error`] (API and configuration errors,
//!   tolerant error-body parsing, advice), [`model`] (job shapes), [`local_file`] (the small
//!   files settings name, with a size cap and never from a device or FIFO), [`shown_text`] and
//!   [`sent_secrets`] (what a server says, made safe to show: on one line, escaped, with the
//!   secrets the provider sent blotted out).

mod api;
pub mod client;
pub mod config;
pub mod credentials;
pub mod error;
mod governor;
mod listing;
pub mod local_file;
pub mod model;
mod operations;
pub mod poller;
pub mod regions;
pub mod retry;
pub mod sent_secrets;
pub mod shown_text;
pub mod signer;
mod tls;
mod transport;

pub use client::{KillAccepted, LIST_PAGE_SIZE, MAX_LIST_BYTES, MrsClient};
pub use config::ClientConfig;
pub use credentials::{Credentials, IdentityService, SessionKeys, TemporaryCredentials};
pub use error::{ApiError, ApiErrorKind, ConfigError};
pub use model::{JobDetail, JobFilter, JobState, SubmitJob, SubmitJobResult};
pub use retry::RetryPolicy;
pub use tls::{TlsSettings, check_ca_file};
pub use transport::TransportSettings;
