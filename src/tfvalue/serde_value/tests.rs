//! The serde bridge pinned against hand-written values: every kind, paths in errors, unknowns.

use std::collections::BTreeMap;

use super::*;
use crate::tfvalue::path::AttributePath;
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
