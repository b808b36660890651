//! Values and messages as they travel to and from the provider over tfplugin6: schema types,
//! objects with every attribute present, msgpack DynamicValues, and readable diagnostic paths.

use std::collections::BTreeMap;

use terraform_provider_mrs::framework::Provider;
use terraform_provider_mrs::plugin::proto::tfplugin6 as pb;
use terraform_provider_mrs::plugin::proto::tfplugin6::provider_client::ProviderClient;
use terraform_provider_mrs::provider::MrsProvider;
use terraform_provider_mrs::tfvalue::{Type, Value, encode_msgpack};
use tonic::transport::Channel;

use super::emulator::{ACCESS_KEY, REGION, SECRET_KEY};

/// The object type of the `mrs_job_kill` resource.
pub fn resource_type() -> Type {
    let resource = MrsProvider
        .resources()
        .into_iter()
        .find(|r| r.type_name() == "mrs_job_kill");
    resource
        .expect("mrs_job_kill resource")
        .value_type()
        .clone()
}

/// The object type of the `mrs_job_kill` action.
pub fn action_type() -> Type {
    action_type_named("mrs_job_kill")
}

/// The object type of the action called `name`.
pub fn action_type_named(name: &str) -> Type {
    let action = MrsProvider
        .actions()
        .into_iter()
        .find(|a| a.type_name() == name);
    action
        .unwrap_or_else(|| panic!("{name} action"))
        .value_type()
        .clone()
}

/// The object type of the `mrs_job_execution` data source.
pub fn data_source_type() -> Type {
    let data = MrsProvider
        .data_sources()
        .into_iter()
        .find(|d| d.type_name() == "mrs_job_execution");
    data.expect("mrs_job_execution data source")
        .value_type()
        .clone()
}

/// The object type of the provider block.
pub fn provider_type() -> Type {
    MrsProvider.schema().value_type()
}

/// An object of `ty` with the given attributes and every other one null.
pub fn object(ty: &Type, pairs: &[(&str, Value)]) -> Value {
    let Type::Object { attrs, .. } = ty else {
        panic!("not an object type")
    };
    let mut values: BTreeMap<String, Value> =
        attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
    for (k, v) in pairs {
        assert!(values.contains_key(*k), "no attribute {k}");
        values.insert((*k).to_owned(), v.clone());
    }
    Value::Object(values)
}

/// The diagnostics of `ValidateResourceConfig` for an `mrs_job_kill` with the given attributes
/// (every other one null).
pub async fn validate_job_kill(
    provider: &mut ProviderClient<Channel>,
    pairs: &[(&str, Value)],
) -> Vec<pb::Diagnostic> {
    let ty = resource_type();
    provider
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "mrs_job_kill".into(),
            config: dynamic(&object(&ty, pairs), &ty),
            client_capabilities: None,
        })
        .await
        .expect("ValidateResourceConfig")
        .into_inner()
        .diagnostics
}

/// The diagnostics of `ValidateDataResourceConfig` for an `mrs_job_execution` with the given
/// attributes (every other one null).
pub async fn validate_job_execution(
    provider: &mut ProviderClient<Channel>,
    pairs: &[(&str, Value)],
) -> Vec<pb::Diagnostic> {
    let ty = data_source_type();
    provider
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "mrs_job_execution".into(),
            config: dynamic(&object(&ty, pairs), &ty),
        })
        .await
        .expect("ValidateDataResourceConfig")
        .into_inner()
        .diagnostics
}

/// The diagnostics of `ValidateActionConfig` for the action `action_type` with `config`.
pub async fn validate_action(
    provider: &mut ProviderClient<Channel>,
    action_type: &str,
    config: &Value,
) -> Vec<pb::Diagnostic> {
    provider
        .validate_action_config(pb::validate_action_config::Request {
            action_type: action_type.into(),
            config: dynamic(config, &action_type_named(action_type)),
        })
        .await
        .expect("ValidateActionConfig")
        .into_inner()
        .diagnostics
}

