//! A bridge between [`Value`] and `serde_json::Value`, so resources can keep their state in
//! typed structs (`#[derive(Serialize, Deserialize)]`) and convert at the edge.
//!
//! The JSON here is the plain shape of the value, not the wire encoding: a dynamic value is
//! just its inner value, and numbers become `i64` when integral and in range, `f64` otherwise.

use std::collections::BTreeMap;

use super::error::{ValueError, check_tuple_length};
use super::number::Number;
use super::path::{AttributePath, PathStep};
use super::types::Type;
use super::value::Value;

/// The value as plain JSON; unknown values are an error (a typed struct cannot hold one), as
/// are numbers beyond `f64` and infinities.
pub fn to_json_value(value: &Value) -> Result<serde_json::Value, ValueError> {
    let mut path = AttributePath::root();
    to_json(value, &mut path)
}

/// Reads plain JSON as a value of type `ty`: `null` is null at any level, objects must not
/// have members the type lacks (missing ones are null), and a `dynamic` slot takes the type
/// JSON implies (strings, numbers, bools, tuples for arrays, objects for objects).
pub fn from_json_value(json: &serde_json::Value, ty: &Type) -> Result<Value, ValueError> {
    let mut path = AttributePath::root();
    from_json(json, ty, &mut path)
}

fn to_json(value: &Value, path: &mut AttributePath) -> Result<serde_json::Value, ValueError> {
    use serde_json::Value as J;
    Ok(match value {
        Value::Unknown => return Err(ValueError::UnknownNotAllowed { path: path.clone() }),
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => J::Number(number_to_json(n, path)?),
        Value::String(s) => J::String(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => J::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    path.within(PathStep::ElementKeyInt(i as i64), |p| to_json(item, p))
                })
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        path.within(PathStep::ElementKeyString(k.clone()), |p| to_json(v, p))?,
                    ))
                })
                .collect::<Result<_, ValueError>>()?,
        ),
        Value::Object(attrs) => J::Object(
            attrs
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        path.within(PathStep::Attribute(k.clone()), |p| to_json(v, p))?,
                    ))
                })
                .collect::<Result<_, ValueError>>()?,
        ),
        Value::Dynamic { value, .. } => to_json(value, path)?,
    })
}

fn number_to_json(n: &Number, path: &AttributePath) -> Result<serde_json::Number, ValueError> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into());
    }
    serde_json::Number::from_f64(n.as_f64()).ok_or_else(|| ValueError::NumberOutOfRange {
        path: path.clone(),
        number: n.to_string(),
        format: "a 64-bit float",
    })
}

fn implied_type(json: &serde_json::Value) -> Type {
    use serde_json::Value as J;
    match json {
        J::Null => Type::Dynamic,
        J::Bool(_) => Type::Bool,
        J::Number(_) => Type::Number,
        J::String(_) => Type::String,
        J::Array(items) => Type::Tuple(items.iter().map(implied_type).collect()),
        J::Object(members) => Type::Object {
            attrs: members
                .iter()
                .map(|(k, v)| (k.clone(), implied_type(v)))
                .collect(),
            optional: Default::default(),
        },
    }
}

