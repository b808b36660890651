//! The tfplugin6 `Provider` gRPC service, implemented once for any [`Provider`].
//!
//! Every RPC of protocol 6.11 gets an answer: the ones a provider can use are dispatched to its
//! resources, data sources and actions; the rest (functions, ephemeral and list resources, state
//! stores, identity) answer with an empty result or an error diagnostic naming what is missing.
//! A panic in a handler becomes an error diagnostic on that request and the server keeps serving.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use super::convert::{diagnostics_to_proto, path_to_proto, schema_to_proto};
use super::plan::plan_resource;
use super::respond::{
    EventStream, WithDiagnostics, async_stream, decode, encode, error_diagnostic, guarded,
    single_event, unsupported, validate_request,
};
use super::validate::validate_against_schema;
use super::{
    AnyAction, AnyDataSource, AnyResource, Config, ConfigureRequest, Ctx, Described, Diagnostics,
    Progress, Provider,
};
use crate::plugin::proto::tfplugin6 as pb;
use crate::tfvalue::{self, Type, Value};

/// Serves a [`Provider`] over tfplugin6. Cheap to clone; all clones share one state.
pub struct ProviderService<P: Provider> {
    inner: Arc<Inner<P>>,
}

impl<P: Provider> Clone for ProviderService<P> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct Inner<P: Provider> {
    provider: P,
    provider_schema: super::Schema,
    provider_type: Type,
    resources: HashMap<&'static str, Box<dyn AnyResource<P::Client>>>,
    data_sources: HashMap<&'static str, Box<dyn AnyDataSource<P::Client>>>,
    actions: HashMap<&'static str, Box<dyn AnyAction<P::Client>>>,
    schema_response: pb::get_provider_schema::Response,
    metadata_response: pb::get_metadata::Response,
    client: RwLock<Option<P::Client>>,
    stop: CancellationToken,
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

fn index<T: Described + ?Sized>(items: Vec<Box<T>>) -> HashMap<&'static str, Box<T>> {
    items
        .into_iter()
        .map(|item| (item.type_name(), item))
        .collect()
}

impl<P: Provider> ProviderService<P> {
    /// Builds every schema once. `stop` is cancelled by StopProvider and by process shutdown.
    pub fn new(provider: P, stop: CancellationToken) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = index(provider.resources());
        let data_sources = index(provider.data_sources());
        let actions = index(provider.actions());

        let schema_response = pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(&provider_schema)),
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
        };
        let metadata_response = pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: sorted_names(&resources)
                .map(|type_name| pb::get_metadata::ResourceMetadata { type_name })
                .collect(),
            data_sources: sorted_names(&data_sources)
                .map(|type_name| pb::get_metadata::DataSourceMetadata { type_name })
                .collect(),
            actions: sorted_names(&actions)
                .map(|type_name| pb::get_metadata::ActionMetadata { type_name })
                .collect(),
            ..Default::default()
        };
        Self {
            inner: Arc::new(Inner {
                provider,
                provider_schema,
                provider_type,
                resources,
                data_sources,
                actions,
                schema_response,
                metadata_response,
                client: RwLock::new(None),
                stop,
            }),
        }
    }
}

fn sorted_names<T: ?Sized>(map: &HashMap<&'static str, Box<T>>) -> impl Iterator<Item = String> {
    let mut names: Vec<String> = map.keys().map(|k| k.to_string()).collect();
    names.sort();
    names.into_iter()
}

