//! terraform-provider-mrs executable: a stand-in provider served over go-plugin until the
//! framework and the mrs provider are wired in.

use std::process::ExitCode;

use terraform_provider_mrs::plugin::{self, proto::tfplugin6};
use tonic::{Request, Response, Status};

/// Answers GetProviderSchema with an empty provider schema; every other RPC is "unimplemented".
struct StandIn;

#[tonic::async_trait]
impl tfplugin6::provider_server::Provider for StandIn {
    async fn get_provider_schema(
        &self,
        _request: Request<tfplugin6::get_provider_schema::Request>,
    ) -> Result<Response<tfplugin6::get_provider_schema::Response>, Status> {
        Ok(Response::new(tfplugin6::get_provider_schema::Response {
            // Terraform requires a block, even an empty one.
            provider: Some(tfplugin6::Schema {
                version: 0,
                block: Some(tfplugin6::schema::Block::default()),
            }),
            ..Default::default()
        }))
    }
}

fn main() -> ExitCode {
    plugin::run(|_| StandIn)
}
