//! Terraform values as the provider sees them.
//!
//! A [`Value`] is untyped on its own: the codecs pair it with the schema's [`Type`]. The one
//! place where a value must carry its type is an attribute of type `dynamic`, whose concrete
//! type is decided at runtime and travels on the wire next to the value; [`Value::Dynamic`]
//! keeps that type so a value read from Terraform re-encodes byte for byte.

use std::collections::BTreeMap;

use super::number::Number;
use super::path::{AttributePath, PathStep};
use super::types::Type;

/// A Terraform value.
///
/// In a slot whose schema type is [`Type::Dynamic`], decoders produce `Unknown` (type not yet
/// known), `Null` (a null of no particular type) or [`Value::Dynamic`] (anything with a
/// concrete type, including a typed null or typed unknown). Everywhere else they produce the
/// variant matching the type. Encoders also accept a bare known value in a dynamic slot and
/// infer its type with [`Value::implied_type`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Not known until apply (msgpack extension 0).
    Unknown,
    /// Null.
    Null,
    /// A `bool`.
    Bool(bool),
    /// A `number`.
    Number(Number),
    /// A `string`.
    String(String),
    /// A `list(T)`.
    List(Vec<Value>),
    /// A `set(T)`, in wire order (decoders neither sort nor deduplicate).
    Set(Vec<Value>),
    /// A `map(T)`.
    Map(BTreeMap<String, Value>),
    /// An `object({...})` or a block; decoders fill every declared attribute.
    Object(BTreeMap<String, Value>),
    /// A `tuple([...])`.
    Tuple(Vec<Value>),
    /// A value in a `dynamic` slot together with its concrete runtime type.
    Dynamic {
        /// The concrete type written on the wire.
        ty: Type,
        /// The value, which conforms to `ty`.
        value: Box<Value>,
    },
}

impl Value {
    /// The null value of any type (Terraform's nulls are typed, ours take the type from the
    /// schema at encoding time).
    pub fn null_of(_ty: &Type) -> Value {
        Value::Null
    }

    /// The value inside any [`Value::Dynamic`] wrappers.
    pub fn unwrap_dynamic(&self) -> &Value {
        match self {
            Value::Dynamic { value, .. } => value.unwrap_dynamic(),
            other => other,
        }
    }

    /// True for null, including a typed null in a dynamic slot.
    pub fn is_null(&self) -> bool {
        matches!(self.unwrap_dynamic(), Value::Null)
    }

    /// True for unknown, including a typed unknown in a dynamic slot.
    pub fn is_unknown(&self) -> bool {
        matches!(self.unwrap_dynamic(), Value::Unknown)
    }

