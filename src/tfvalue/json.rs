//! The JSON encoding of values: `DynamicValue.json` and stored state (`RawState.json`).
//!
//! Stored state was written with the schema of whatever provider version created it, so
//! decoding is forgiving the way Terraform's is: attributes the type no longer declares are
//! dropped, missing ones become null, and primitives convert as cty converts them (a number
//! or bool where a string is expected, a numeric or boolean string where a number or bool is
//! expected). Numbers keep every digit. A value of `dynamic` type is
//! `{"value": ..., "type": ...}`.

use std::collections::BTreeMap;

use super::error::{ValueError, check_depth, check_tuple_length};
use super::json_text::{self, Json};
use super::number::Number;
use super::path::{AttributePath, PathStep};
use super::types::Type;
use super::value::Value;

const FORMAT: &str = "JSON";

/// Decodes JSON (for example stored state) against the type `ty`.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let json = json_text::parse(bytes).map_err(|e| ValueError::Malformed {
        format: FORMAT,
        path: AttributePath::root(),
        reason: e.to_string(),
    })?;
    let mut path = AttributePath::root();
    decode(&json, ty, &mut path, 0)
}

/// Encodes `value` as JSON of type `ty`; unknown values are an error, object attributes
/// missing from the value are written as null.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = String::new();
    let mut path = AttributePath::root();
    encode(&mut out, value, ty, &mut path)?;
    Ok(out.into_bytes())
}

fn mismatch(path: &AttributePath, ty: &Type, found: &str) -> ValueError {
    ValueError::TypeMismatch {
        path: path.clone(),
        expected: ty.to_string(),
        found: found.to_owned(),
    }
}

fn parse_number(text: &str, path: &AttributePath) -> Result<Number, ValueError> {
    text.parse().map_err(|_| ValueError::InvalidNumber {
        path: path.clone(),
        text: text.to_owned(),
    })
}

fn decode(
    json: &Json,
    ty: &Type,
    path: &mut AttributePath,
    depth: usize,
) -> Result<Value, ValueError> {
    check_depth(depth, path)?;
    Ok(match (ty, json) {
        (_, Json::Null) => Value::Null,
        (Type::Dynamic, Json::Object(members)) => decode_dynamic(members, path, depth)?,
        (Type::Bool, Json::Bool(b)) => Value::Bool(*b),
        (Type::Bool, Json::String(s)) => match s.as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(mismatch(path, ty, "a string that is not a bool")),
        },
        (Type::Number, Json::Number(text) | Json::String(text)) => {
            Value::Number(parse_number(text, path)?)
        }
        (Type::String, Json::String(s)) => Value::String(s.clone()),
        (Type::String, Json::Number(text)) => Value::String(text.clone()),
        (Type::String, Json::Bool(b)) => Value::String(b.to_string()),
        (Type::List(element), Json::Array(items)) => {
            Value::List(decode_items(items, |_| element, path, depth)?)
        }
        (Type::Set(element), Json::Array(items)) => {
            Value::Set(decode_items(items, |_| element, path, depth)?)
        }
        (Type::Tuple(elements), Json::Array(items)) => {
            check_tuple_length(elements.len(), items.len(), path)?;
            Value::Tuple(decode_items(items, |i| &elements[i], path, depth)?)
        }
        (Type::Map(element), Json::Object(members)) => {
            let mut entries = BTreeMap::new();
            for (key, item) in members {
                let value = path.within(PathStep::ElementKeyString(key.clone()), |p| {
                    decode(item, element, p, depth + 1)
                })?;
                entries.insert(key.clone(), value);
            }
            Value::Map(entries)
        }
        (Type::Object { attrs, .. }, Json::Object(members)) => {
            let mut values: BTreeMap<String, Value> = attrs
                .keys()
                .map(|name| (name.clone(), Value::Null))
                .collect();
            for (name, item) in members {
                // An attribute the schema no longer has is dropped, as Terraform does.
                let Some(attr_ty) = attrs.get(name) else {
                    continue;
                };
                let value = path.within(PathStep::Attribute(name.clone()), |p| {
                    decode(item, attr_ty, p, depth + 1)
                })?;
                values.insert(name.clone(), value);
            }
            Value::Object(values)
        }
        (ty, other) => return Err(mismatch(path, ty, other.kind())),
    })
}