fn from_json(
    json: &serde_json::Value,
    ty: &Type,
    path: &mut AttributePath,
) -> Result<Value, ValueError> {
    use serde_json::Value as J;
    let mismatch = |path: &AttributePath| ValueError::TypeMismatch {
        path: path.clone(),
        expected: ty.to_string(),
        found: match json {
            J::Null => "null",
            J::Bool(_) => "a JSON boolean",
            J::Number(_) => "a JSON number",
            J::String(_) => "a JSON string",
            J::Array(_) => "a JSON array",
            J::Object(_) => "a JSON object",
        }
        .to_owned(),
    };
    Ok(match (ty, json) {
        (_, J::Null) => Value::Null,
        (Type::Dynamic, known) => {
            let inner = implied_type(known);
            let value = from_json(known, &inner, path)?;
            Value::Dynamic {
                ty: inner,
                value: Box::new(value),
            }
        }
        (Type::Bool, J::Bool(b)) => Value::Bool(*b),
        (Type::Number, J::Number(n)) => {
            // serde_json prints the shortest decimal that reads back as the same number.
            let text = n.to_string();
            Value::Number(text.parse().map_err(|_| ValueError::InvalidNumber {
                path: path.clone(),
                text,
            })?)
        }
        (Type::String, J::String(s)) => Value::String(s.clone()),
        (Type::List(element) | Type::Set(element), J::Array(items)) => {
            let values = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    path.within(PathStep::ElementKeyInt(i as i64), |p| {
                        from_json(item, element, p)
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if matches!(ty, Type::Set(_)) {
                Value::Set(values)
            } else {
                Value::List(values)
            }
        }
        (Type::Tuple(elements), J::Array(items)) => {
            check_tuple_length(elements.len(), items.len(), path)?;
            Value::Tuple(
                items
                    .iter()
                    .zip(elements)
                    .enumerate()
                    .map(|(i, (item, element))| {
                        path.within(PathStep::ElementKeyInt(i as i64), |p| {
                            from_json(item, element, p)
                        })
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        (Type::Map(element), J::Object(members)) => Value::Map(
            members
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        path.within(PathStep::ElementKeyString(k.clone()), |p| {
                            from_json(v, element, p)
                        })?,
                    ))
                })
                .collect::<Result<_, ValueError>>()?,
        ),
        (Type::Object { attrs, .. }, J::Object(members)) => {
            if let Some(name) = members.keys().find(|name| !attrs.contains_key(*name)) {
                return Err(ValueError::UnsupportedAttribute {
                    path: path.clone(),
                    name: name.clone(),
                });
            }
            let mut values = BTreeMap::new();
            for (name, attr_ty) in attrs {
                let value = match members.get(name) {
                    Some(member) => path.within(PathStep::Attribute(name.clone()), |p| {
                        from_json(member, attr_ty, p)
                    })?,
                    None => Value::Null,
                };
                values.insert(name.clone(), value);
            }
            Value::Object(values)
        }
        _ => return Err(mismatch(path)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("count", Type::Number),
            ("ratio", Type::Number),
            ("tags", Type::map(Type::String)),
            ("extra", Type::Dynamic),
        ])
    }

    #[test]
    fn typed_struct_json_converts_both_ways() {
        let json =
            json!({"id": "j-1", "count": 3, "ratio": 0.1, "tags": {"a": "b"}, "extra": [1, "x"]});
        let value = from_json_value(&json, &job_type()).unwrap();
        assert_eq!(
            value
                .attr("ratio")
                .and_then(Value::as_number)
                .map(ToString::to_string),
            Some("0.1".to_owned())
        );
        assert_eq!(
            value.attr("extra"),
            Some(&Value::Dynamic {
                ty: Type::Tuple(vec![Type::Number, Type::String]),
                value: Box::new(Value::Tuple(vec![Value::from(1), Value::from("x")])),
            })
        );
        assert_eq!(to_json_value(&value).unwrap(), json);
    }

    #[test]
    fn missing_members_are_null_and_extra_members_are_errors() {
        let value = from_json_value(&json!({"id": "j-1"}), &job_type()).unwrap();
        assert!(value.attr("count").unwrap().is_null());
        let err = from_json_value(&json!({"idd": "j-1"}), &job_type()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported attribute \"idd\" at the top level: the schema does not declare it"
        );
        let err = from_json_value(&json!({"count": "three"}), &job_type()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "value at `count` should be number, but it is a JSON string"
        );
    }

    #[test]
    fn unknowns_and_huge_numbers_cannot_become_plain_json() {
        let err = to_json_value(&Value::Object(BTreeMap::from([(
            "id".to_owned(),
            Value::Unknown,
        )])))
        .unwrap_err();
        assert_eq!(
            err,
            ValueError::UnknownNotAllowed {
                path: AttributePath::attr("id")
            }
        );
        let huge = Value::Number("1e400".parse().unwrap());
        assert!(matches!(
            to_json_value(&huge),
            Err(ValueError::NumberOutOfRange { .. })
        ));
        let big_int = Value::Number("123456789012345678901".parse().unwrap());
        assert_eq!(
            to_json_value(&big_int).unwrap(),
            json!(1.2345678901234568e20)
        );
    }
}
