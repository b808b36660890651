//! How an RPC handler builds its answer: diagnostics on every response type, a panic turned
//! into an error diagnostic, decoding and encoding DynamicValues with a diagnostic on failure,
//! the shared validation path, and the event streams of the streaming RPCs.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use futures::{FutureExt, Stream};
use tonic::{Response, Status};

use super::convert::{decode_dynamic, diagnostics_to_proto, encode_dynamic};
use crate::framework::validate_against_schema;
use crate::framework::{Config, Described, Diagnostics};
use crate::plugin::ProviderIdentity;
use crate::plugin::proto::tfplugin6 as pb;
use crate::tfvalue::{Type, Value};

/// A response message that can carry diagnostics and nothing else.
pub(super) trait WithDiagnostics: Default {
    fn from_diagnostics(diagnostics: Vec<pb::Diagnostic>) -> Self;
}

macro_rules! with_diagnostics {
    ($($ty:ty),* $(,)?) => {$(
        impl WithDiagnostics for $ty {
            fn from_diagnostics(diagnostics: Vec<pb::Diagnostic>) -> Self {
                let mut response = Self::default();
                response.diagnostics = diagnostics;
                response
            }
        }
    )*};
}

with_diagnostics!(
    pb::get_metadata::Response,
    pb::get_provider_schema::Response,
    pb::get_resource_identity_schemas::Response,
    pb::validate_provider_config::Response,
    pb::validate_resource_config::Response,
    pb::validate_data_resource_config::Response,
    pb::upgrade_resource_state::Response,
    pb::upgrade_resource_identity::Response,
    pb::configure_provider::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::move_resource_state::Response,
    pb::read_data_source::Response,
    pb::generate_resource_config::Response,
    pb::validate_ephemeral_resource_config::Response,
    pb::open_ephemeral_resource::Response,
    pb::renew_ephemeral_resource::Response,
    pb::close_ephemeral_resource::Response,
    pb::validate_list_resource_config::Response,
    pb::get_functions::Response,
    pb::validate_action_config::Response,
    pb::plan_action::Response,
    pb::validate_state_store_config::Response,
    pb::configure_state_store::Response,
    pb::write_state_bytes::Response,
    pb::lock_state::Response,
    pb::unlock_state::Response,
    pb::get_states::Response,
    pb::delete_state::Response,
    pb::read_state_bytes::ResponseChunk,
    pb::invoke_action::event::Completed,
);

pub(super) fn error_diagnostic(summary: &str, detail: String) -> Vec<pb::Diagnostic> {
    let mut diags = Diagnostics::new();
    diags.add_error(summary, detail);
    diagnostics_to_proto(diags)
}

pub(super) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned())
}

/// Runs a handler, turning a panic into an error diagnostic on the response.
pub(super) async fn guarded<T: WithDiagnostics>(
    rpc: &'static str,
    handler: impl Future<Output = T>,
) -> Result<Response<T>, Status> {
    tracing::debug!(rpc, "handling request");
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(response) => Ok(Response::new(response)),
        Err(payload) => {
            let text = panic_text(payload.as_ref());
            tracing::error!(rpc, panic = %text, "provider panicked while handling a request");
            Ok(Response::new(T::from_diagnostics(error_diagnostic(
                "Provider bug: internal error",
                format!(
                    "The provider panicked while handling {rpc}: {text}. {} Please report this to \
                     the provider's maintainers.",
                    what_a_panic_leaves(rpc)
                ),
            ))))
        }
    }
}

/// What is known about the remote system after a panic in `rpc`: only the RPCs that carry out
/// changes can have changed anything, and for them the panic may have come after a request went out.
pub(super) fn what_a_panic_leaves(rpc: &str) -> &'static str {
    match rpc {
        "ApplyResourceChange" => {
            "The change may or may not have been made remotely: the panic may have come after a \
             request was sent. Check the remote system before applying again; Terraform keeps the \
             resource's prior state (none, for a new resource)."
        }
        "InvokeAction" => {
            "The action may or may not have been carried out remotely: the panic may have come \
             after a request was sent. Check the remote system before invoking it again."
        }
        _ => {
            "This request only validates, plans or reads, so the provider changed nothing \
             remotely; nothing was written to state."
        }
    }
}

