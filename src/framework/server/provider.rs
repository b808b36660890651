//! The RPCs about the provider itself: its schemas and metadata (built once), its own block's
//! validation and configuration, and StopProvider.

use std::collections::HashMap;

use super::convert::{diagnostics_to_proto, schema_to_proto};
use super::respond::{WithDiagnostics, decode};
use super::{Inner, pb};
use crate::framework::{
    AnyAction, AnyDataSource, AnyResource, Config, ConfigureRequest, Diagnostics, Provider, Schema,
    validate_against_schema,
};

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

fn sorted_names<T: ?Sized>(map: &HashMap<&'static str, Box<T>>) -> impl Iterator<Item = String> {
    let mut names: Vec<String> = map.keys().map(|k| k.to_string()).collect();
    names.sort();
    names.into_iter()
}

/// The GetProviderSchema answer: every schema the provider offers.
pub(super) fn schema_response<C>(
    provider_schema: &Schema,
    resources: &HashMap<&'static str, Box<dyn AnyResource<C>>>,
    data_sources: &HashMap<&'static str, Box<dyn AnyDataSource<C>>>,
    actions: &HashMap<&'static str, Box<dyn AnyAction<C>>>,
) -> pb::get_provider_schema::Response {
    pb::get_provider_schema::Response {
        provider: Some(schema_to_proto(provider_schema)),
        resource_schemas: resources
            .iter()
            .map(|(name, r)| (name.to_string(), schema_to_proto(r.schema())))
            .collect(),
        data_source_schemas: data_sources
            .iter()
            .map(|(name, d)| (name.to_string(), schema_to_proto(d.schema())))
            .collect(),
        action_schemas: actions
            .iter()
            .map(|(name, a)| {
                let schema = Some(schema_to_proto(a.schema()));
                (name.to_string(), pb::ActionSchema { schema })
            })
            .collect(),
        server_capabilities: Some(capabilities()),
        ..Default::default()
    }
}

/// The GetMetadata answer: the names of what the provider offers, sorted.
pub(super) fn metadata_response<C>(
    resources: &HashMap<&'static str, Box<dyn AnyResource<C>>>,
    data_sources: &HashMap<&'static str, Box<dyn AnyDataSource<C>>>,
    actions: &HashMap<&'static str, Box<dyn AnyAction<C>>>,
) -> pb::get_metadata::Response {
    pb::get_metadata::Response {
        server_capabilities: Some(capabilities()),
        resources: sorted_names(resources)
            .map(|type_name| pb::get_metadata::ResourceMetadata { type_name })
            .collect(),
        data_sources: sorted_names(data_sources)
            .map(|type_name| pb::get_metadata::DataSourceMetadata { type_name })
            .collect(),
        actions: sorted_names(actions)
            .map(|type_name| pb::get_metadata::ActionMetadata { type_name })
            .collect(),
        ..Default::default()
    }
}

/// ValidateProviderConfig: the schema's validators, then the provider's own checks.
pub(super) async fn validate_config<P: Provider>(
    inner: &Inner<P>,
    req: pb::validate_provider_config::Request,
) -> pb::validate_provider_config::Response {
    let mut diags = Diagnostics::new();
    if let Some(config) = decode(
        req.config.as_ref(),
        &inner.provider_type,
        "provider configuration",
        &mut diags,
    ) {
        validate_against_schema(&inner.provider_schema, &config, &mut diags);
        inner.provider.validate(&Config::new(config), &mut diags);
    }
    pb::validate_provider_config::Response::from_diagnostics(diagnostics_to_proto(diags))
}

/// ConfigureProvider: builds the client every later call receives.
pub(super) async fn configure<P: Provider>(
    inner: &Inner<P>,
    req: pb::configure_provider::Request,
) -> pb::configure_provider::Response {
    let mut diags = Diagnostics::new();
    if let Some(config) = decode(
        req.config.as_ref(),
        &inner.provider_type,
        "provider configuration",
        &mut diags,
    ) {
        let configure = ConfigureRequest {
            terraform_version: req.terraform_version,
            config: Config::new(config),
        };
        let client = inner.provider.configure(configure, &mut diags).await;
        if let Ok(mut slot) = inner.client.write() {
            *slot = client;
        }
    }
    pb::configure_provider::Response::from_diagnostics(diagnostics_to_proto(diags))
}

/// StopProvider: cancels work in flight; the process keeps serving until Terraform shuts it down.
pub(super) fn stop<P: Provider>(inner: &Inner<P>) -> pb::stop_provider::Response {
    tracing::info!("Terraform asked the provider to stop; cancelling work in flight");
    inner.stop.cancel();
    pb::stop_provider::Response {
        error: String::new(),
    }
}