fn decode_items<'t>(
    items: &[Json],
    element_type: impl Fn(usize) -> &'t Type,
    path: &mut AttributePath,
    depth: usize,
) -> Result<Vec<Value>, ValueError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            path.within(PathStep::ElementKeyInt(i as i64), |p| {
                decode(item, element_type(i), p, depth + 1)
            })
        })
        .collect()
}

fn decode_dynamic(
    members: &[(String, Json)],
    path: &mut AttributePath,
    depth: usize,
) -> Result<Value, ValueError> {
    let malformed = |path: &AttributePath, reason: String| ValueError::Malformed {
        format: FORMAT,
        path: path.clone(),
        reason,
    };
    let mut type_json = None;
    let mut value_json = None;
    for (key, member) in members {
        match key.as_str() {
            "type" => type_json = Some(member),
            "value" => value_json = Some(member),
            other => {
                return Err(malformed(
                    path,
                    format!(
                        "a dynamic value has only \"type\" and \"value\", not {}",
                        json_text::quote(other)
                    ),
                ));
            }
        }
    }
    let (Some(type_json), Some(value_json)) = (type_json, value_json) else {
        return Err(malformed(
            path,
            "a dynamic value needs both \"type\" and \"value\"".to_owned(),
        ));
    };
    let ty = Type::from_json_tree(type_json).map_err(|reason| ValueError::InvalidType {
        path: path.clone(),
        reason,
    })?;
    let value = decode(value_json, &ty, path, depth + 1)?;
    Ok(Value::Dynamic {
        ty,
        value: Box::new(value),
    })
}

fn encode(
    out: &mut String,
    value: &Value,
    ty: &Type,
    path: &mut AttributePath,
) -> Result<(), ValueError> {
    match (ty, value) {
        (_, Value::Unknown) => {
            return Err(ValueError::UnknownNotAllowed { path: path.clone() });
        }
        (_, Value::Null) => out.push_str("null"),
        (Type::Dynamic, Value::Dynamic { ty: inner, value }) => {
            encode_dynamic(out, value, inner, path)?
        }
        (Type::Dynamic, known) => encode_dynamic(out, known, &known.implied_type(), path)?,
        (ty, Value::Dynamic { ty: inner, value }) if inner == ty => encode(out, value, ty, path)?,
        (Type::Bool, Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        (Type::Number, Value::Number(n)) => {
            if n.is_infinite() {
                return Err(ValueError::NumberOutOfRange {
                    path: path.clone(),
                    number: n.to_string(),
                    format: FORMAT,
                });
            }
            out.push_str(&n.to_string());
        }
        (Type::String, Value::String(s)) => json_text::push_quoted(out, s),
        (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
            encode_items(out, items, |_| element, path)?;
        }
        (Type::Tuple(elements), Value::Tuple(items)) => {
            check_tuple_length(elements.len(), items.len(), path)?;
            encode_items(out, items, |i| &elements[i], path)?;
        }
        (Type::Map(element), Value::Map(entries)) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_text::push_quoted(out, key);
                out.push(':');
                path.within(PathStep::ElementKeyString(key.clone()), |p| {
                    encode(out, item, element, p)
                })?;
            }
            out.push('}');
        }
        (Type::Object { attrs, .. }, Value::Object(values)) => {
            if let Some(name) = values.keys().find(|name| !attrs.contains_key(*name)) {
                return Err(ValueError::UnsupportedAttribute {
                    path: path.clone(),
                    name: name.clone(),
                });
            }
            out.push('{');
            for (i, (name, attr_ty)) in attrs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_text::push_quoted(out, name);
                out.push(':');
                let item = values.get(name).unwrap_or(&Value::Null);
                path.within(PathStep::Attribute(name.clone()), |p| {
                    encode(out, item, attr_ty, p)
                })?;
            }
            out.push('}');
        }
        (ty, value) => return Err(mismatch(path, ty, &value.kind())),
    }
    Ok(())
}

/// A JSON array of `items`, the `i`th encoded as `element_type(i)`: a list's, set's or (its
/// length checked) tuple's elements.
fn encode_items<'t>(
    out: &mut String,
    items: &[Value],
    element_type: impl Fn(usize) -> &'t Type,
    path: &mut AttributePath,
) -> Result<(), ValueError> {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        path.within(PathStep::ElementKeyInt(i as i64), |p| {
            encode(out, item, element_type(i), p)
        })?;
    }
    out.push(']');
    Ok(())
}

