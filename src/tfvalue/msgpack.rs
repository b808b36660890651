//! The MessagePack encoding of `DynamicValue`, as Terraform's object wire format defines it.
//!
//! Rules (docs/plugin-protocol/object-wire-format.md, and cty's encoder for the choices the
//! doc leaves open): null is nil; unknown is an extension (any code, payload ignored; we write
//! cty's fixext1 type 0 with a zero byte); numbers are integers when integral and within
//! `i64`, float64 when exactly representable, otherwise decimal strings; lists, sets and
//! tuples are arrays; maps and objects are string-keyed maps (objects with every attribute,
//! sorted by name); a known value of `dynamic` type is `[type JSON as bin, value]`.
//!
//! Refinements of unknown values (extension 12) are read as plain unknowns: the protocol
//! allows ignoring them, and we never write them.

use std::collections::{BTreeMap, BTreeSet};

use super::error::{ValueError, check_depth, check_tuple_length};
use super::msgpack_wire::{self as wire, Reader, Token};
use super::number::Number;
use super::path::{AttributePath, PathStep};
use super::types::Type;
use super::value::Value;

const FORMAT: &str = "msgpack";

/// Decodes a msgpack `DynamicValue` against the schema type `ty`.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut decoder = Decoder {
        reader: Reader::new(bytes),
        path: AttributePath::root(),
    };
    let value = decoder.value(ty, 0)?;
    if decoder.reader.remaining() > 0 {
        return Err(decoder.malformed(format!(
            "{} unexpected bytes after the value",
            decoder.reader.remaining()
        )));
    }
    Ok(value)
}

/// Encodes `value` as a msgpack `DynamicValue` of the schema type `ty`.
///
/// Object attributes missing from the value are written as null; attributes the type does
/// not declare are an error.
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    let mut path = AttributePath::root();
    encode(&mut out, value, ty, &mut path)?;
    Ok(out)
}

struct Decoder<'a> {
    reader: Reader<'a>,
    path: AttributePath,
}