    /// True when no unknown value appears anywhere inside.
    pub fn is_fully_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_fully_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_fully_known)
            }
            Value::Dynamic { value, .. } => value.is_fully_known(),
        }
    }

    /// An object's attribute (looking through a dynamic wrapper).
    pub fn attr(&self, name: &str) -> Option<&Value> {
        match self.unwrap_dynamic() {
            Value::Object(attrs) => attrs.get(name),
            _ => None,
        }
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self.unwrap_dynamic() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self.unwrap_dynamic() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self.unwrap_dynamic() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The part of this value at `path`: attributes step into objects, string keys into maps,
    /// integer keys into lists and tuples. `None` when the path leads nowhere (including into
    /// a null or unknown value).
    pub fn get_path(&self, path: &AttributePath) -> Option<&Value> {
        let mut current = self;
        for step in &path.0 {
            current = match (step, current.unwrap_dynamic()) {
                (PathStep::Attribute(name), Value::Object(attrs)) => attrs.get(name)?,
                (PathStep::ElementKeyString(key), Value::Map(entries)) => entries.get(key)?,
                (PathStep::ElementKeyInt(index), Value::List(items) | Value::Tuple(items)) => {
                    items.get(usize::try_from(*index).ok()?)?
                }
                _ => return None,
            };
        }
        Some(current)
    }

    /// A copy with every unknown, at any depth, replaced by null (what a read of a resource
    /// that cannot tell the value reports).
    pub fn unknowns_to_null(&self) -> Value {
        match self {
            Value::Unknown => Value::Null,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => self.clone(),
            Value::List(items) => Value::List(items.iter().map(Value::unknowns_to_null).collect()),
            Value::Set(items) => Value::Set(items.iter().map(Value::unknowns_to_null).collect()),
            Value::Tuple(items) => {
                Value::Tuple(items.iter().map(Value::unknowns_to_null).collect())
            }
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.unknowns_to_null()))
                    .collect(),
            ),
            Value::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.unknowns_to_null()))
                    .collect(),
            ),
            Value::Dynamic { ty, value } => Value::Dynamic {
                ty: ty.clone(),
                value: Box::new(value.unknowns_to_null()),
            },
        }
    }

    /// The type this value would have on its own, as cty infers it: primitives by kind,
    /// objects and tuples element-wise, lists, sets and maps from their first element whose
    /// type can be told (else of `dynamic`). Null and unknown have type `dynamic`.
    pub fn implied_type(&self) -> Type {
        let element_type = |items: &mut dyn Iterator<Item = &Value>| {
            items
                .map(Value::implied_type)
                .find(|ty| *ty != Type::Dynamic)
                .unwrap_or(Type::Dynamic)
        };
        match self {
            Value::Unknown | Value::Null => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(items) => Type::list(element_type(&mut items.iter())),
            Value::Set(items) => Type::set(element_type(&mut items.iter())),
            Value::Map(entries) => Type::map(element_type(&mut entries.values())),
            Value::Tuple(items) => Type::Tuple(items.iter().map(Value::implied_type).collect()),
            Value::Object(attrs) => Type::Object {
                attrs: attrs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.implied_type()))
                    .collect(),
                optional: Default::default(),
            },
            Value::Dynamic { ty, .. } => ty.clone(),
        }
    }

    /// A short description of the value's kind, for error messages.
    pub(crate) fn kind(&self) -> String {
        match self {
            Value::Unknown => "unknown".to_owned(),
            Value::Null => "null".to_owned(),
            Value::Bool(_) => "a bool".to_owned(),
            Value::Number(_) => "a number".to_owned(),
            Value::String(_) => "a string".to_owned(),
            Value::List(_) => "a list".to_owned(),
            Value::Set(_) => "a set".to_owned(),
            Value::Map(_) => "a map".to_owned(),
            Value::Object(_) => "an object".to_owned(),
            Value::Tuple(_) => "a tuple".to_owned(),
            Value::Dynamic { ty, .. } => format!("a value of type {ty}"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(Number::from_i64(n))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        Value::Object(BTreeMap::from([
            ("id".to_owned(), Value::from("j-1")),
            (
                "tags".to_owned(),
                Value::Map(BTreeMap::from([("env".to_owned(), Value::Unknown)])),
            ),
            (
                "steps".to_owned(),
                Value::List(vec![Value::from(1), Value::Null]),
            ),
            (
                "extra".to_owned(),
                Value::Dynamic {
                    ty: Type::object([("x", Type::Bool)]),
                    value: Box::new(Value::Object(BTreeMap::from([(
                        "x".to_owned(),
                        Value::from(true),
                    )]))),
                },
            ),
        ]))
    }

    #[test]
    fn get_path_walks_attributes_keys_and_indices_through_dynamic() {
        let v = sample();
        assert_eq!(
            v.get_path(&AttributePath::attr("id"))
                .and_then(Value::as_str),
            Some("j-1")
        );
        assert!(
            v.get_path(&AttributePath::attr("tags").push_key("env"))
                .unwrap()
                .is_unknown()
        );
        assert_eq!(
            v.get_path(&AttributePath::attr("steps").push_index(0))
                .and_then(Value::as_number),
            Some(&Number::from_i64(1))
        );
        assert_eq!(
            v.get_path(&AttributePath::attr("extra").push_attr("x"))
                .and_then(Value::as_bool),
            Some(true)
        );
        assert_eq!(
            v.get_path(&AttributePath::attr("steps").push_index(5)),
            None
        );
        assert_eq!(
            v.get_path(&AttributePath::attr("steps").push_index(-1)),
            None
        );
        assert_eq!(v.get_path(&AttributePath::attr("id").push_attr("x")), None);
        assert_eq!(v.get_path(&AttributePath::root()), Some(&v));
    }

    #[test]
    fn unknowns_to_null_reaches_every_depth() {
        let v = sample();
        assert!(!v.is_fully_known());
        let cleaned = v.unknowns_to_null();
        assert!(cleaned.is_fully_known());
        assert!(
            cleaned
                .get_path(&AttributePath::attr("tags").push_key("env"))
                .unwrap()
                .is_null()
        );
        let typed_unknown = Value::Dynamic {
            ty: Type::String,
            value: Box::new(Value::Unknown),
        };
        assert!(typed_unknown.is_unknown());
        assert!(typed_unknown.unknowns_to_null().is_null());
    }

    #[test]
    fn implied_type_follows_the_value_shape() {
        assert_eq!(
            sample().implied_type(),
            Type::object([
                ("extra", Type::object([("x", Type::Bool)])),
                ("id", Type::String),
                ("steps", Type::list(Type::Number)),
                ("tags", Type::map(Type::Dynamic)),
            ])
        );
    }
}
