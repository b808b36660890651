//! A yardstick for what `mrs_job_kill`'s schema costs Terraform: the same provider and the same
//! kill, with the resource cut to three attributes (`cluster_id`, `job_execution_id`,
//! `request_id`). The benchmark copies its own executable into a second `dev_overrides`
//! directory and sets [`SERVE_ENV`], so Terraform starts this provider under the real one's name.
//!
//! The difference between this and `mrs_job_kill` is therefore only the attributes issue 4 asks
//! for (Terraform handles every attribute of every instance in each RPC, in the plan it renders
//! and in each rewrite of the state); the difference between this and the floor is what being an
//! external plugin costs at all.

use std::process::ExitCode;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use terraform_provider_mrs::framework::{
    self, AnyResource, Attribute, ConfigureRequest, Ctx, Diagnostics, Provider, ProviderService,
    Resource, Schema,
};
use terraform_provider_mrs::plugin;
use terraform_provider_mrs::provider::{Clients, MrsProvider};
use tokio::time::{Duration, Instant};

/// Set (to anything) in the environment of a copy of the benchmark: it then serves this provider.
pub const SERVE_ENV: &str = "MRS_BENCH_SERVE_MINIMAL_PROVIDER";

/// Serves the provider when the benchmark started this process for Terraform.
pub fn serve_if_asked() -> Option<ExitCode> {
    std::env::var_os(SERVE_ENV)?;
    Some(plugin::run(MrsProvider.identity(), |context| {
        ProviderService::new(MinimalProvider, context.shutdown.child_token())
    }))
}

/// `mrs` with the real provider block and configuration, and only the cut-down resource.
struct MinimalProvider;

#[async_trait]
impl Provider for MinimalProvider {
    type Client = Clients;

    fn identity(&self) -> plugin::ProviderIdentity {
        MrsProvider.identity()
    }

    fn schema(&self) -> Schema {
        MrsProvider.schema()
    }

    fn validate(&self, config: &framework::Config, diags: &mut Diagnostics) {
        MrsProvider.validate(config, diags);
    }

    async fn configure(
        &self,
        request: ConfigureRequest,
        diags: &mut Diagnostics,
    ) -> Option<Clients> {
        MrsProvider.configure(request, diags).await
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource<Clients>>> {
        vec![framework::resource(MinimalKill)]
    }
}

/// `mrs_job_kill` with three attributes.
struct MinimalKill;

#[derive(Serialize, Deserialize)]
struct MinimalKillModel {
    cluster_id: String,
    job_execution_id: String,
    request_id: Option<String>,
}

#[async_trait]
impl Resource<Clients> for MinimalKill {
    type Model = MinimalKillModel;

    fn type_name(&self) -> &'static str {
        "mrs_job_kill"
    }

    fn schema(&self) -> Schema {
        Schema::new("Kills a job.", "Kills a job.")
            .attribute(
                Attribute::string("cluster_id")
                    .required()
                    .requires_replace(),
            )
            .attribute(
                Attribute::string("job_execution_id")
                    .required()
                    .requires_replace(),
            )
            .attribute(Attribute::string("request_id").computed())
    }

    async fn create(
        &self,
        ctx: &Ctx<Clients>,
        mut planned: MinimalKillModel,
        diags: &mut Diagnostics,
    ) -> Option<MinimalKillModel> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let (client, project_id) = ctx
            .client(diags)?
            .locate(None, None, deadline, diags)
            .await?;
        let accepted = client
            .kill_job(
                &project_id,
                &planned.cluster_id,
                &planned.job_execution_id,
                deadline.into_std(),
            )
            .await;
        match accepted {
            Ok(accepted) => {
                planned.request_id = accepted.request_id;
                Some(planned)
            }
            Err(e) => {
                diags.add_error(e.summary(), e.detail());
                None
            }
        }
    }

    async fn read(
        &self,
        _ctx: &Ctx<Clients>,
        state: MinimalKillModel,
        _diags: &mut Diagnostics,
    ) -> Option<MinimalKillModel> {
        Some(state)
    }

    async fn update(
        &self,
        _ctx: &Ctx<Clients>,
        _prior: MinimalKillModel,
        planned: MinimalKillModel,
        _diags: &mut Diagnostics,
    ) -> MinimalKillModel {
        planned
    }

    async fn delete(
        &self,
        _ctx: &Ctx<Clients>,
        _prior: MinimalKillModel,
        _diags: &mut Diagnostics,
    ) {
    }
}