impl<'a> Decoder<'a> {
    fn malformed(&self, reason: impl Into<String>) -> ValueError {
        ValueError::Malformed {
            format: FORMAT,
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    fn mismatch(&self, ty: &Type, token: &Token<'_>) -> ValueError {
        ValueError::TypeMismatch {
            path: self.path.clone(),
            expected: ty.to_string(),
            found: token.kind().to_owned(),
        }
    }

    fn token(&mut self) -> Result<Token<'a>, ValueError> {
        match self.reader.next() {
            Ok(token) => Ok(token),
            Err(reason) => Err(self.malformed(reason)),
        }
    }

    fn text(&self, bytes: &[u8]) -> Result<String, ValueError> {
        String::from_utf8(bytes.to_vec()).map_err(|_| self.malformed("string is not valid UTF-8"))
    }

    /// Runs `f` with `step` pushed onto the path, popping it afterwards on success (on error
    /// the path stays, but the error has already copied it).
    fn at<T>(
        &mut self,
        step: PathStep,
        f: impl FnOnce(&mut Self) -> Result<T, ValueError>,
    ) -> Result<T, ValueError> {
        self.path.0.push(step);
        let result = f(self)?;
        self.path.0.pop();
        Ok(result)
    }

    fn value(&mut self, ty: &Type, depth: usize) -> Result<Value, ValueError> {
        check_depth(depth, &self.path)?;
        let token = self.token()?;
        let count = match token {
            Token::Ext(..) => return Ok(Value::Unknown),
            Token::Nil => return Ok(Value::Null),
            Token::Array(n) | Token::Map(n) => n,
            _ => 0,
        };
        match (ty, token) {
            (Type::Dynamic, Token::Array(2)) => self.dynamic(depth),
            (Type::Bool, Token::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Number, Token::Int(n)) => Ok(Value::Number(Number::from_i64(n))),
            (Type::Number, Token::Uint(n)) => Ok(Value::Number(Number::from(n))),
            (Type::Number, Token::F32(f)) => self.float(f as f64),
            (Type::Number, Token::F64(f)) => self.float(f),
            (Type::Number, Token::Str(bytes)) => {
                let text = self.text(bytes)?;
                match text.parse() {
                    Ok(n) => Ok(Value::Number(n)),
                    Err(_) => Err(ValueError::InvalidNumber {
                        path: self.path.clone(),
                        text,
                    }),
                }
            }
            (Type::String, Token::Str(bytes)) => Ok(Value::String(self.text(bytes)?)),
            (Type::List(element), Token::Array(_)) => {
                Ok(Value::List(self.elements(count, |_| element, depth)?))
            }
            (Type::Set(element), Token::Array(_)) => {
                Ok(Value::Set(self.elements(count, |_| element, depth)?))
            }
            (Type::Tuple(elements), Token::Array(_)) => {
                check_tuple_length(elements.len(), count, &self.path)?;
                Ok(Value::Tuple(self.elements(
                    count,
                    |i| &elements[i],
                    depth,
                )?))
            }
            (Type::Map(element), Token::Map(_)) => Ok(Value::Map(self.map(count, element, depth)?)),
            (Type::Object { attrs, optional }, Token::Map(_)) => {
                Ok(Value::Object(self.object(count, attrs, optional, depth)?))
            }
            (ty, token) => Err(self.mismatch(ty, &token)),
        }
    }

    /// An object's `count` attributes, each of them declared in `attrs`, and the ones absent
    /// null when `optional` allows it. Kept out of [`Decoder::value`] so that its frame, which
    /// every level of nesting repeats, stays small enough for
    /// [`MAX_DEPTH`](super::error::MAX_DEPTH) levels.
    fn object(
        &mut self,
        count: usize,
        attrs: &BTreeMap<String, Type>,
        optional: &BTreeSet<String>,
        depth: usize,
    ) -> Result<BTreeMap<String, Value>, ValueError> {
        let mut values = BTreeMap::new();
        for _ in 0..count {
            let name = self.key()?;
            let Some(attr_ty) = attrs.get(&name) else {
                return Err(ValueError::UnsupportedAttribute {
                    path: self.path.clone(),
                    name,
                });
            };
            let value = self.at(PathStep::Attribute(name.clone()), |d| {
                d.value(attr_ty, depth + 1)
            })?;
            if values.insert(name.clone(), value).is_some() {
                return Err(self.malformed(format!("attribute \"{name}\" appears twice")));
            }
        }
        for name in attrs.keys() {
            if !values.contains_key(name) {
                if !optional.contains(name) {
                    return Err(ValueError::MissingAttribute {
                        path: self.path.clone(),
                        name: name.clone(),
                    });
                }
                values.insert(name.clone(), Value::Null);
            }
        }
        Ok(values)
    }

    fn float(&self, f: f64) -> Result<Value, ValueError> {
        Number::from_f64_exact(f)
            .map(Value::Number)
            .ok_or_else(|| ValueError::InvalidNumber {
                path: self.path.clone(),
                text: "NaN".to_owned(),
            })
    }

    fn dynamic(&mut self, depth: usize) -> Result<Value, ValueError> {
        let type_json = match self.token()? {
            Token::Bin(bytes) | Token::Str(bytes) => bytes.to_vec(),
            other => {
                let found = other.kind();
                return Err(self.malformed(format!(
                    "a dynamic value must start with its type as msgpack binary, found {found}"
                )));
            }
        };
        let ty = Type::from_json(&type_json).map_err(|e| match e {
            ValueError::InvalidType { reason, .. } => ValueError::InvalidType {
                path: self.path.clone(),
                reason,
            },
            other => other,
        })?;
        let value = self.value(&ty, depth + 1)?;
        Ok(Value::Dynamic {
            ty,
            value: Box::new(value),
        })
    }

    fn elements<'t>(
        &mut self,
        count: usize,
        element_type: impl Fn(usize) -> &'t Type,
        depth: usize,
    ) -> Result<Vec<Value>, ValueError> {
        let mut items = Vec::with_capacity(count.min(self.reader.remaining()));
        for i in 0..count {
            let ty = element_type(i);
            items.push(self.at(PathStep::ElementKeyInt(i as i64), |d| {
                d.value(ty, depth + 1)
            })?);
        }
        Ok(items)
    }

    fn key(&mut self) -> Result<String, ValueError> {
        match self.token()? {
            Token::Str(bytes) => self.text(bytes),
            other => {
                let found = other.kind();
                Err(self.malformed(format!("map keys must be strings, found {found}")))
            }
        }
    }

    fn map(
        &mut self,
        count: usize,
        element: &Type,
        depth: usize,
    ) -> Result<BTreeMap<String, Value>, ValueError> {
        let mut entries = BTreeMap::new();
        for _ in 0..count {
            let key = self.key()?;
            let value = self.at(PathStep::ElementKeyString(key.clone()), |d| {
                d.value(element, depth + 1)
            })?;
            if entries.insert(key.clone(), value).is_some() {
                return Err(self.malformed(format!("key \"{key}\" appears twice")));
            }
        }
        Ok(entries)
    }
}

