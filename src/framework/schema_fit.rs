//! Whether a model struct and its schema name the same attributes, checked once per type.
//!
//! A model's field names are its attribute names (`model.rs`), but the schema is built apart
//! from it, so the two could drift: an attribute the model lacks is silently dropped from state,
//! a field the schema lacks fails every apply. [`model_fits_schema`] catches both before any user
//! does. It fills every attribute of the schema's type with a value (every collection with one
//! element, every nested block too), reads that into the model and writes the model back: each
//! value must come back where it was. Then it does the same with only the required attributes
//! set, since Terraform sends null for every other one (a non-`Option` field for an optional
//! attribute would fail the first plan).

use serde::{Serialize, de::DeserializeOwned};

use super::Schema;
use crate::tfvalue::{self, AttributePath, Number, Type, Value};

/// `Ok` when `M` reads and writes every attribute of `schema` and nothing else; otherwise the
/// first difference, in words that name the attribute.
pub fn model_fits_schema<M: Serialize + DeserializeOwned>(schema: &Schema) -> Result<(), String> {
    let ty = schema.value_type();
    round_trip::<M>(&filled(&ty), &ty, "every attribute set")?;
    round_trip::<M>(
        &required_only(schema, &ty),
        &ty,
        "only required attributes set",
    )
}

fn round_trip<M: Serialize + DeserializeOwned>(
    value: &Value,
    ty: &Type,
    case: &str,
) -> Result<(), String> {
    let model: M = tfvalue::from_value(value).map_err(|e| {
        format!(
            "with {case}, the value does not fit the model at {}: {}",
            e.path.location(),
            e.message
        )
    })?;
    let written = tfvalue::to_value(&model, ty).map_err(|e| {
        format!(
            "with {case}, the model does not fit the schema at {}: {}",
            e.path.location(),
            e.message
        )
    })?;
    match first_difference(value, &written, &AttributePath::root()) {
        None => Ok(()),
        Some(path) => Err(format!(
            "with {case}, {} does not come back from the model as it went in: the model has \
             no field of that name, or skips it",
            path.location()
        )),
    }
}

/// A value of `ty` with everything set: one element in every collection.
fn filled(ty: &Type) -> Value {
    match ty {
        Type::String | Type::Dynamic => Value::from("text"),
        Type::Number => Value::Number(Number::from_i64(7)),
        Type::Bool => Value::Bool(true),
        Type::List(element) => Value::List(vec![filled(element)]),
        Type::Set(element) => Value::Set(vec![filled(element)]),
        Type::Map(element) => Value::Map([("key".to_owned(), filled(element))].into()),
        Type::Tuple(elements) => Value::Tuple(elements.iter().map(filled).collect()),
        Type::Object { attrs, .. } => Value::Object(
            attrs
                .iter()
                .map(|(name, ty)| (name.clone(), filled(ty)))
                .collect(),
        ),
    }
}

/// A value with only the schema's required attributes set, every other one null.
fn required_only(schema: &Schema, ty: &Type) -> Value {
    let Value::Object(mut attrs) = filled(ty) else {
        return Value::Null;
    };
    for (name, value) in &mut attrs {
        if !schema.find_attribute(name).is_some_and(|a| a.required) {
            *value = Value::Null;
        }
    }
    Value::Object(attrs)
}

