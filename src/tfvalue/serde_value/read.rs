//! Reading a typed struct from a borrowed [`Value`]: unknown is null to plain types, and a
//! tri-state field ([`TRI_STATE`]) is told which of the three it got.

use serde::de::{self, IntoDeserializer as _, Visitor};

use super::{SerdeError, TRI_STATE};
use crate::tfvalue::path::PathStep;
use crate::tfvalue::value::Value;

/// A deserializer over a borrowed value.
#[derive(Clone, Copy)]
pub(super) struct ValueDeserializer<'a>(pub(super) &'a Value);

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
