//! Writing a typed struct as a [`Value`] of the schema's type: sequences become lists, sets or
//! tuples, structs and maps become objects or maps, left-out attributes are null, and a value in
//! a `dynamic` slot records the type it implies.

use std::collections::BTreeMap;

use serde::ser::{self, Serialize};

use super::key::KeySerializer;
use super::{SerdeError, UNKNOWN};
use crate::tfvalue::number::Number;
use crate::tfvalue::path::PathStep;
use crate::tfvalue::types::Type;
use crate::tfvalue::value::Value;

/// A serializer producing a value of a given type; `None` is a free shape (inside a `dynamic`
/// slot), where sequences become tuples and structs objects, as their JSON would imply.
#[derive(Clone, Copy)]
pub(super) struct ValueSerializer<'t> {
    ty: Option<&'t Type>,
}

impl<'t> ValueSerializer<'t> {
    pub(super) fn typed(ty: &'t Type) -> Self {
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

pub(super) struct SeqWriter<'t> {
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

pub(super) struct MapWriter<'t> {
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
