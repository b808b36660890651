//! The answers to the RPCs this framework does not offer and that do not fit the one generated
//! shape in `service.rs` (streams, function calls, moves and generated configuration): each says
//! what is missing, as a diagnostic or a function error, never as a gRPC failure.

use futures::StreamExt as _;
use tonic::Streaming;

use super::respond::{EventStream, WithDiagnostics, error_diagnostic, single_event, unsupported};
use super::{Inner, pb};
use crate::framework::Provider;

/// MoveResourceState (a `moved` block from another type or provider).
pub(super) async fn move_resource_state<P: Provider>(
    inner: &Inner<P>,
    req: pb::move_resource_state::Request,
) -> pb::move_resource_state::Response {
    pb::move_resource_state::Response::from_diagnostics(error_diagnostic(
        "Moving resource state is not supported",
        format!(
            "The {} provider cannot move state from {} {:?} into {:?}. Remove the `moved` block \
             and create the resource anew.",
            inner.identity.name,
            req.source_provider_address,
            req.source_type_name,
            req.target_type_name
        ),
    ))
}

/// GenerateResourceConfig (`terraform plan -generate-config-out`).
pub(super) async fn generate_resource_config<P: Provider>(
    _: &Inner<P>,
    req: pb::generate_resource_config::Request,
) -> pb::generate_resource_config::Response {
    pb::generate_resource_config::Response::from_diagnostics(error_diagnostic(
        "Generating configuration is not supported",
        format!(
            "The {} resource cannot generate configuration from state; write it by hand.",
            req.type_name
        ),
    ))
}

/// CallFunction: there are no functions, so every name is unknown.
pub(super) fn call_function<P: Provider>(
    inner: &Inner<P>,
    req: pb::call_function::Request,
) -> pb::call_function::Response {
    pb::call_function::Response {
        result: None,
        error: Some(pb::FunctionError {
            text: format!(
                "The {} provider has no function named {:?}.",
                inner.identity.name, req.name
            ),
            function_argument: None,
        }),
    }
}

/// ListResource: one event carrying the diagnostic.
pub(super) fn list_resource<P: Provider>(
    inner: &Inner<P>,
    req: pb::list_resource::Request,
) -> EventStream<pb::list_resource::Event> {
    single_event(pb::list_resource::Event {
        diagnostic: unsupported(&inner.identity, "list resource type", &req.type_name),
        ..Default::default()
    })
}

/// ReadStateBytes: one chunk carrying the diagnostic.
pub(super) fn read_state_bytes<P: Provider>(
    inner: &Inner<P>,
    req: pb::read_state_bytes::Request,
) -> EventStream<pb::read_state_bytes::ResponseChunk> {
    single_event(pb::read_state_bytes::ResponseChunk::from_diagnostics(
        unsupported(&inner.identity, "state store", &req.type_name),
    ))
}

/// WriteStateBytes: reads the client's chunks to the end (the type name is in the first), then
/// answers with the diagnostic.
pub(super) async fn write_state_bytes<P: Provider>(
    inner: &Inner<P>,
    mut chunks: Streaming<pb::write_state_bytes::RequestChunk>,
) -> pb::write_state_bytes::Response {
    let mut type_name = String::new();
    while let Some(Ok(chunk)) = chunks.next().await {
        if let Some(meta) = chunk.meta {
            type_name = meta.type_name;
        }
    }
    pb::write_state_bytes::Response::from_diagnostics(unsupported(
        &inner.identity,
        "state store",
        &type_name,
    ))
}
