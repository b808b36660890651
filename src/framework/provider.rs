//! The provider trait: its own schema and configuration, and the resources it offers.

use async_trait::async_trait;

use super::{AnyAction, AnyDataSource, AnyResource, Config, Diagnostics, Schema};
use crate::plugin::ProviderIdentity;

/// What Terraform hands to `configure`.
#[derive(Debug, Clone)]
pub struct ConfigureRequest {
    /// Terraform's version, e.g. `1.11.4` (empty when Terraform did not say).
    pub terraform_version: String,
    /// The provider block; values may be unknown during plan.
    pub config: Config,
}

/// A Terraform provider: a schema for its block, a configure step that builds a client, and the
/// resources, data sources and actions that use that client.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` builds and every call of a resource receives.
    type Client: Clone + Send + Sync + 'static;

    /// Who the provider is: its names and the API it calls, used in the framework's messages
    /// (and handed to [`crate::plugin::run`] by `main`).
    fn identity(&self) -> ProviderIdentity;

    /// The provider's local name; resource type names start with it.
    fn type_name(&self) -> &'static str {
        self.identity().name
    }

    /// The schema of the provider block.
    fn schema(&self) -> Schema;

    /// Checks the provider block before anything runs; values may be unknown.
    fn validate(&self, _config: &Config, _diags: &mut Diagnostics) {}

    /// Builds the client from the provider block (and the environment). `None` with an error
    /// diagnostic when that is impossible; `None` without one when values are still unknown.
    async fn configure(
        &self,
        request: ConfigureRequest,
        diags: &mut Diagnostics,
    ) -> Option<Self::Client>;

    /// The managed resources.
    fn resources(&self) -> Vec<Box<dyn AnyResource<Self::Client>>>;

    /// The data sources.
    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource<Self::Client>>> {
        Vec::new()
    }

    /// The actions (protocol 6.10, Terraform 1.14 and later).
    fn actions(&self) -> Vec<Box<dyn AnyAction<Self::Client>>> {
        Vec::new()
    }
}
