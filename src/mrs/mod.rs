//! Client for Huawei Cloud MapReduce Service (MRS): the HTTP calls the provider makes and the
//! AK/SK signing they need.
//!
//! Nothing here knows about Terraform. The provider builds a [`ClientConfig`], turns it into an
//! [`MrsClient`] once, and calls e.g. [`MrsClient::kill_job`] with a deadline; failures come
//! back as [`ApiError`]s whose [`summary`](ApiError::summary) and [`detail`](ApiError::detail)
//! map onto a Terraform diagnostic.
//!
//! Layout, top to bottom: [`client`] (the API operations) uses `transport` (sign, send, retry
//! loop, bounded bodies), which uses `tls` (how servers are checked;
//! the system CA roots are loaded once, in the background), [`retry`] (when to try
//! again), [`signer`] (SDK-HMAC-SHA256), [`error`] (tolerant error-body parsing, advice) and
//! [`model`] (job shapes); [`config`] holds settings and endpoint building, from [`regions`] (the
//! SDKs' region tables); [`credentials`] the temporary keys that are fetched and renewed (ECS
//! metadata, assumed agencies) and KooCLI's shared config file; [`local_file`] reads the small files settings name, with a
//! size cap and never from a device or FIFO; [`shown_text`] and [`sent_secrets`] make what a server
//! says safe to show (on one line, escaped, with the secrets the provider sent blotted out).

pub mod client;
pub mod config;
pub mod credentials;
pub mod error;
mod governor;
pub mod local_file;
pub mod model;
pub mod poller;
pub mod regions;
pub mod retry;
pub mod sent_secrets;
pub mod shown_text;
pub mod signer;
mod tls;
mod transport;

pub use client::{KillAccepted, LIST_PAGE_SIZE, MrsClient};
pub use config::{ClientConfig, ConfigError, Credentials};
pub use credentials::{SessionKeys, TemporaryCredentials};
pub use error::{ApiError, ApiErrorKind};
pub use model::{JobDetail, JobFilter, JobState, SubmitJob, SubmitJobResult};
pub use retry::RetryPolicy;
pub use tls::check_ca_file;