/// The diagnostics of `ValidateProviderConfig` for a provider block with the given attributes
/// (every other one null).
pub async fn validate_provider(
    provider: &mut ProviderClient<Channel>,
    pairs: &[(&str, Value)],
) -> Vec<pb::Diagnostic> {
    let ty = provider_type();
    provider
        .validate_provider_config(pb::validate_provider_config::Request {
            config: dynamic(&object(&ty, pairs), &ty),
        })
        .await
        .expect("ValidateProviderConfig")
        .into_inner()
        .diagnostics
}

/// Configures the provider to talk to `emulator` (MRS and IAM), with the keys it accepts and its
/// project; fails the test on any diagnostic.
pub async fn configure_for_emulator(
    provider: &mut ProviderClient<Channel>,
    emulator: &mrs_emulator::EmulatorHandle,
) {
    let ty = provider_type();
    let url = emulator.url();
    let config = object(
        &ty,
        &[
            ("region", s(REGION)),
            ("access_key", s(ACCESS_KEY)),
            ("secret_key", s(SECRET_KEY)),
            ("project_id", s(emulator.project_id())),
            ("endpoint", s(&url)),
            ("iam_endpoint", s(&url)),
        ],
    );
    let resp = provider
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.14.0".into(),
            config: dynamic(&config, &ty),
            client_capabilities: None,
        })
        .await
        .expect("configure")
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
}

/// The event stream of `InvokeAction` for the action `action_type` with `config`.
pub async fn invoke_stream(
    provider: &mut ProviderClient<Channel>,
    action_type: &str,
    config: &Value,
) -> tonic::Streaming<pb::invoke_action::Event> {
    provider
        .invoke_action(pb::invoke_action::Request {
            action_type: action_type.into(),
            config: dynamic(config, &action_type_named(action_type)),
            client_capabilities: None,
        })
        .await
        .expect("invoke")
        .into_inner()
}

/// Invokes the action `action_type` with `config` to its end: the progress messages in order,
/// and the diagnostics of the completed event (the test fails when there is none).
pub async fn invoke_to_completion(
    provider: &mut ProviderClient<Channel>,
    action_type: &str,
    config: &Value,
) -> (Vec<String>, Vec<pb::Diagnostic>) {
    use pb::invoke_action::event::Type as EventType;
    let mut stream = invoke_stream(provider, action_type, config).await;
    let mut progress = Vec::new();
    while let Some(event) = stream.message().await.expect("event") {
        match event.r#type {
            Some(EventType::Progress(p)) => progress.push(p.message),
            Some(EventType::Completed(done)) => return (progress, done.diagnostics),
            None => panic!("event without a type"),
        }
    }
    panic!("the stream ended without a completed event");
}

/// A msgpack DynamicValue, as Terraform sends it.
pub fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: encode_msgpack(value, ty).expect("encode"),
        json: Vec::new(),
    })
}

/// A string value.
pub fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// An attribute path as names, e.g. `["timeouts", "create"]` or `["triggers", "[\"a\"]"]`.
pub fn attribute_names(path: &Option<pb::AttributePath>) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    path.iter()
        .flat_map(|p| p.steps.iter())
        .map(|step| match &step.selector {
            Some(Selector::AttributeName(n)) => n.clone(),
            Some(Selector::ElementKeyString(k)) => format!("[{k:?}]"),
            Some(Selector::ElementKeyInt(i)) => format!("[{i}]"),
            None => String::new(),
        })
        .collect()
}

/// The error diagnostics among `diags`.
pub fn errors(diags: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    diags
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .collect()
}

/// The attribute path of each error diagnostic.
pub fn error_paths(diags: &[pb::Diagnostic]) -> Vec<Vec<String>> {
    errors(diags)
        .iter()
        .map(|d| attribute_names(&d.attribute))
        .collect()
}
