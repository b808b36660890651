//! serde straight over [`Value`]: typed structs (a resource's model) are read from and written
//! to Terraform values without a detour through `serde_json::Value`, and a field can tell an
//! unknown value from a null one.
//!
//! Plain serde types see an unknown value as null (an `Option` is `None`), which is all they can
//! express. A tri-state field type opts into seeing unknowns by asking for a newtype struct named
//! [`TRI_STATE`]: [`from_value`] then calls its visitor's `visit_unit` for unknown, `visit_none`
//! for null and `visit_some` for a known value. Written back, such a field says "unknown" by
//! serializing the unit struct [`UNKNOWN`]. Other serde formats see neither name specially, so
//! the same field reads and writes as an `Option` in JSON.
//!
//! Reading is in `read.rs`. Writing, in `write.rs` (map keys in `key.rs`), is guided by the
//! schema's [`Type`]: sequences become lists, sets or tuples, structs and maps become objects or
//! maps, attributes a struct leaves out are null, and a value in a `dynamic` slot carries the
//! type it implies.

mod key;
mod read;
mod write;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::de::{self, DeserializeOwned};
use serde::ser::{self, Serialize};

use super::path::{AttributePath, PathStep};
use super::types::Type;
use super::value::Value;

/// The newtype-struct name a tri-state field deserializes as, to be told about unknowns.
pub const TRI_STATE: &str = "$tfvalue::TriState";

/// The unit-struct name a tri-state field serializes as when its value is unknown.
pub const UNKNOWN: &str = "$tfvalue::Unknown";

/// Why a value and a typed struct did not fit each other, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerdeError {
    /// Where in the value the problem is.
    pub path: AttributePath,
    /// What was wrong.
    pub message: String,
}

impl SerdeError {
    pub(super) fn new(message: impl Into<String>) -> Self {
        Self {
            path: AttributePath::root(),
            message: message.into(),
        }
    }

    /// The same error one step further out: `step` is prepended to the path.
    pub(super) fn within(mut self, step: PathStep) -> Self {
        self.path.0.insert(0, step);
        self
    }
}

impl fmt::Display for SerdeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.message, self.path.location())
    }
}

impl std::error::Error for SerdeError {}

impl de::Error for SerdeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(message.to_string())
    }
}

impl ser::Error for SerdeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(message.to_string())
    }
}

/// Reads a typed struct (or any deserializable type) from a value.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, SerdeError> {
    T::deserialize(read::ValueDeserializer(value))
}

/// Writes a typed struct (or any serializable type) as a value of type `ty`.
pub fn to_value<T: Serialize + ?Sized>(model: &T, ty: &Type) -> Result<Value, SerdeError> {
    model.serialize(write::ValueSerializer::typed(ty))
}
