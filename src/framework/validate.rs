//! Runs a schema's declarative checks over a configuration, so every attribute's rules are
//! enforced the same way and every error lands on the attribute that is wrong.

use super::{Diagnostics, Nesting, Schema};
use crate::tfvalue::{AttributePath, Value};

/// Applies each attribute's string validators to its known value, recursing into blocks.
pub fn validate_against_schema(schema: &Schema, value: &Value, diags: &mut Diagnostics) {
    validate_object(schema, value, &AttributePath::root(), diags);
}

fn validate_object(schema: &Schema, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    for attribute in &schema.attributes {
        let Some(Value::String(text)) = value.attr(&attribute.name) else {
            continue;
        };
        for check in &attribute.string_validators {
            if let Err(message) = check(text) {
                diags.add_attribute_error(
                    path.push_attr(&attribute.name),
                    format!("Invalid value for {}", attribute.name),
                    message,
                );
            }
        }
    }
    for block in &schema.blocks {
        let Some(inner) = value.attr(&block.name) else {
            continue;
        };
        let block_path = path.push_attr(&block.name);
        match (block.nesting, inner) {
            (Nesting::Single, Value::Object(_)) => {
                validate_object(&block.schema, inner, &block_path, diags)
            }
            (Nesting::List, Value::List(items)) => {
                for (index, item) in items.iter().enumerate() {
                    let index = i64::try_from(index).unwrap_or(i64::MAX);
                    validate_object(&block.schema, item, &block_path.push_index(index), diags);
                }
            }
            _ => {}
        }
    }
}
