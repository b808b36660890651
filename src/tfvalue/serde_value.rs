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
//! Writing is guided by the schema's [`Type`]: sequences become lists, sets or tuples, structs
//! and maps become objects or maps, attributes a struct leaves out are null, and a value in a
//! `dynamic` slot carries the type it implies.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, IntoDeserializer as _, Visitor};
use serde::ser::{self, Serialize};

use super::number::Number;
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
    fn new(message: impl Into<String>) -> Self {
        Self {
            path: AttributePath::root(),
            message: message.into(),
        }
    }

    /// The same error one step further out: `step` is prepended to the path.
    fn within(mut self, step: PathStep) -> Self {
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
    T::deserialize(ValueDeserializer(value))
}

/// Writes a typed struct (or any serializable type) as a value of type `ty`.
pub fn to_value<T: Serialize + ?Sized>(model: &T, ty: &Type) -> Result<Value, SerdeError> {
    model.serialize(ValueSerializer::typed(ty))
}

// ---------------------------------------------------------------------------------------------
// Reading

/// A deserializer over a borrowed value.
#[derive(Clone, Copy)]
struct ValueDeserializer<'a>(&'a Value);

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = SerdeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        match self.0.unwrap_dynamic() {
            // A plain type cannot hold "not known yet"; to it, unknown is null.
            Value::Unknown | Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => visitor.visit_i64(i),
                None if n.is_infinite() => Err(SerdeError::new(format!(
                    "the number {n} cannot be read as a finite number"
                ))),
                None => visitor.visit_f64(n.as_f64()),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                visitor.visit_seq(Elements {
                    items: items.iter(),
                    index: 0,
                })
            }
            Value::Map(entries) => visitor.visit_map(Entries {
                entries: entries.iter(),
                pending: None,
                step: PathStep::ElementKeyString,
            }),
            Value::Object(attrs) => visitor.visit_map(Entries {
                entries: attrs.iter(),
                pending: None,
                step: PathStep::Attribute,
            }),
            Value::Dynamic { .. } => unreachable_dynamic(),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        match self.0.unwrap_dynamic() {
            Value::Unknown | Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, SerdeError> {
        if name != TRI_STATE {
            return visitor.visit_newtype_struct(self);
        }
        match self.0.unwrap_dynamic() {
            Value::Unknown => visitor.visit_unit(),
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerdeError> {
        match self.0.unwrap_dynamic() {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            other => Err(SerdeError::new(format!(
                "expected a string naming a variant, found {}",
                other.kind()
            ))),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// `unwrap_dynamic` never returns a dynamic wrapper.
fn unreachable_dynamic<T>() -> Result<T, SerdeError> {
    Err(SerdeError::new("a dynamic value inside a dynamic value"))
}

struct Elements<'a> {
    items: std::slice::Iter<'a, Value>,
    index: i64,
}

impl<'de> de::SeqAccess<'de> for Elements<'de> {
    type Error = SerdeError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, SerdeError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(ValueDeserializer(item))
            .map(Some)
            .map_err(|e| e.within(PathStep::ElementKeyInt(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'a> {
    entries: std::collections::btree_map::Iter<'a, String, Value>,
    pending: Option<(&'a String, &'a Value)>,
    step: fn(String) -> PathStep,
}

impl<'de> de::MapAccess<'de> for Entries<'de> {
    type Error = SerdeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, SerdeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((key, value));
        let key_deserializer: de::value::BorrowedStrDeserializer<'de, SerdeError> =
            de::value::BorrowedStrDeserializer::new(key);
        seed.deserialize(key_deserializer).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, SerdeError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(SerdeError::new("a map value was asked for before its key"));
        };
        seed.deserialize(ValueDeserializer(value))
            .map_err(|e| e.within((self.step)(key.clone())))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// A serializer producing a value of a given type; `None` is a free shape (inside a `dynamic`
/// slot), where sequences become tuples and structs objects, as their JSON would imply.
#[derive(Clone, Copy)]
struct ValueSerializer<'t> {
    ty: Option<&'t Type>,
}

impl<'t> ValueSerializer<'t> {
    fn typed(ty: &'t Type) -> Self {
        Self { ty: Some(ty) }
    }

    /// The shape children are written in: free inside a dynamic slot or a free shape.
    fn is_free(&self) -> bool {
        matches!(self.ty, None | Some(Type::Dynamic))
    }

    /// A finished value; at the top of a `dynamic` slot it records the type it implies.
    fn done(&self, value: Value) -> Value {
        match (self.ty, &value) {
            (Some(Type::Dynamic), Value::Null | Value::Unknown) => value,
            (Some(Type::Dynamic), _) => Value::Dynamic {
                ty: value.implied_type(),
                value: Box::new(value),
            },
            _ => value,
        }
    }

    fn mismatch(&self, found: &str) -> SerdeError {
        let expected = self
            .ty
            .map_or_else(|| "any".to_owned(), ToString::to_string);
        SerdeError::new(format!(
            "the schema says {expected}, but the model has {found}"
        ))
    }

    fn primitive(self, wanted: &Type, value: Value, found: &str) -> Result<Value, SerdeError> {
        if self.is_free() || self.ty == Some(wanted) {
            Ok(self.done(value))
        } else {
            Err(self.mismatch(found))
        }
    }

    fn number(self, number: Number) -> Result<Value, SerdeError> {
        self.primitive(&Type::Number, Value::Number(number), "a number")
    }

    fn sequence(self, len: Option<usize>) -> Result<SeqWriter<'t>, SerdeError> {
        match self.ty {
            None | Some(Type::Dynamic | Type::List(_) | Type::Set(_) | Type::Tuple(_)) => {
                Ok(SeqWriter {
                    target: self,
                    items: Vec::with_capacity(len.unwrap_or(0)),
                })
            }
            _ => Err(self.mismatch("a sequence")),
        }
    }

    fn object(self) -> Result<MapWriter<'t>, SerdeError> {
        match self.ty {
            None | Some(Type::Dynamic | Type::Map(_) | Type::Object { .. }) => Ok(MapWriter {
                target: self,
                entries: BTreeMap::new(),
                key: None,
            }),
            _ => Err(self.mismatch("a struct or map")),
        }
    }
}

struct SeqWriter<'t> {
    target: ValueSerializer<'t>,
    items: Vec<Value>,
}

impl<'t> SeqWriter<'t> {
    fn push<T: Serialize + ?Sized>(&mut self, item: &T) -> Result<(), SerdeError> {
        let index = self.items.len();
        let element_ty = match self.target.ty {
            Some(Type::List(element) | Type::Set(element)) => Some(&**element),
            Some(Type::Tuple(elements)) => Some(elements.get(index).ok_or_else(|| {
                SerdeError::new(format!(
                    "the schema's tuple has {} elements, the model more",
                    elements.len()
                ))
            })?),
            _ => None,
        };
        let value = item
            .serialize(ValueSerializer { ty: element_ty })
            .map_err(|e| e.within(PathStep::ElementKeyInt(index as i64)))?;
        self.items.push(value);
        Ok(())
    }

    fn finish(self) -> Result<Value, SerdeError> {
        let value = match self.target.ty {
            Some(Type::List(_)) => Value::List(self.items),
            Some(Type::Set(_)) => Value::Set(self.items),
            Some(Type::Tuple(elements)) if elements.len() != self.items.len() => {
                return Err(SerdeError::new(format!(
                    "the schema's tuple has {} elements, the model {}",
                    elements.len(),
                    self.items.len()
                )));
            }
            _ => Value::Tuple(self.items),
        };
        Ok(self.target.done(value))
    }
}

struct MapWriter<'t> {
    target: ValueSerializer<'t>,
    entries: BTreeMap<String, Value>,
    key: Option<String>,
}

