//! Moves values between Terraform's object values and a resource's plain serde struct.
//!
//! The struct's field names are the attribute names, like terraform-plugin-framework's `tfsdk`
//! tags. Values are read and written straight from [`Value`] by
//! [`crate::tfvalue::serde_value`]: an [`super::Attr`] field sees an unknown planned value as
//! `Attr::Unknown`, while an `Option` field sees it as `None`, as before there were tri-state fields.

use serde::{Serialize, de::DeserializeOwned};

use super::Diagnostics;
use crate::tfvalue::{self, Type, Value};

/// Decodes an object value into the model struct; a mismatch is a provider bug, reported as such
/// on the attribute where decoding stopped.
pub(crate) fn to_model<T: DeserializeOwned>(value: &Value, diags: &mut Diagnostics) -> Option<T> {
    match tfvalue::from_value(value) {
        Ok(model) => Some(model),
        Err(e) => {
            diags.add_error_at(
                &e.path,
                "Provider bug: value does not fit the resource model",
                format!("{e}. Please report this to the provider's maintainers."),
            );
            None
        }
    }
}

/// Encodes a model struct as an object value of the schema's type; a mismatch is reported on
/// the attribute where encoding stopped.
pub(crate) fn from_model<T: Serialize>(
    model: &T,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<Value> {
    match tfvalue::to_value(model, ty) {
        Ok(value) => Some(value),
        Err(e) => {
            diags.add_error_at(
                &e.path,
                "Provider bug: model does not fit the schema",
                format!("{e}. Please report this to the provider's maintainers."),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::framework::Attr;
    use crate::tfvalue::AttributePath;

    /// A planned resource whose computed parts are not known yet.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Planned {
        id: Attr<String>,
        region: Attr<String>,
        name: Attr<String>,
        legacy: Option<String>,
        timeouts: Attr<Timeouts>,
        steps: Vec<Attr<String>>,
        owners: Attr<Vec<String>>,
        labels: BTreeMap<String, Attr<String>>,
        zones: Attr<Vec<String>>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Timeouts {
        create: Attr<String>,
        delete: Attr<String>,
    }

    fn object(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    fn s(text: &str) -> Value {
        Value::from(text)
    }

    fn planned_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("region", Type::String),
            ("name", Type::String),
            ("legacy", Type::String),
            (
                "timeouts",
                Type::object([("create", Type::String), ("delete", Type::String)]),
            ),
            ("steps", Type::list(Type::String)),
            ("owners", Type::list(Type::String)),
            ("labels", Type::map(Type::String)),
            ("zones", Type::set(Type::String)),
        ])
    }

    fn planned_value() -> Value {
        object(vec![
            ("id", Value::Unknown),
            ("region", Value::Null),
            ("name", s("etl")),
            ("legacy", Value::Unknown),
            (
                "timeouts",
                object(vec![("create", s("5m")), ("delete", Value::Unknown)]),
            ),
            (
                "steps",
                Value::List(vec![s("a"), Value::Unknown, Value::Null]),
            ),
            ("owners", Value::Unknown),
            (
                "labels",
                Value::Map(BTreeMap::from([
                    ("env".to_owned(), s("prod")),
                    ("team".to_owned(), Value::Unknown),
                ])),
            ),
            ("zones", Value::Set(vec![s("z1"), s("z2")])),
        ])
    }

    #[test]
    fn a_model_tells_unknown_from_null_from_known_at_every_depth() {
        let mut diags = Diagnostics::new();
        let model: Planned = to_model(&planned_value(), &mut diags).expect("fits");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(model.id, Attr::Unknown);
        assert_eq!(model.region, Attr::Null);
        assert_eq!(model.name, Attr::Known("etl".to_owned()));
        assert_eq!(
            model.legacy, None,
            "an Option sees unknown as null, as before"
        );
        assert_eq!(
            model.timeouts,
            Attr::Known(Timeouts {
                create: Attr::Known("5m".to_owned()),
                delete: Attr::Unknown,
            })
        );
        assert_eq!(
            model.steps,
            [Attr::Known("a".to_owned()), Attr::Unknown, Attr::Null]
        );
        assert_eq!(model.owners, Attr::Unknown, "a whole list not known yet");
        assert_eq!(model.labels["env"], Attr::Known("prod".to_owned()));
        assert_eq!(model.labels["team"], Attr::Unknown);
        assert_eq!(
            model.zones,
            Attr::Known(vec!["z1".to_owned(), "z2".to_owned()])
        );
    }

    #[test]
    fn a_model_writes_unknowns_back_where_they_were() {
        let mut diags = Diagnostics::new();
        let model: Planned = to_model(&planned_value(), &mut diags).expect("fits");
        let written = from_model(&model, &planned_type(), &mut diags).expect("fits");
        assert!(diags.is_empty(), "{diags:?}");
        // Only the Option field loses its unknown; every Attr keeps its state.
        let mut expected = planned_value();
        if let Value::Object(attrs) = &mut expected {
            attrs.insert("legacy".to_owned(), Value::Null);
        }
        assert_eq!(written, expected);
        assert!(matches!(written.attr("zones"), Some(Value::Set(_))));
    }

    #[test]
    fn a_filled_in_model_writes_known_values() {
        let model = Planned {
            id: Attr::Known("thing-1".into()),
            region: Attr::Null,
            name: Attr::Known("etl".into()),
            legacy: Some("x".into()),
            timeouts: Attr::Null,
            steps: vec![],
            owners: Attr::Known(vec!["ana".into()]),
            labels: BTreeMap::new(),
            zones: Attr::Unknown,
        };
        let mut diags = Diagnostics::new();
        let written = from_model(&model, &planned_type(), &mut diags).expect("fits");
        assert_eq!(written.attr("id"), Some(&s("thing-1")));
        assert_eq!(written.attr("region"), Some(&Value::Null));
        assert_eq!(written.attr("legacy"), Some(&s("x")));
        assert_eq!(written.attr("timeouts"), Some(&Value::Null));
        assert_eq!(written.attr("owners"), Some(&Value::List(vec![s("ana")])));
        assert_eq!(written.attr("zones"), Some(&Value::Unknown));
    }

    #[test]
    fn in_json_an_attr_is_an_option() {
        let null: Attr<String> = serde_json::from_str("null").expect("json");
        assert_eq!(null, Attr::Null);
        let known: Attr<String> = serde_json::from_str("\"x\"").expect("json");
        assert_eq!(known, Attr::Known("x".to_owned()));
        let unknown = serde_json::to_string(&Attr::<String>::Unknown).expect("json");
        assert_eq!(unknown, "null", "JSON has no unknown");
    }

    #[test]
    fn a_model_that_does_not_fit_is_reported_as_a_provider_bug() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Wrong {
            name: Attr<bool>,
        }
        let mut diags = Diagnostics::new();
        let model: Option<Wrong> = to_model(&object(vec![("name", s("etl"))]), &mut diags);
        assert!(model.is_none());
        let diagnostic = diags.iter().next().expect("one diagnostic");
        assert!(
            diagnostic.summary.starts_with("Provider bug"),
            "{diagnostic:?}"
        );
        assert!(diagnostic.detail.contains("`name`"), "{diagnostic:?}");
        assert_eq!(
            diagnostic.attribute,
            Some(AttributePath::attr("name")),
            "the error lands on the attribute that did not fit"
        );
    }

    #[test]
    fn a_nested_field_that_does_not_fit_keeps_its_whole_path() {
        #[derive(Debug, Serialize)]
        struct Outer {
            timeouts: Inner,
        }
        #[derive(Debug, Serialize)]
        struct Inner {
            create: bool,
        }
        let ty = Type::object([("timeouts", Type::object([("create", Type::String)]))]);
        let mut diags = Diagnostics::new();
        let model = Outer {
            timeouts: Inner { create: true },
        };
        assert!(from_model(&model, &ty, &mut diags).is_none());
        let diagnostic = diags.iter().next().expect("one diagnostic");
        assert_eq!(
            diagnostic.attribute,
            Some(AttributePath::attr("timeouts").push_attr("create"))
        );
    }
}