/// Where `written` differs from `original`, if anywhere.
fn first_difference(
    original: &Value,
    written: &Value,
    at: &AttributePath,
) -> Option<AttributePath> {
    match (original, written) {
        (Value::Object(a), Value::Object(b)) => a.iter().find_map(|(name, inner)| {
            let path = at.push_attr(name);
            match b.get(name) {
                Some(other) => first_difference(inner, other, &path),
                None => Some(path),
            }
        }),
        (Value::List(a), Value::List(b))
        | (Value::Set(a), Value::Set(b))
        | (Value::Tuple(a), Value::Tuple(b))
            if a.len() == b.len() =>
        {
            a.iter().zip(b).enumerate().find_map(|(index, (x, y))| {
                first_difference(
                    x,
                    y,
                    &at.push_index(i64::try_from(index).unwrap_or(i64::MAX)),
                )
            })
        }
        (Value::Map(a), Value::Map(b)) if a.len() == b.len() => {
            a.iter().find_map(|(key, inner)| match b.get(key) {
                Some(other) => first_difference(inner, other, &at.push_key(key)),
                None => Some(at.push_key(key)),
            })
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => None,
        (a, b) if a == b => None,
        _ => Some(at.clone()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::framework::{Attr, Attribute, Nesting};

    fn schema() -> Schema {
        Schema::default()
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::number("progress").computed())
            .attribute(Attribute::string_map("labels").optional())
            .block(
                "timeouts",
                Nesting::Single,
                Schema::default().attribute(Attribute::string("create").optional()),
            )
    }

    #[derive(Serialize, Deserialize)]
    struct Timeouts {
        create: Option<String>,
    }

    #[derive(Serialize, Deserialize)]
    struct Fits {
        id: Attr<String>,
        name: String,
        progress: Option<f64>,
        labels: Option<BTreeMap<String, String>>,
        timeouts: Option<Timeouts>,
    }

    #[test]
    fn a_model_with_one_field_per_attribute_fits() {
        assert_eq!(model_fits_schema::<Fits>(&schema()), Ok(()));
    }

    #[test]
    fn an_attribute_the_model_lacks_is_named() {
        #[derive(Serialize, Deserialize)]
        struct NoLabels {
            id: Attr<String>,
            name: String,
            progress: Option<f64>,
            timeouts: Option<Timeouts>,
        }
        let err = model_fits_schema::<NoLabels>(&schema()).expect_err("labels is lost");
        assert!(err.contains("labels"), "{err}");
    }

    #[test]
    fn a_nested_attribute_the_model_lacks_is_named() {
        #[derive(Serialize, Deserialize)]
        struct Empty {}
        #[derive(Serialize, Deserialize)]
        struct NoCreate {
            id: Attr<String>,
            name: String,
            progress: Option<f64>,
            labels: Option<BTreeMap<String, String>>,
            timeouts: Option<Empty>,
        }
        let err = model_fits_schema::<NoCreate>(&schema()).expect_err("create is lost");
        assert!(err.contains("timeouts.create"), "{err}");
    }

    #[test]
    fn a_field_the_schema_lacks_is_named() {
        #[derive(Serialize, Deserialize)]
        struct Extra {
            id: Attr<String>,
            name: String,
            progress: Option<f64>,
            labels: Option<BTreeMap<String, String>>,
            timeouts: Option<Timeouts>,
            request_id: Option<String>,
        }
        let err = model_fits_schema::<Extra>(&schema()).expect_err("request_id is extra");
        assert!(err.contains("request_id"), "{err}");
    }

    #[test]
    fn a_field_that_cannot_be_null_must_be_a_required_attribute() {
        #[derive(Serialize, Deserialize)]
        struct IdAlwaysThere {
            id: String,
            name: String,
            progress: Option<f64>,
            labels: Option<BTreeMap<String, String>>,
            timeouts: Option<Timeouts>,
        }
        let err = model_fits_schema::<IdAlwaysThere>(&schema()).expect_err("id may be null");
        assert!(err.contains("only required attributes set"), "{err}");
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named() {
        #[derive(Serialize, Deserialize)]
        struct WrongType {
            id: Attr<String>,
            name: String,
            progress: Option<bool>,
            labels: Option<BTreeMap<String, String>>,
            timeouts: Option<Timeouts>,
        }
        let err = model_fits_schema::<WrongType>(&schema()).expect_err("progress is a number");
        assert!(err.contains("progress"), "{err}");
    }
}