impl<P: Provider> Inner<P> {
    fn ctx(&self) -> Ctx<P::Client> {
        let client = self.client.read().ok().and_then(|guard| guard.clone());
        Ctx::new(client, self.stop.clone())
    }
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(self.inner.metadata_response.clone()))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(self.inner.schema_response.clone()))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let inner = &self.inner;
        guarded("ValidateProviderConfig", async move {
            let req = request.into_inner();
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
        })
        .await
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let inner = &self.inner;
        guarded("ConfigureProvider", async move {
            let req = request.into_inner();
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
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let inner = &self.inner;
        guarded("ValidateResourceConfig", async move {
            let req = request.into_inner();
            let owner = inner
                .resources
                .get(req.type_name.as_str())
                .map(|o| o.as_ref() as &dyn Described);
            pb::validate_resource_config::Response::from_diagnostics(validate_request(
                owner,
                "resource type",
                &req.type_name,
                req.config.as_ref(),
            ))
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let inner = &self.inner;
        guarded("ValidateDataResourceConfig", async move {
            let req = request.into_inner();
            let owner = inner
                .data_sources
                .get(req.type_name.as_str())
                .map(|o| o.as_ref() as &dyn Described);
            pb::validate_data_resource_config::Response::from_diagnostics(validate_request(
                owner,
                "data source",
                &req.type_name,
                req.config.as_ref(),
            ))
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let inner = &self.inner;
        guarded("UpgradeResourceState", async move {
            let req = request.into_inner();
            let Some(resource) = inner.resources.get(req.type_name.as_str()) else {
                return pb::upgrade_resource_state::Response::from_diagnostics(unsupported("resource type", &req.type_name));
            };
            let mut diags = Diagnostics::new();
            let current = resource.schema().version;
            if req.version > current {
                diags.add_error(
                    "State written by a newer provider",
                    format!(
                        "The stored {} state has schema version {}, but this provider knows version {current}. \
                         Upgrade the provider, or restore a state written by this version.",
                        req.type_name, req.version
                    ),
                );
                return pb::upgrade_resource_state::Response::from_diagnostics(diagnostics_to_proto(diags));
            }
            let ty = resource.value_type();
            let raw = req.raw_state.unwrap_or_default();
            let decoded = if !raw.json.is_empty() {
                tfvalue::decode_json(&raw.json, ty)
            } else {
                tfvalue::decode_flatmap(&raw.flatmap, ty)
            };
            let upgraded_state = match decoded {
                Ok(value) => encode(&value, ty, &mut diags),
                Err(e) => {
                    diags.add_error(
                        "Unable to read stored state",
                        format!("The stored {} state could not be decoded: {e}", req.type_name),
                    );
                    None
                }
            };
            pb::upgrade_resource_state::Response {
                upgraded_state,
                diagnostics: diagnostics_to_proto(diags),
            }
        })
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        guarded("UpgradeResourceIdentity", async move {
            let req = request.into_inner();
            pb::upgrade_resource_identity::Response::from_diagnostics(unsupported(
                "resource identity",
                &req.type_name,
            ))
        })
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let inner = &self.inner;
        guarded("ReadResource", async move {
            let req = request.into_inner();
            let Some(resource) = inner.resources.get(req.type_name.as_str()) else {
                return pb::read_resource::Response::from_diagnostics(unsupported(
                    "resource type",
                    &req.type_name,
                ));
            };
            let ty = resource.value_type();
            let mut diags = Diagnostics::new();
            let Some(current) =
                decode(req.current_state.as_ref(), ty, "resource state", &mut diags)
            else {
                return pb::read_resource::Response::from_diagnostics(diagnostics_to_proto(diags));
            };
            let new_state = if current.is_null() {
                Value::Null
            } else {
                resource.read(&inner.ctx(), &current, &mut diags).await
            };
            pb::read_resource::Response {
                new_state: encode(&new_state, ty, &mut diags),
                private: req.private,
                diagnostics: diagnostics_to_proto(diags),
                ..Default::default()
            }
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let inner = &self.inner;
        guarded("PlanResourceChange", async move {
            let req = request.into_inner();
            let Some(resource) = inner.resources.get(req.type_name.as_str()) else {
                return pb::plan_resource_change::Response::from_diagnostics(unsupported(
                    "resource type",
                    &req.type_name,
                ));
            };
            let ty = resource.value_type();
            let mut diags = Diagnostics::new();
            let decoded = (
                decode(req.prior_state.as_ref(), ty, "prior state", &mut diags),
                decode(
                    req.proposed_new_state.as_ref(),
                    ty,
                    "proposed state",
                    &mut diags,
                ),
                decode(
                    req.config.as_ref(),
                    ty,
                    "resource configuration",
                    &mut diags,
                ),
            );
            let (Some(prior), Some(proposed), Some(config)) = decoded else {
                return pb::plan_resource_change::Response::from_diagnostics(diagnostics_to_proto(
                    diags,
                ));
            };
            if !config.is_null() {
                validate_against_schema(resource.schema(), &config, &mut diags);
                if diags.has_errors() {
                    return pb::plan_resource_change::Response::from_diagnostics(
                        diagnostics_to_proto(diags),
                    );
                }
            }
            let mut plan = plan_resource(resource.schema(), &prior, &proposed, &config);
            if !plan.planned.is_null() {
                resource.modify_plan(&inner.ctx(), &mut plan.planned);
                (resource.plan_diagnostics(&inner.ctx(), &plan.planned, &mut diags)).await;
            }
            pb::plan_resource_change::Response {
                planned_state: encode(&plan.planned, ty, &mut diags),
                requires_replace: plan.requires_replace.iter().map(path_to_proto).collect(),
                planned_private: req.prior_private,
                diagnostics: diagnostics_to_proto(diags),
                ..Default::default()
            }
        })
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let inner = &self.inner;
        guarded("ApplyResourceChange", async move {
            let req = request.into_inner();
            let Some(resource) = inner.resources.get(req.type_name.as_str()) else {
                return pb::apply_resource_change::Response::from_diagnostics(unsupported(
                    "resource type",
                    &req.type_name,
                ));
            };
            let ty = resource.value_type();
            let mut diags = Diagnostics::new();
            let decoded = (
                decode(req.prior_state.as_ref(), ty, "prior state", &mut diags),
                decode(req.planned_state.as_ref(), ty, "planned state", &mut diags),
            );
            let (Some(prior), Some(planned)) = decoded else {
                return pb::apply_resource_change::Response::from_diagnostics(
                    diagnostics_to_proto(diags),
                );
            };
            let ctx = inner.ctx();
            let new_state = if planned.is_null() {
                resource.delete(&ctx, &prior, &mut diags).await;
                if diags.has_errors() {
                    prior
                } else {
                    Value::Null
                }
            } else if prior.is_null() {
                resource.create(&ctx, &planned, &mut diags).await
            } else {
                resource.update(&ctx, &prior, &planned, &mut diags).await
            };
            pb::apply_resource_change::Response {
                new_state: encode(&new_state, ty, &mut diags),
                private: req.planned_private,
                diagnostics: diagnostics_to_proto(diags),
                ..Default::default()
            }
        })
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let inner = &self.inner;
        guarded("ImportResourceState", async move {
            let req = request.into_inner();
            let Some(resource) = inner.resources.get(req.type_name.as_str()) else {
                return pb::import_resource_state::Response::from_diagnostics(unsupported(
                    "resource type",
                    &req.type_name,
                ));
            };
            let mut diags = Diagnostics::new();
            let state = resource.import(&inner.ctx(), &req.id, &mut diags).await;
            let imported_resources = if state.is_null() || diags.has_errors() {
                Vec::new()
            } else {
                encode(&state, resource.value_type(), &mut diags)
                    .map(|state| pb::import_resource_state::ImportedResource {
                        type_name: req.type_name.clone(),
                        state: Some(state),
                        ..Default::default()
                    })
                    .into_iter()
                    .collect()
            };
            pb::import_resource_state::Response {
                imported_resources,
                diagnostics: diagnostics_to_proto(diags),
                ..Default::default()
            }
        })
        .await
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        guarded("MoveResourceState", async move {
            let req = request.into_inner();
            pb::move_resource_state::Response::from_diagnostics(error_diagnostic(
                "Moving resource state is not supported",
                format!(
                    "The mrs provider cannot move state from {} {:?} into {:?}. Remove the `moved` block \
                     and create the resource anew.",
                    req.source_provider_address, req.source_type_name, req.target_type_name
                ),
            ))
        })
        .await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let inner = &self.inner;
        guarded("ReadDataSource", async move {
            let req = request.into_inner();
            let Some(data_source) = inner.data_sources.get(req.type_name.as_str()) else {
                return pb::read_data_source::Response::from_diagnostics(unsupported(
                    "data source",
                    &req.type_name,
                ));
            };
            let ty = data_source.value_type();
            let mut diags = Diagnostics::new();
            let Some(config) = decode(
                req.config.as_ref(),
                ty,
                "data source configuration",
                &mut diags,
            ) else {
                return pb::read_data_source::Response::from_diagnostics(diagnostics_to_proto(
                    diags,
                ));
            };
            let state = data_source.read(&inner.ctx(), &config, &mut diags).await;
            let state = if diags.has_errors() {
                None
            } else {
                encode(&state, ty, &mut diags)
            };
            pb::read_data_source::Response {
                state,
                diagnostics: diagnostics_to_proto(diags),
                ..Default::default()
            }
        })
        .await
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        guarded("GenerateResourceConfig", async move {
            let req = request.into_inner();
            pb::generate_resource_config::Response::from_diagnostics(error_diagnostic(
                "Generating configuration is not supported",
                format!(
                    "The {} resource cannot generate configuration from state; write it by hand.",
                    req.type_name
                ),
            ))
        })
        .await
    }

    async fn validate_ephemeral_resource_config(
        &self,
        request: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        guarded("ValidateEphemeralResourceConfig", async move {
            pb::validate_ephemeral_resource_config::Response::from_diagnostics(unsupported(
                "ephemeral resource type",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn open_ephemeral_resource(
        &self,
        request: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        guarded("OpenEphemeralResource", async move {
            pb::open_ephemeral_resource::Response::from_diagnostics(unsupported(
                "ephemeral resource type",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn renew_ephemeral_resource(
        &self,
        request: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        guarded("RenewEphemeralResource", async move {
            pb::renew_ephemeral_resource::Response::from_diagnostics(unsupported(
                "ephemeral resource type",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn close_ephemeral_resource(
        &self,
        request: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        guarded("CloseEphemeralResource", async move {
            pb::close_ephemeral_resource::Response::from_diagnostics(unsupported(
                "ephemeral resource type",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<EventStream<pb::list_resource::Event>>, Status> {
        let type_name = request.into_inner().type_name;
        Ok(Response::new(single_event(pb::list_resource::Event {
            diagnostic: unsupported("list resource type", &type_name),
            ..Default::default()
        })))
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        guarded("ValidateListResourceConfig", async move {
            pb::validate_list_resource_config::Response::from_diagnostics(unsupported(
                "list resource type",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let name = request.into_inner().name;
        Ok(Response::new(pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text: format!("The mrs provider has no function named {name:?}."),
                function_argument: None,
            }),
        }))
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        let inner = &self.inner;
        guarded("ValidateActionConfig", async move {
            let req = request.into_inner();
            let owner = inner
                .actions
                .get(req.action_type.as_str())
                .map(|o| o.as_ref() as &dyn Described);
            pb::validate_action_config::Response::from_diagnostics(validate_request(
                owner,
                "action type",
                &req.action_type,
                req.config.as_ref(),
            ))
        })
        .await
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        let inner = &self.inner;
        guarded("PlanAction", async move {
            let req = request.into_inner();
            let Some(action) = inner.actions.get(req.action_type.as_str()) else {
                return pb::plan_action::Response::from_diagnostics(unsupported(
                    "action type",
                    &req.action_type,
                ));
            };
            let mut diags = Diagnostics::new();
            if let Some(config) = decode(
                req.config.as_ref(),
                action.value_type(),
                "action configuration",
                &mut diags,
            ) {
                validate_against_schema(action.schema(), &config, &mut diags);
            }
            pb::plan_action::Response::from_diagnostics(diagnostics_to_proto(diags))
        })
        .await
    }

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<EventStream<pb::invoke_action::Event>>, Status> {
        use pb::invoke_action::{Event, event};
        let completed = |diagnostics| Event {
            r#type: Some(event::Type::Completed(event::Completed { diagnostics })),
        };
        let req = request.into_inner();
        if !self.inner.actions.contains_key(req.action_type.as_str()) {
            return Ok(Response::new(single_event(completed(unsupported(
                "action type",
                &req.action_type,
            )))));
        }
        let (progress, mut messages) = Progress::channel();
        let inner = Arc::clone(&self.inner);
        let run = tokio::spawn(async move {
            let Some(action) = inner.actions.get(req.action_type.as_str()) else {
                return Vec::new();
            };
            let mut diags = Diagnostics::new();
            if let Some(config) = decode(
                req.config.as_ref(),
                action.value_type(),
                "action configuration",
                &mut diags,
            ) {
                action
                    .invoke(&inner.ctx(), &config, &progress, &mut diags)
                    .await;
            }
            diagnostics_to_proto(diags)
        });
        let events = async_stream(move |tx| async move {
            while let Some(message) = messages.recv().await {
                let event = Event {
                    r#type: Some(event::Type::Progress(event::Progress { message })),
                };
                if tx.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            let diagnostics = match run.await {
                Ok(diagnostics) => diagnostics,
                Err(e) => error_diagnostic(
                    "Provider bug: internal error",
                    format!(
                        "The action stopped unexpectedly: {e}. Please report this to the provider's maintainers."
                    ),
                ),
            };
            let _ = tx.send(Ok(completed(diagnostics))).await;
        });
        Ok(Response::new(events))
    }

    async fn validate_state_store_config(
        &self,
        request: Request<pb::validate_state_store_config::Request>,
    ) -> Result<Response<pb::validate_state_store_config::Response>, Status> {
        guarded("ValidateStateStoreConfig", async move {
            pb::validate_state_store_config::Response::from_diagnostics(unsupported(
                "state store",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn configure_state_store(
        &self,
        request: Request<pb::configure_state_store::Request>,
    ) -> Result<Response<pb::configure_state_store::Response>, Status> {
        guarded("ConfigureStateStore", async move {
            pb::configure_state_store::Response::from_diagnostics(unsupported(
                "state store",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn read_state_bytes(
        &self,
        request: Request<pb::read_state_bytes::Request>,
    ) -> Result<Response<EventStream<pb::read_state_bytes::ResponseChunk>>, Status> {
        let type_name = request.into_inner().type_name;
        Ok(Response::new(single_event(
            pb::read_state_bytes::ResponseChunk::from_diagnostics(unsupported(
                "state store",
                &type_name,
            )),
        )))
    }

    async fn write_state_bytes(
        &self,
        request: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
    ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
        guarded("WriteStateBytes", async move {
            let mut chunks = request.into_inner();
            let mut type_name = String::new();
            while let Some(Ok(chunk)) = chunks.next().await {
                if let Some(meta) = chunk.meta {
                    type_name = meta.type_name;
                }
            }
            pb::write_state_bytes::Response::from_diagnostics(unsupported(
                "state store",
                &type_name,
            ))
        })
        .await
    }

    async fn lock_state(
        &self,
        request: Request<pb::lock_state::Request>,
    ) -> Result<Response<pb::lock_state::Response>, Status> {
        guarded("LockState", async move {
            pb::lock_state::Response::from_diagnostics(unsupported(
                "state store",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn unlock_state(
        &self,
        request: Request<pb::unlock_state::Request>,
    ) -> Result<Response<pb::unlock_state::Response>, Status> {
        guarded("UnlockState", async move {
            pb::unlock_state::Response::from_diagnostics(unsupported(
                "state store",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn get_states(
        &self,
        request: Request<pb::get_states::Request>,
    ) -> Result<Response<pb::get_states::Response>, Status> {
        guarded("GetStates", async move {
            pb::get_states::Response::from_diagnostics(unsupported(
                "state store",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn delete_state(
        &self,
        request: Request<pb::delete_state::Request>,
    ) -> Result<Response<pb::delete_state::Response>, Status> {
        guarded("DeleteState", async move {
            pb::delete_state::Response::from_diagnostics(unsupported(
                "state store",
                &request.into_inner().type_name,
            ))
        })
        .await
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!("Terraform asked the provider to stop; cancelling work in flight");
        self.inner.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
