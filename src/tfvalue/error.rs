//! The one error type of the value codecs.
//!
//! Every variant that can point somewhere carries the [`AttributePath`] where decoding or
//! encoding stopped, so the framework can attach it to a diagnostic.

use super::path::AttributePath;

/// Why a value, a type constraint or an encoding was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// The value (or its encoding) is of a different kind than the type asks for.
    #[error("value at {} should be {expected}, but it is {found}", .path.location())]
    TypeMismatch {
        /// Where the mismatch is.
        path: AttributePath,
        /// The type the schema asks for, in Terraform's type syntax.
        expected: String,
        /// What was found instead.
        found: String,
    },
    /// The bytes are not well-formed in the named encoding.
    #[error("malformed {format} at {}: {reason}", .path.location())]
    Malformed {
        /// "msgpack", "JSON" or "flatmap".
        format: &'static str,
        /// Where the decoder was.
        path: AttributePath,
        /// What was wrong.
        reason: String,
    },
    /// An object holds an attribute its type does not declare.
    #[error("unsupported attribute \"{name}\" at {}: the schema does not declare it", .path.location())]
    UnsupportedAttribute {
        /// The object's path.
        path: AttributePath,
        /// The undeclared attribute.
        name: String,
    },
    /// An object lacks a required attribute.
    #[error("attribute \"{name}\" is missing at {}", .path.location())]
    MissingAttribute {
        /// The object's path.
        path: AttributePath,
        /// The missing attribute.
        name: String,
    },
    /// A tuple has the wrong number of elements.
    #[error("tuple at {} must have {expected} elements, but it has {found}", .path.location())]
    TupleLength {
        /// The tuple's path.
        path: AttributePath,
        /// Elements the type declares.
        expected: usize,
        /// Elements present.
        found: usize,
    },
    /// Text that should be a number is not one.
    #[error("{text:?} at {} is not a number", .path.location())]
    InvalidNumber {
        /// Where it is.
        path: AttributePath,
        /// The offending text.
        text: String,
    },
    /// A number cannot be represented in the target encoding (infinity in JSON, or beyond f64).
    #[error("number {number} at {} cannot be written as {format}", .path.location())]
    NumberOutOfRange {
        /// Where it is.
        path: AttributePath,
        /// The number.
        number: String,
        /// The target encoding.
        format: &'static str,
    },
    /// An unknown value was given to an encoding that cannot represent one (JSON).
    #[error("value at {} is unknown, and JSON cannot represent unknown values", .path.location())]
    UnknownNotAllowed {
        /// Where it is.
        path: AttributePath,
    },
    /// A type constraint (schema `type` bytes or a dynamic value's type) is not valid.
    #[error("invalid type constraint at {}: {reason}", .path.location())]
    InvalidType {
        /// Where the type was read (root for a standalone type).
        path: AttributePath,
        /// What was wrong.
        reason: String,
    },
    /// The value nests deeper than the decoder allows, which only hostile input does.
    #[error("value at {} nests deeper than {limit} levels", .path.location())]
    TooDeep {
        /// Where the limit was hit.
        path: AttributePath,
        /// The limit.
        limit: usize,
    },
}

impl ValueError {
    /// The path the error points at.
    pub fn path(&self) -> &AttributePath {
        match self {
            ValueError::TypeMismatch { path, .. }
            | ValueError::Malformed { path, .. }
            | ValueError::UnsupportedAttribute { path, .. }
            | ValueError::MissingAttribute { path, .. }
            | ValueError::TupleLength { path, .. }
            | ValueError::InvalidNumber { path, .. }
            | ValueError::NumberOutOfRange { path, .. }
            | ValueError::UnknownNotAllowed { path }
            | ValueError::InvalidType { path, .. }
            | ValueError::TooDeep { path, .. } => path,
        }
    }
}

/// The deepest nesting any decoder follows; real schemas are far shallower.
pub(crate) const MAX_DEPTH: usize = 128;

/// Refuses a value nested deeper than [`MAX_DEPTH`] at `path`: the one check every typed
/// decoder makes before it reads a level.
pub(crate) fn check_depth(depth: usize, path: &AttributePath) -> Result<(), ValueError> {
    if depth > MAX_DEPTH {
        return Err(ValueError::TooDeep {
            path: path.clone(),
            limit: MAX_DEPTH,
        });
    }
    Ok(())
}

/// Refuses a tuple of `found` elements where its type declares `expected`, at `path`.
pub(crate) fn check_tuple_length(
    expected: usize,
    found: usize,
    path: &AttributePath,
) -> Result<(), ValueError> {
    if expected != found {
        return Err(ValueError::TupleLength {
            path: path.clone(),
            expected,
            found,
        });
    }
    Ok(())
}