pub(super) fn unsupported(
    provider: &ProviderIdentity,
    kind: &str,
    name: &str,
) -> Vec<pb::Diagnostic> {
    error_diagnostic(
        &format!("Unsupported {kind}"),
        format!(
            "The {} provider has no {kind} named {name:?}. Check the type name in your configuration.",
            provider.name
        ),
    )
}

/// Decodes a DynamicValue, adding a diagnostic on failure.
pub(super) fn decode(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    match decode_dynamic(value, ty) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.add_error_at(
                e.path(),
                format!("Unable to read {what}"),
                format!("Terraform sent a {what} the provider could not decode: {e}"),
            );
            None
        }
    }
}

pub(super) fn encode(
    value: &Value,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match encode_dynamic(value, ty) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.add_error_at(
                e.path(),
                "Provider bug: unable to encode a value",
                format!("{e}. Please report this to the provider's maintainers."),
            );
            None
        }
    }
}

/// Validation shared by resources, data sources and actions: the type must exist, the
/// configuration must decode, then the schema's validators and the owner's own checks run.
pub(super) fn validate_request(
    provider: &ProviderIdentity,
    owner: Option<&dyn Described>,
    kind: &str,
    type_name: &str,
    config: Option<&pb::DynamicValue>,
) -> Vec<pb::Diagnostic> {
    let Some(owner) = owner else {
        return unsupported(provider, kind, type_name);
    };
    let mut diags = Diagnostics::new();
    if let Some(config) = decode(config, owner.value_type(), "configuration", &mut diags) {
        validate_config(owner, config, &mut diags);
    }
    diagnostics_to_proto(diags)
}

/// Schema validators plus the owner's own checks.
pub(super) fn validate_config(owner: &dyn Described, config: Value, diags: &mut Diagnostics) {
    validate_against_schema(owner.schema(), &config, diags);
    owner.validate(&Config::new(config), diags);
}

pub(super) type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

pub(super) fn single_event<T: Send + 'static>(event: T) -> EventStream<T> {
    Box::pin(futures::stream::once(async move { Ok(event) }))
}

/// A stream fed by a spawned task through a small channel.
pub(super) fn async_stream<T, F, Fut>(produce: F) -> EventStream<T>
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<Result<T, Status>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(produce(tx));
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_with_an_error_diagnostic() {
        let handler = async {
            if std::hint::black_box(true) {
                panic!("boom in the handler");
            }
            pb::read_resource::Response::default()
        };
        let response = guarded("ReadResource", handler)
            .await
            .expect("an answer, not a gRPC error");
        let diagnostics = response.into_inner().diagnostics;
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(
            diagnostics[0].severity,
            pb::diagnostic::Severity::Error as i32
        );
        assert!(
            diagnostics[0].detail.contains("boom in the handler"),
            "{:?}",
            diagnostics[0]
        );
        assert!(diagnostics[0].detail.contains("ReadResource"));
        assert!(
            diagnostics[0].detail.contains("changed nothing"),
            "{:?}",
            diagnostics[0]
        );

        // The next request is served as usual.
        let next = guarded("ReadResource", async {
            pb::read_resource::Response::default()
        })
        .await;
        assert!(next.expect("answer").into_inner().diagnostics.is_empty());
    }

    #[tokio::test]
    async fn a_panic_during_apply_does_not_claim_that_nothing_changed() {
        let handler = async {
            if std::hint::black_box(true) {
                panic!("boom after the request went out");
            }
            pb::apply_resource_change::Response::default()
        };
        let response = guarded("ApplyResourceChange", handler)
            .await
            .expect("an answer, not a gRPC error");
        let detail = &response.into_inner().diagnostics[0].detail;
        assert!(!detail.contains("Nothing was changed"), "{detail}");
        assert!(!detail.contains("changed nothing"), "{detail}");
        assert!(detail.contains("may or may not have been made"), "{detail}");
        assert!(detail.contains("Check the remote system"), "{detail}");
        assert!(detail.contains("prior state"), "{detail}");
    }
}
