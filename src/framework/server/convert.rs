//! Translation between the framework's types and the generated tfplugin6 messages.
//! Together with the rest of `server/`, the only part of the framework that sees protocol types.

use crate::framework::{Diagnostic, Diagnostics, Nesting, Schema, Severity};
use crate::plugin::proto::tfplugin6 as pb;
use crate::tfvalue::{self, AttributePath, PathStep, Type, Value, ValueError};

/// Diagnostics as Terraform receives them.
pub(crate) fn diagnostics_to_proto(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_iter().map(diagnostic_to_proto).collect()
}

fn diagnostic_to_proto(d: Diagnostic) -> pb::Diagnostic {
    let severity = match d.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: d.summary,
        detail: d.detail,
        attribute: d.attribute.map(|p| path_to_proto(&p)),
    }
}

/// An attribute path as Terraform receives it.
pub(crate) fn path_to_proto(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    let steps = path
        .0
        .iter()
        .map(|step| pb::attribute_path::Step {
            selector: Some(match step {
                PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                PathStep::ElementKeyInt(index) => Selector::ElementKeyInt(*index),
            }),
        })
        .collect();
    pb::AttributePath { steps }
}

/// A schema as Terraform receives it in GetProviderSchema.
pub(crate) fn schema_to_proto(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block_to_proto(schema)),
    }
}

fn description(plain: &str, markdown: &str) -> (String, i32) {
    if markdown.is_empty() {
        (plain.to_owned(), pb::StringKind::Plain as i32)
    } else {
        (markdown.to_owned(), pb::StringKind::Markdown as i32)
    }
}

fn block_to_proto(schema: &Schema) -> pb::schema::Block {
    let (text, kind) = description(&schema.description, &schema.markdown_description);
    pb::schema::Block {
        version: schema.version,
        attributes: schema
            .attributes
            .iter()
            .map(|a| {
                let (text, kind) = description(&a.description, &a.markdown_description);
                pb::schema::Attribute {
                    name: a.name.clone(),
                    r#type: a.ty.to_json(),
                    description: text,
                    description_kind: kind,
                    required: a.required,
                    optional: a.optional,
                    computed: a.computed,
                    sensitive: a.sensitive,
                    ..Default::default()
                }
            })
            .collect(),
        block_types: schema
            .blocks
            .iter()
            .map(|b| pb::schema::NestedBlock {
                type_name: b.name.clone(),
                block: Some(block_to_proto(&b.schema)),
                nesting: match b.nesting {
                    Nesting::Single => pb::schema::nested_block::NestingMode::Single,
                    Nesting::List => pb::schema::nested_block::NestingMode::List,
                } as i32,
                // Terraform wants both bounds zero (or equal) for a single block.
                min_items: 0,
                max_items: 0,
            })
            .collect(),
        description: text,
        description_kind: kind,
        deprecated: false,
        deprecation_message: String::new(),
    }
}

/// Decodes a DynamicValue (msgpack, or JSON when Terraform chose it) against a type.
/// An absent value is null.
pub(crate) fn decode_dynamic(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
) -> Result<Value, ValueError> {
    match value {
        None => Ok(Value::Null),
        Some(dv) if !dv.msgpack.is_empty() => tfvalue::decode_msgpack(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => tfvalue::decode_json(&dv.json, ty),
        Some(_) => Ok(Value::Null),
    }
}

/// Encodes a value as a msgpack DynamicValue.
pub(crate) fn encode_dynamic(value: &Value, ty: &Type) -> Result<pb::DynamicValue, ValueError> {
    Ok(pb::DynamicValue {
        msgpack: tfvalue::encode_msgpack(value, ty)?,
        json: Vec::new(),
    })
}