fn mismatch(path: &AttributePath, ty: &Type, value: &Value) -> ValueError {
    ValueError::TypeMismatch {
        path: path.clone(),
        expected: ty.to_string(),
        found: value.kind(),
    }
}

fn encode_number(out: &mut Vec<u8>, number: &Number) {
    if let Some(n) = number.as_i64() {
        wire::write_int(out, n);
    } else if number.is_integer() {
        // Integral but beyond i64: cty writes these as strings even when a float64 is exact.
        wire::write_str(out, &number.to_string());
    } else if let Some(f) = number.exact_f64() {
        wire::write_f64(out, f);
    } else {
        wire::write_str(out, &number.to_string());
    }
}

fn encode(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    path: &mut AttributePath,
) -> Result<(), ValueError> {
    match (ty, value) {
        (_, Value::Unknown) => out.extend_from_slice(&wire::UNKNOWN),
        (_, Value::Null) => wire::write_nil(out),
        (Type::Dynamic, Value::Dynamic { ty: inner, value }) => {
            wire::write_array_len(out, 2);
            wire::write_bin(out, &inner.to_json());
            encode(out, value, inner, path)?;
        }
        (Type::Dynamic, known) => {
            let inner = known.implied_type();
            wire::write_array_len(out, 2);
            wire::write_bin(out, &inner.to_json());
            encode(out, known, &inner, path)?;
        }
        (ty, Value::Dynamic { ty: inner, value }) if inner == ty => encode(out, value, ty, path)?,
        (Type::Bool, Value::Bool(b)) => wire::write_bool(out, *b),
        (Type::Number, Value::Number(n)) => encode_number(out, n),
        (Type::String, Value::String(s)) => wire::write_str(out, s),
        (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
            encode_items(out, items, |_| element, path)?;
        }
        (Type::Tuple(elements), Value::Tuple(items)) => {
            check_tuple_length(elements.len(), items.len(), path)?;
            encode_items(out, items, |i| &elements[i], path)?;
        }
        (Type::Map(element), Value::Map(entries)) => {
            wire::write_map_len(out, entries.len());
            for (key, item) in entries {
                wire::write_str(out, key);
                path.within(PathStep::ElementKeyString(key.clone()), |p| {
                    encode(out, item, element, p)
                })?;
            }
        }
        (Type::Object { attrs, .. }, Value::Object(values)) => {
            if let Some(name) = values.keys().find(|name| !attrs.contains_key(*name)) {
                return Err(ValueError::UnsupportedAttribute {
                    path: path.clone(),
                    name: name.clone(),
                });
            }
            wire::write_map_len(out, attrs.len());
            for (name, attr_ty) in attrs {
                wire::write_str(out, name);
                let item = values.get(name).unwrap_or(&Value::Null);
                path.within(PathStep::Attribute(name.clone()), |p| {
                    encode(out, item, attr_ty, p)
                })?;
            }
        }
        (ty, value) => return Err(mismatch(path, ty, value)),
    }
    Ok(())
}