impl<'t> MapWriter<'t> {
    fn insert<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), SerdeError> {
        let (value_ty, step) = match self.target.ty {
            Some(Type::Map(element)) => (Some(&**element), PathStep::ElementKeyString(key.clone())),
            Some(Type::Object { attrs, .. }) => {
                let Some(attr_ty) = attrs.get(&key) else {
                    return Err(SerdeError::new(format!(
                        "the model has a field {key:?} that the schema does not declare"
                    )));
                };
                (Some(attr_ty), PathStep::Attribute(key.clone()))
            }
            _ => (None, PathStep::Attribute(key.clone())),
        };
        let value = value
            .serialize(ValueSerializer { ty: value_ty })
            .map_err(|e| e.within(step))?;
        self.entries.insert(key, value);
        Ok(())
    }

    fn finish(mut self) -> Result<Value, SerdeError> {
        let value = match self.target.ty {
            Some(Type::Map(_)) => Value::Map(self.entries),
            Some(Type::Object { attrs, .. }) => {
                // Attributes the model leaves out (or skips) are null, as in state from JSON.
                for name in attrs.keys() {
                    self.entries.entry(name.clone()).or_insert(Value::Null);
                }
                Value::Object(self.entries)
            }
            _ => Value::Object(self.entries),
        };
        Ok(self.target.done(value))
    }
}

