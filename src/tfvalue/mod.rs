//! Terraform's type system and the wire encodings of its values.
//!
//! Terraform hands a provider every configuration, plan and state as a `DynamicValue`
//! (msgpack, or JSON as a fallback), stored state as JSON, and very old state as SDKv2's
//! flatmap. All of them are typed by the schema, so each codec here takes a [`Type`] next to
//! the bytes. The framework builds on [`Value`] and never touches an encoding directly.
//!
//! Files by idea: [`types`] (types and their JSON syntax), [`value`], [`number`]
//! (arbitrary-precision decimals), [`path`] (attribute paths), `msgpack` / `msgpack_wire`,
//! `json` / `json_text`, `flatmap`, [`serde_value`] (typed structs read and written straight
//! from values, unknowns included), `serde_bridge` (to and from `serde_json::Value`), [`error`].
//!
//! The property tests in `proptests` fuzz every codec with arbitrary types and values. They
//! use proptest's default configuration, so a long fuzz run is
//! `PROPTEST_CASES=100000 cargo test --lib tfvalue::proptests`.

pub mod error;
mod flatmap;
mod json;
mod json_text;
mod msgpack;
mod msgpack_wire;
pub mod number;
pub mod path;
mod serde_bridge;
pub mod serde_value;
pub mod types;
pub mod value;

#[cfg(test)]
mod proptests;

pub use error::ValueError;
pub use flatmap::{UNKNOWN_VARIABLE_VALUE, decode_flatmap};
pub use json::{decode_json, encode_json};
pub use msgpack::{decode_msgpack, encode_msgpack};
pub use number::{Number, NumberParseError};
pub use path::{AttributePath, PathStep};
pub use serde_bridge::{from_json_value, to_json_value};
pub use serde_value::{SerdeError, from_value, to_value};
pub use types::Type;
pub use value::Value;
