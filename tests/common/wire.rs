//! Values and messages as they travel to and from the provider over tfplugin6: schema types,
//! objects with every attribute present, msgpack DynamicValues, and readable diagnostic paths.

use std::collections::BTreeMap;

use terraform_provider_mrs::framework::Provider;
use terraform_provider_mrs::plugin::proto::tfplugin6 as pb;
use terraform_provider_mrs::plugin::proto::tfplugin6::provider_client::ProviderClient;
use terraform_provider_mrs::provider::MrsProvider;
use terraform_provider_mrs::tfvalue::{Type, Value, encode_msgpack};
use tonic::transport::Channel;

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
    let action = MrsProvider
        .actions()
        .into_iter()
        .find(|a| a.type_name() == "mrs_job_kill");
    action.expect("mrs_job_kill action").value_type().clone()
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