/// A msgpack array of `items`, the `i`th encoded as `element_type(i)`: a list's, set's or (its
/// length checked) tuple's elements.
fn encode_items<'t>(
    out: &mut Vec<u8>,
    items: &[Value],
    element_type: impl Fn(usize) -> &'t Type,
    path: &mut AttributePath,
) -> Result<(), ValueError> {
    wire::write_array_len(out, items.len());
    for (i, item) in items.iter().enumerate() {
        path.within(PathStep::ElementKeyInt(i as i64), |p| {
            encode(out, item, element_type(i), p)
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfvalue::error::MAX_DEPTH;

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    fn number_bytes(text: &str) -> Vec<u8> {
        encode_msgpack(&Value::Number(text.parse().unwrap()), &Type::Number).unwrap()
    }

    fn decode_number(bytes: &[u8]) -> String {
        decode_msgpack(bytes, &Type::Number)
            .unwrap()
            .as_number()
            .unwrap()
            .to_string()
    }

    #[test]
    fn object_with_unknown_attribute_encodes_to_wire_format_bytes() {
        // fixmap(2), "a" => "x", "b" => fixext1 type 0 payload 0
        let ty = Type::object([("a", Type::String), ("b", Type::String)]);
        let value = obj(vec![("a", Value::from("x")), ("b", Value::Unknown)]);
        let bytes = [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xd4, 0x00, 0x00];
        assert_eq!(encode_msgpack(&value, &ty).unwrap(), bytes);
        assert_eq!(decode_msgpack(&bytes, &ty).unwrap(), value);
    }

    #[test]
    fn dynamic_value_is_a_pair_of_type_json_and_value() {
        let ty = Type::object([("d", Type::Dynamic)]);
        let value = obj(vec![(
            "d",
            Value::Dynamic {
                ty: Type::String,
                value: Box::new(Value::from("hi")),
            },
        )]);
        let mut bytes = vec![0x81, 0xa1, b'd', 0x92, 0xc4, 8];
        bytes.extend_from_slice(b"\"string\"");
        bytes.extend_from_slice(&[0xa2, b'h', b'i']);
        assert_eq!(encode_msgpack(&value, &ty).unwrap(), bytes);
        assert_eq!(decode_msgpack(&bytes, &ty).unwrap(), value);
        // Terraform may send the type JSON as a string rather than binary.
        let mut as_str = bytes.clone();
        as_str[4] = 0xa8;
        as_str.remove(5);
        assert_eq!(decode_msgpack(&as_str, &ty).unwrap(), value);
    }

    #[test]
    fn dynamic_unknown_and_null_carry_no_type() {
        assert_eq!(
            encode_msgpack(&Value::Unknown, &Type::Dynamic).unwrap(),
            [0xd4, 0, 0]
        );
        assert_eq!(
            encode_msgpack(&Value::Null, &Type::Dynamic).unwrap(),
            [0xc0]
        );
        assert_eq!(
            decode_msgpack(&[0xc0], &Type::Dynamic).unwrap(),
            Value::Null
        );
        // A typed null keeps its type.
        let typed_null = Value::Dynamic {
            ty: Type::Bool,
            value: Box::new(Value::Null),
        };
        let bytes = [0x92, 0xc4, 6, b'"', b'b', b'o', b'o', b'l', b'"', 0xc0];
        assert_eq!(encode_msgpack(&typed_null, &Type::Dynamic).unwrap(), bytes);
        assert_eq!(decode_msgpack(&bytes, &Type::Dynamic).unwrap(), typed_null);
    }

    #[test]
    fn bare_known_value_in_dynamic_slot_gets_its_implied_type() {
        let bytes = encode_msgpack(&Value::from(true), &Type::Dynamic).unwrap();
        assert_eq!(
            decode_msgpack(&bytes, &Type::Dynamic).unwrap(),
            Value::Dynamic {
                ty: Type::Bool,
                value: Box::new(Value::from(true))
            }
        );
    }

    #[test]
    fn numbers_pick_int_then_exact_float_then_string() {
        assert_eq!(number_bytes("1"), [0x01]);
        assert_eq!(number_bytes("-1"), [0xff]);
        assert_eq!(number_bytes("-0"), [0x00]);
        assert_eq!(number_bytes("300"), [0xcd, 0x01, 0x2c]);
        assert_eq!(number_bytes("0.5"), [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(number_bytes("0.1"), [0xa3, b'0', b'.', b'1']);
        let mut beyond_i64 = vec![0xb4];
        beyond_i64.extend_from_slice(b"18446744073709551616");
        assert_eq!(number_bytes("18446744073709551616"), beyond_i64);
        let huge = number_bytes("1e400");
        assert_eq!(&huge[..3], [0xda, 0x01, 0x91]);
        assert_eq!(&huge[3..], format!("1{}", "0".repeat(400)).as_bytes());
        assert_eq!(number_bytes("inf"), [0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn numbers_decode_from_every_width_and_strings() {
        assert_eq!(
            decode_number(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            "18446744073709551615"
        );
        assert_eq!(
            decode_number(&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            "-9223372036854775808"
        );
        assert_eq!(decode_number(&[0xd0, 0x80]), "-128");
        assert_eq!(decode_number(&[0xca, 0x3e, 0x80, 0, 0]), "0.25");
        assert_eq!(decode_number(&[0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0]), "0");
        // float64 0.1 is read as exactly the binary value, so it re-encodes as float64.
        let point_one = [0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a];
        let value = decode_msgpack(&point_one, &Type::Number).unwrap();
        assert_eq!(encode_msgpack(&value, &Type::Number).unwrap(), point_one);
        assert_eq!(
            decode_number(b"\xa71.5e+30"),
            "1500000000000000000000000000000"
        );
    }

    #[test]
    fn bad_numbers_are_errors_naming_the_path() {
        let ty = Type::object([("n", Type::Number)]);
        let err = decode_msgpack(&[0x81, 0xa1, b'n', 0xa3, b'a', b'b', b'c'], &ty).unwrap_err();
        assert_eq!(err.to_string(), "\"abc\" at `n` is not a number");
        let nan = [0x81, 0xa1, b'n', 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            decode_msgpack(&nan, &ty),
            Err(ValueError::InvalidNumber { .. })
        ));
    }

    #[test]
    fn any_extension_is_unknown_including_refinements() {
        // Extension 12 with a refinement map {1: false} (not null): read as plain unknown.
        assert_eq!(
            decode_msgpack(&[0xd5, 0x0c, 0x81, 0x01], &Type::String),
            Ok(Value::Unknown)
        );
        assert_eq!(
            decode_msgpack(&[0xc7, 3, 0x0c, 0x81, 0x01, 0xc2], &Type::Number),
            Ok(Value::Unknown)
        );
        assert_eq!(
            decode_msgpack(&[0xd6, 0x07, 1, 2, 3, 4], &Type::list(Type::Bool)),
            Ok(Value::Unknown)
        );
    }

    #[test]
    fn sets_keep_wire_order_and_duplicates() {
        let bytes = [0x93, 0xa1, b'b', 0xa1, b'a', 0xa1, b'b'];
        assert_eq!(
            decode_msgpack(&bytes, &Type::set(Type::String)).unwrap(),
            Value::Set(vec![Value::from("b"), Value::from("a"), Value::from("b")])
        );
    }

    #[test]
    fn object_attribute_rules_are_enforced() {
        let ty = Type::Object {
            attrs: [
                ("a".to_owned(), Type::String),
                ("o".to_owned(), Type::String),
            ]
            .into(),
            optional: ["o".to_owned()].into(),
        };
        // Optional attribute absent: null.
        assert_eq!(
            decode_msgpack(&[0x81, 0xa1, b'a', 0xa1, b'x'], &ty).unwrap(),
            obj(vec![("a", Value::from("x")), ("o", Value::Null)])
        );
        // Required attribute absent.
        let err = decode_msgpack(&[0x81, 0xa1, b'o', 0xc0], &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "attribute \"a\" is missing at the top level"
        );
        // Undeclared attribute.
        let err = decode_msgpack(&[0x82, 0xa1, b'a', 0xc0, 0xa1, b'z', 0xc0], &ty).unwrap_err();
        assert!(matches!(err, ValueError::UnsupportedAttribute { ref name, .. } if name == "z"));
        // Encoding an undeclared attribute is refused; a missing one is written as nil.
        let err = encode_msgpack(&obj(vec![("zz", Value::Null)]), &ty).unwrap_err();
        assert!(matches!(err, ValueError::UnsupportedAttribute { .. }));
        assert_eq!(
            encode_msgpack(&obj(vec![]), &ty).unwrap(),
            [0x82, 0xa1, b'a', 0xc0, 0xa1, b'o', 0xc0]
        );
    }

    #[test]
    fn structural_errors_name_the_path() {
        let ty = Type::object([("l", Type::list(Type::Tuple(vec![Type::Bool, Type::Bool])))]);
        let bytes = [0x81, 0xa1, b'l', 0x91, 0x91, 0xc3];
        let err = decode_msgpack(&bytes, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tuple at `l[0]` must have 2 elements, but it has 1"
        );
        let err = decode_msgpack(&[0x81, 0xa1, b'l', 0xa1, b'x'], &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "value at `l` should be list(tuple([bool,bool])), but it is a msgpack string"
        );
        let err = decode_msgpack(&[0xc0, 0xc0], &ty).unwrap_err();
        assert!(
            err.to_string().contains("unexpected bytes after the value"),
            "{err}"
        );
        let err = encode_msgpack(&obj(vec![("l", Value::from(1))]), &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "value at `l` should be list(tuple([bool,bool])), but it is a number"
        );
    }

    #[test]
    fn nested_dynamic_types_beyond_the_depth_limit_are_refused() {
        let mut bytes = Vec::new();
        for _ in 0..(MAX_DEPTH + 5) {
            bytes.extend_from_slice(&[0x92, 0xc4, 9]);
            bytes.extend_from_slice(b"\"dynamic\"");
        }
        bytes.push(0xc0);
        let err = decode_msgpack(&bytes, &Type::Dynamic).unwrap_err();
        assert!(matches!(err, ValueError::TooDeep { .. }), "{err}");
    }
}
