//! Map keys and attribute names: only strings (and what reads as one) can be either.

use serde::ser::{self, Serialize};

use super::SerdeError;

pub(super) struct KeySerializer;

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
