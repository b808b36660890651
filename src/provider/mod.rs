//! The `mrs` provider: its configuration block and the resources, data sources and actions it
//! offers. Configuration follows the huaweicloud provider's names and environment variables, so
//! users of that provider need to learn nothing new.

mod actions;
mod api_errors;
mod clients;
mod cluster_jobs;
mod data_sources;
mod kill;
mod location;
#[cfg(test)]
mod models_tests;
mod operation;
mod plan_check;
mod plan_named;
mod quiet;
mod records;
mod resources;
#[cfg(test)]
mod scripted_cluster;
mod selection;
mod settings;
pub mod validators;

use async_trait::async_trait;

use crate::framework::{
    self, AnyAction, AnyDataSource, AnyResource, ConfigureRequest, Diagnostics, Schema,
};
use crate::plugin::ProviderIdentity;
pub use actions::{JobKillAction, JobsKillAction};
pub use clients::Clients;
pub use data_sources::{JobExecutionDataSource, JobExecutionsDataSource};
pub use resources::{JobKillResource, JobsKillResource};

/// The `mrs` provider.
#[derive(Debug, Default)]
pub struct MrsProvider;

/// Who the `mrs` provider is, for the plugin runtime and the framework's messages.
pub const IDENTITY: ProviderIdentity = ProviderIdentity {
    name: "mrs",
    address: "registry.terraform.io/huaweicloud/mrs",
    binary: "terraform-provider-mrs",
    version: env!("CARGO_PKG_VERSION"),
    description: "Terraform provider for Huawei Cloud MapReduce Service",
    api: "MRS",
    log_target: env!("CARGO_CRATE_NAME"),
};

#[async_trait]
impl framework::Provider for MrsProvider {
    type Client = Clients;

    fn identity(&self) -> ProviderIdentity {
        IDENTITY
    }

    fn schema(&self) -> Schema {
        settings::schema()
    }

    fn validate(&self, config: &framework::Config, diags: &mut Diagnostics) {
        settings::validate(config, diags);
    }

    async fn configure(
        &self,
        request: ConfigureRequest,
        diags: &mut Diagnostics,
    ) -> Option<Clients> {
        // The one place the provider block's environment variables are read.
        let settings = settings::resolve(&request.config, |name| std::env::var(name).ok(), diags)?;
        let endpoint_from_block = settings.endpoint_from_block();
        let terraform_version =
            (!request.terraform_version.is_empty()).then_some(request.terraform_version);
        // Temporary keys (ECS metadata, assume_role) are fetched here, so problems show in plan.
        let config = settings
            .into_client_config(terraform_version, diags)
            .await?;
        match Clients::new(config) {
            Ok(clients) => Some(clients.with_endpoint_from_block(endpoint_from_block)),
            Err(e) => {
                diags.add_error("Unable to set up the MRS client", e.to_string());
                None
            }
        }
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource<Clients>>> {
        vec![
            framework::resource(JobKillResource),
            framework::resource(JobsKillResource),
        ]
    }

    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource<Clients>>> {
        vec![
            framework::data_source(JobExecutionDataSource),
            framework::data_source(JobExecutionsDataSource),
        ]
    }

    fn actions(&self) -> Vec<Box<dyn AnyAction<Clients>>> {
        vec![
            framework::action(JobKillAction),
            framework::action(JobsKillAction),
        ]
    }
}
