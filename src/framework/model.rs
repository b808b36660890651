//! Moves values between Terraform's object values and a resource's plain serde struct.
//!
//! The struct's field names are the attribute names, like terraform-plugin-framework's `tfsdk`
//! tags. Unknown values only occur in planned state, for computed attributes the call is about
//! to fill in, so they reach the struct as `None`.

use serde::{Serialize, de::DeserializeOwned};

use super::Diagnostics;
use crate::tfvalue::{self, Type, Value};

/// Decodes an object value into the model struct; a mismatch is a provider bug, reported as such.
pub(crate) fn to_model<T: DeserializeOwned>(value: &Value, diags: &mut Diagnostics) -> Option<T> {
    let decoded = tfvalue::to_json_value(&value.unknowns_to_null())
        .map_err(|e| e.to_string())
        .and_then(|json| serde_json::from_value(json).map_err(|e| e.to_string()));
    match decoded {
        Ok(model) => Some(model),
        Err(e) => {
            diags.add_error(
                "Provider bug: value does not fit the resource model",
                format!("{e}. Please report this to the provider's maintainers."),
            );
            None
        }
    }
}

/// Encodes a model struct as an object value of the schema's type.
pub(crate) fn from_model<T: Serialize>(
    model: &T,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let encoded = serde_json::to_value(model)
        .map_err(|e| e.to_string())
        .and_then(|json| tfvalue::from_json_value(&json, ty).map_err(|e| e.to_string()));
    match encoded {
        Ok(value) => Some(value),
        Err(e) => {
            diags.add_error(
                "Provider bug: model does not fit the schema",
                format!("{e}. Please report this to the provider's maintainers."),
            );
            None
        }
    }
}