fn encode_dynamic(
    out: &mut String,
    value: &Value,
    ty: &Type,
    path: &mut AttributePath,
) -> Result<(), ValueError> {
    out.push_str("{\"value\":");
    encode(out, value, ty, path)?;
    out.push_str(",\"type\":");
    out.push_str(&String::from_utf8_lossy(&ty.to_json()));
    out.push('}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("size", Type::Number),
            ("labels", Type::map(Type::String)),
            ("extra", Type::Dynamic),
        ])
    }

    #[test]
    fn stored_state_drops_removed_attributes_and_nulls_new_ones() {
        let value =
            decode_json(br#"{"id":"j-1","old_field":[1,2],"size":3}"#, &state_type()).unwrap();
        assert_eq!(value.attr("id").and_then(Value::as_str), Some("j-1"));
        assert!(value.attr("labels").unwrap().is_null());
        assert!(value.attr("old_field").is_none());
    }

    #[test]
    fn numbers_keep_full_precision() {
        let text = "123456789012345678901234567890.123456789";
        let value = decode_json(text.as_bytes(), &Type::Number).unwrap();
        assert_eq!(value.as_number().unwrap().to_string(), text);
        assert_eq!(encode_json(&value, &Type::Number).unwrap(), text.as_bytes());
    }

    #[test]
    fn dynamic_values_carry_value_then_type() {
        let value = Value::Dynamic {
            ty: Type::list(Type::String),
            value: Box::new(Value::List(vec![Value::from("a")])),
        };
        let ty = Type::object([("d", Type::Dynamic)]);
        let object = Value::Object([("d".to_owned(), value)].into());
        let bytes = encode_json(&object, &ty).unwrap();
        assert_eq!(bytes, br#"{"d":{"value":["a"],"type":["list","string"]}}"#);
        assert_eq!(decode_json(&bytes, &ty).unwrap(), object);
        assert_eq!(
            decode_json(br#"{"type":"string","value":"x"}"#, &Type::Dynamic).unwrap(),
            Value::Dynamic {
                ty: Type::String,
                value: Box::new(Value::from("x"))
            }
        );
        let err = decode_json(br#"{"value":"x"}"#, &Type::Dynamic).unwrap_err();
        assert!(err.to_string().contains("needs both"), "{err}");
        let err = decode_json(br#"{"d":{"type":"strin","value":"x"}}"#, &ty).unwrap_err();
        assert!(
            matches!(err, ValueError::InvalidType { ref path, .. } if *path == AttributePath::attr("d")),
            "{err}"
        );
    }

    #[test]
    fn primitives_convert_like_terraform_does() {
        assert_eq!(
            decode_json(b"12", &Type::String).unwrap(),
            Value::from("12")
        );
        assert_eq!(
            decode_json(b"true", &Type::String).unwrap(),
            Value::from("true")
        );
        assert_eq!(
            decode_json(br#""1.5""#, &Type::Number).unwrap(),
            Value::Number("1.5".parse().unwrap())
        );
        assert_eq!(
            decode_json(br#""false""#, &Type::Bool).unwrap(),
            Value::from(false)
        );
        let err = decode_json(br#"{"size":"big"}"#, &state_type()).unwrap_err();
        assert_eq!(err.to_string(), "\"big\" at `size` is not a number");
    }

    #[test]
    fn encoding_refuses_unknowns_and_infinity_with_their_path() {
        let value = Value::Object(
            [(
                "labels".to_owned(),
                Value::Map([("k".to_owned(), Value::Unknown)].into()),
            )]
            .into(),
        );
        let err = encode_json(&value, &state_type()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "value at `labels[\"k\"]` is unknown, and JSON cannot represent unknown values"
        );
        let inf = Value::Number("inf".parse().unwrap());
        assert!(matches!(
            encode_json(&inf, &Type::Number),
            Err(ValueError::NumberOutOfRange { .. })
        ));
    }

    #[test]
    fn object_attributes_are_written_sorted_with_nulls() {
        let value = Value::Object([("id".to_owned(), Value::from("a\"b"))].into());
        assert_eq!(
            encode_json(&value, &state_type()).unwrap(),
            br#"{"extra":null,"id":"a\"b","labels":null,"size":null}"#
        );
    }
}