/// Map keys must be strings, as Terraform's map keys and attribute names are.
struct KeySerializer;

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = SerdeError;
    type SerializeSeq = ser::Impossible<String, SerdeError>;
    type SerializeTuple = ser::Impossible<String, SerdeError>;
    type SerializeTupleStruct = ser::Impossible<String, SerdeError>;
    type SerializeTupleVariant = ser::Impossible<String, SerdeError>;
    type SerializeMap = ser::Impossible<String, SerdeError>;
    type SerializeStruct = ser::Impossible<String, SerdeError>;
    type SerializeStructVariant = ser::Impossible<String, SerdeError>;

    fn serialize_str(self, v: &str) -> Result<String, SerdeError> {
        Ok(v.to_owned())
    }
    fn serialize_char(self, v: char) -> Result<String, SerdeError> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, SerdeError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, SerdeError> {
        value.serialize(self)
    }

    fn serialize_bool(self, _: bool) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_i8(self, _: i8) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_i16(self, _: i16) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_i32(self, _: i32) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_i64(self, _: i64) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_u8(self, _: u8) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_u16(self, _: u16) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_u32(self, _: u32) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_u64(self, _: u64) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_f32(self, _: f32) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_f64(self, _: f64) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, SerdeError> {
        Err(key_error())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, SerdeError> {
        Err(key_error())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, SerdeError> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, SerdeError> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SerdeError> {
        Err(key_error())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, SerdeError> {
        Err(key_error())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, SerdeError> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SerdeError> {
        Err(key_error())
    }
}

fn key_error() -> SerdeError {
    SerdeError::new("map keys must be strings")
}

fn unsupported(what: &str) -> SerdeError {
    SerdeError::new(format!(
        "{what} cannot be written as a Terraform value; use a struct, a string or a unit variant"
    ))
}

impl<'t> ser::Serializer for ValueSerializer<'t> {
    type Ok = Value;
    type Error = SerdeError;
    type SerializeSeq = SeqWriter<'t>;
    type SerializeTuple = SeqWriter<'t>;
    type SerializeTupleStruct = SeqWriter<'t>;
    type SerializeTupleVariant = ser::Impossible<Value, SerdeError>;
    type SerializeMap = MapWriter<'t>;
    type SerializeStruct = MapWriter<'t>;
    type SerializeStructVariant = ser::Impossible<Value, SerdeError>;

    fn serialize_bool(self, v: bool) -> Result<Value, SerdeError> {
        self.primitive(&Type::Bool, Value::Bool(v), "a bool")
    }
    fn serialize_i8(self, v: i8) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, SerdeError> {
        self.number(Number::from_i64(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, SerdeError> {
        self.number(Number::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, SerdeError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, SerdeError> {
        // The shortest decimal that reads back as `v` (what a person wrote), not the float's
        // exact binary expansion: 0.1 stays 0.1.
        let number = match v.is_finite() {
            true => v.to_string().parse::<Number>().ok(),
            false => None,
        }
        .ok_or_else(|| SerdeError::new(format!("{v} is not a number Terraform can hold")))?;
        self.number(number)
    }
    fn serialize_char(self, v: char) -> Result<Value, SerdeError> {
        self.serialize_str(&v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<Value, SerdeError> {
        self.primitive(&Type::String, Value::String(v.to_owned()), "a string")
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Value, SerdeError> {
        Err(unsupported("a byte string"))
    }
    fn serialize_none(self) -> Result<Value, SerdeError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, SerdeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, SerdeError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<Value, SerdeError> {
        Ok(if name == UNKNOWN {
            Value::Unknown
        } else {
            Value::Null
        })
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, SerdeError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Value, SerdeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Value, SerdeError> {
        Err(unsupported("an enum variant with data"))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqWriter<'t>, SerdeError> {
        self.sequence(len)
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqWriter<'t>, SerdeError> {
        self.sequence(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<SeqWriter<'t>, SerdeError> {
        self.sequence(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SerdeError> {
        Err(unsupported("an enum variant with data"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapWriter<'t>, SerdeError> {
        self.object()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MapWriter<'t>, SerdeError> {
        self.object()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SerdeError> {
        Err(unsupported("an enum variant with data"))
    }
}

impl ser::SerializeSeq for SeqWriter<'_> {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, SerdeError> {
        self.finish()
    }
}

impl ser::SerializeTuple for SeqWriter<'_> {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, SerdeError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for SeqWriter<'_> {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, SerdeError> {
        self.finish()
    }
}

impl ser::SerializeMap for MapWriter<'_> {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerdeError> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerdeError::new("a map value was written before its key"))?;
        self.insert(key, value)
    }
    fn end(self) -> Result<Value, SerdeError> {
        self.finish()
    }
}

impl ser::SerializeStruct for MapWriter<'_> {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerdeError> {
        self.insert(key.to_owned(), value)
    }
    fn end(self) -> Result<Value, SerdeError> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Fast,
        Careful,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Plain {
        name: String,
        count: i64,
        ratio: f64,
        enabled: Option<bool>,
        mode: Mode,
        tags: BTreeMap<String, String>,
        steps: Vec<String>,
        labels: Vec<String>,
        extra: serde_json::Value,
    }

    fn plain_type() -> Type {
        Type::object([
            ("name", Type::String),
            ("count", Type::Number),
            ("ratio", Type::Number),
            ("enabled", Type::Bool),
            ("mode", Type::String),
            ("tags", Type::map(Type::String)),
            ("steps", Type::list(Type::String)),
            ("labels", Type::set(Type::String)),
            ("extra", Type::Dynamic),
        ])
    }

    fn object(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    fn plain_value() -> Value {
        object(vec![
            ("name", Value::from("j-1")),
            ("count", Value::from(3)),
            ("ratio", Value::Number("0.5".parse().expect("number"))),
            ("enabled", Value::Null),
            ("mode", Value::from("careful")),
            (
                "tags",
                Value::Map(BTreeMap::from([("env".to_owned(), Value::from("prod"))])),
            ),
            (
                "steps",
                Value::List(vec![Value::from("a"), Value::from("b")]),
            ),
            ("labels", Value::Set(vec![Value::from("x")])),
            (
                "extra",
                Value::Dynamic {
                    ty: Type::object([("n", Type::Number)]),
                    value: Box::new(object(vec![("n", Value::from(1))])),
                },
            ),
        ])
    }

    #[test]
    fn a_plain_struct_reads_every_kind_of_value() {
        let model: Plain = from_value(&plain_value()).expect("fits");
        assert_eq!(
            model,
            Plain {
                name: "j-1".into(),
                count: 3,
                ratio: 0.5,
                enabled: None,
                mode: Mode::Careful,
                tags: BTreeMap::from([("env".into(), "prod".into())]),
                steps: vec!["a".into(), "b".into()],
                labels: vec!["x".into()],
                extra: serde_json::json!({"n": 1}),
            }
        );
    }

    #[test]
    fn writing_follows_the_schema_type_sets_maps_and_dynamic_included() {
        let model: Plain = from_value(&plain_value()).expect("fits");
        let written = to_value(&model, &plain_type()).expect("fits");
        assert_eq!(written, plain_value());
        assert!(matches!(written.attr("labels"), Some(Value::Set(_))));
        assert!(matches!(written.attr("tags"), Some(Value::Map(_))));
    }

    #[test]
    fn to_a_plain_type_unknown_is_null() {
        #[derive(Debug, Deserialize)]
        struct Planned {
            id: Option<String>,
            steps: Vec<Option<String>>,
        }
        let planned = object(vec![
            ("id", Value::Unknown),
            ("steps", Value::List(vec![Value::Unknown, Value::from("b")])),
        ]);
        let model: Planned = from_value(&planned).expect("fits");
        assert_eq!(model.id, None);
        assert_eq!(model.steps, [None, Some("b".to_owned())]);
    }

    #[test]
    fn errors_name_the_path_of_the_value_that_does_not_fit() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Wants {
            steps: Vec<i64>,
        }
        let value = object(vec![(
            "steps",
            Value::List(vec![Value::from(1), Value::from("two")]),
        )]);
        let err = from_value::<Wants>(&value).expect_err("a string is no i64");
        assert_eq!(err.path, AttributePath::attr("steps").push_index(1));
        assert!(err.to_string().contains("`steps[1]`"), "{err}");

        #[derive(Serialize)]
        struct Extra {
            name: String,
            surprise: bool,
        }
        let err = to_value(
            &Extra {
                name: "a".into(),
                surprise: true,
            },
            &Type::object([("name", Type::String)]),
        )
        .expect_err("the schema has no surprise");
        assert!(err.message.contains("\"surprise\""), "{err}");

        #[derive(Serialize)]
        struct WrongKind {
            name: bool,
        }
        let err = to_value(
            &WrongKind { name: true },
            &Type::object([("name", Type::String)]),
        )
        .expect_err("a bool is no string");
        assert_eq!(err.path, AttributePath::attr("name"));
    }

    #[test]
    fn fields_a_struct_leaves_out_are_written_as_null() {
        #[derive(Serialize)]
        struct Partial {
            name: &'static str,
        }
        let ty = Type::object([("name", Type::String), ("id", Type::String)]);
        let written = to_value(&Partial { name: "a" }, &ty).expect("fits");
        assert_eq!(
            written,
            object(vec![("id", Value::Null), ("name", Value::from("a"))])
        );
    }

    #[test]
    fn floats_are_written_as_the_decimal_a_person_wrote() {
        let written = to_value(&0.1_f64, &Type::Number).expect("fits");
        assert_eq!(written, Value::Number("0.1".parse().expect("number")));
        assert!(to_value(&f64::NAN, &Type::Number).is_err());
    }

    #[test]
    fn huge_numbers_are_read_as_floats_and_integers_stay_exact() {
        let big = Value::Number("123456789012345678901".parse().expect("number"));
        let read: f64 = from_value(&big).expect("fits a float");
        assert_eq!(read, 1.2345678901234568e20);
        let exact: i64 = from_value(&Value::from(i64::MAX)).expect("fits");
        assert_eq!(exact, i64::MAX);
        assert!(from_value::<u8>(&Value::from(300)).is_err(), "out of range");
    }
}
