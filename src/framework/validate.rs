//! Runs a schema's declarative checks over a configuration, so every attribute's rules are
//! enforced the same way and every error lands on the attribute that is wrong.
//!
//! Terraform validates a configuration before it knows every value: at `terraform validate`
//! every module variable is unknown, and at plan an ID another resource creates still is. An
//! unknown value is not a set value. Every check here judges only what it knows and waits for
//! the rest, as terraform-plugin-framework's validators do; Terraform validates again with the
//! values it learns (ValidateResourceConfig at plan, PlanResourceChange at plan and apply, which
//! runs these checks too), so a check that waited runs once its inputs are known.

use super::duration::parse_duration;
use super::{Attr, Diagnostics, Nesting, Rule, Schema, Validator};
use crate::tfvalue::{AttributePath, Value};

/// Applies each attribute's validators and each rule of the schema to the known values,
/// recursing into blocks.
pub fn validate_against_schema(schema: &Schema, value: &Value, diags: &mut Diagnostics) {
    validate_object(schema, value, &AttributePath::root(), diags);
}

/// Whether an attribute is set, as far as a check can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Null,
    Unknown,
    Set,
}

fn presence(object: &Value, name: &str) -> Presence {
    match object.attr(name) {
        None | Some(Value::Null) => Presence::Null,
        Some(Value::Unknown) => Presence::Unknown,
        Some(_) => Presence::Set,
    }
}

fn validate_object(schema: &Schema, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    // A whole object still unknown (or absent) has nothing to judge yet.
    if !matches!(value, Value::Object(_)) {
        return;
    }
    for attribute in &schema.attributes {
        let Some(inner) = value.attr(&attribute.name) else {
            continue;
        };
        let at = path.push_attr(&attribute.name);
        for validator in &attribute.validators {
            run_validator(validator, &attribute.name, inner, &at, diags);
        }
    }
    for rule in &schema.rules {
        check_rule(rule, value, path, diags);
    }
    for block in &schema.blocks {
        let Some(inner) = value.attr(&block.name) else {
            continue;
        };
        let block_path = path.push_attr(&block.name);
        match (block.nesting, inner) {
            (Nesting::Single, Value::Object(_)) => {
                validate_object(&block.schema, inner, &block_path, diags)
            }
            (Nesting::List, Value::List(items)) => {
                for (index, item) in items.iter().enumerate() {
                    let index = i64::try_from(index).unwrap_or(i64::MAX);
                    validate_object(&block.schema, item, &block_path.push_index(index), diags);
                }
            }
            _ => {}
        }
    }
}

/// Runs one typed validator over an attribute's value (each element's, for a string validator
/// on a collection of strings), adding its errors on the path they concern.
fn run_validator(
    validator: &Validator,
    name: &str,
    value: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    let summary = || format!("Invalid value for {name}");
    match validator {
        Validator::String(check) => {
            for (text, element_path) in strings(value, path) {
                if let Err(message) = check.validate(text) {
                    diags.add_attribute_error(element_path, summary(), message);
                }
            }
        }
        Validator::Int64(check) => {
            let result = match presence_of(value) {
                Attr::Known(Value::Number(number)) => match number.as_i64() {
                    Some(n) => check.validate(Attr::Known(&n)),
                    None => {
                        let wanted = check.description();
                        Err(if wanted.is_empty() {
                            "it must be a whole number.".to_owned()
                        } else {
                            format!("it must be {wanted}.")
                        })
                    }
                }
                .map_err(|message| format!("{name} is {number}; {message}")),
                Attr::Known(_) => return,
                Attr::Null => check.validate(Attr::Null),
                Attr::Unknown => check.validate(Attr::Unknown),
            };
            if let Err(message) = result {
                diags.add_attribute_error(path.clone(), summary(), message);
            }
        }
        Validator::Duration(check) => {
            let result = match presence_of(value) {
                Attr::Known(Value::String(text)) => match parse_duration(text) {
                    Ok(duration) => check
                        .validate(Attr::Known(&duration))
                        .map_err(|message| format!("{name} is {text:?}; {message}")),
                    Err(message) => Err(message),
                },
                Attr::Known(_) => return,
                Attr::Null => check.validate(Attr::Null),
                Attr::Unknown => check.validate(Attr::Unknown),
            };
            if let Err(message) = result {
                diags.add_attribute_error(path.clone(), summary(), message);
            }
        }
    }
}

/// A value as null, unknown or known.
fn presence_of(value: &Value) -> Attr<&Value> {
    match value {
        Value::Null => Attr::Null,
        Value::Unknown => Attr::Unknown,
        other => Attr::Known(other),
    }
}

/// The strings of a string attribute, or the elements of a collection of strings, each as null,
/// unknown or known, with the path its error lands on. A set's elements have no path of their
/// own that this framework sends, so their errors land on the set. A collection still unknown
/// as a whole is one unknown.
fn strings<'v>(value: &'v Value, path: &AttributePath) -> Vec<(Attr<&'v str>, AttributePath)> {
    let element = |item: &'v Value| match item {
        Value::String(text) => Some(Attr::Known(text.as_str())),
        Value::Unknown => Some(Attr::Unknown),
        Value::Null => Some(Attr::Null),
        _ => None,
    };
    match value {
        Value::List(items) => items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                let index = i64::try_from(index).unwrap_or(i64::MAX);
                element(item).map(|text| (text, path.push_index(index)))
            })
            .collect(),
        Value::Set(items) => items
            .iter()
            .filter_map(|item| element(item).map(|text| (text, path.clone())))
            .collect(),
        Value::Map(entries) => entries
            .iter()
            .filter_map(|(key, item)| element(item).map(|text| (text, path.push_key(key))))
            .collect(),
        other => element(other)
            .map(|text| (text, path.clone()))
            .into_iter()
            .collect(),
    }
}

fn check_rule(rule: &Rule, object: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    match rule {
        Rule::Conflicts {
            attribute,
            others,
            advice,
        } => {
            // Unknown may turn out null: only a value known to be set conflicts.
            if presence(object, attribute) != Presence::Set {
                return;
            }
            let set: Vec<&str> = others
                .iter()
                .filter(|other| presence(object, other) == Presence::Set)
                .map(String::as_str)
                .collect();
            if set.is_empty() {
                return;
            }
            let (verb, pronoun) = if set.len() == 1 {
                ("is", "it")
            } else {
                ("are", "them")
            };
            diags.add_attribute_error(
                path.push_attr(attribute),
                format!("{attribute} cannot be combined with {}", list(&set)),
                format!(
                    "{attribute} is set, and so {verb} {}. Set one or the other (remove {attribute}, or remove {pronoun}). {advice}",
                    list(&set)
                )
                .trim_end()
                .to_owned(),
            );
        }
        Rule::RequiredTogether { attributes, advice } => {
            let states: Vec<Presence> = attributes.iter().map(|a| presence(object, a)).collect();
            if states.contains(&Presence::Unknown) || !states.contains(&Presence::Set) {
                return;
            }
            let set: Vec<&str> = attributes
                .iter()
                .zip(&states)
                .filter(|(_, state)| **state == Presence::Set)
                .map(|(a, _)| a.as_str())
                .collect();
            for (missing, _) in attributes
                .iter()
                .zip(&states)
                .filter(|(_, state)| **state == Presence::Null)
            {
                diags.add_attribute_error(
                    path.push_attr(missing),
                    format!("Missing {missing}"),
                    format!(
                        "{} {} set, so {missing} must be set too: {} go together. {advice}",
                        list(&set),
                        if set.len() == 1 { "is" } else { "are" },
                        list(&attributes.iter().map(String::as_str).collect::<Vec<_>>()),
                    )
                    .trim_end()
                    .to_owned(),
                );
            }
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{Attribute, Severity};
    use crate::tfvalue::Type;

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn no_slash(text: &str) -> Result<(), String> {
        if text.contains('/') {
            Err(format!("{text:?} has a slash"))
        } else {
            Ok(())
        }
    }

    fn schema() -> Schema {
        Schema::default()
            .attribute(Attribute::new("ids", Type::set(Type::String)).validate_string(no_slash))
            .attribute(Attribute::new("names", Type::list(Type::String)).validate_string(no_slash))
            .attribute(Attribute::string("user").validate_string(no_slash))
            .attribute(Attribute::string("queue"))
            .attribute(Attribute::number("retries").integer_between(0, 10))
            .attribute(Attribute::string("key"))
            .attribute(Attribute::string("secret"))
            .conflicts("ids", &["user", "queue"], "Advice.")
            .required_together(&["key", "secret"], "")
            .block(
                "inner",
                Nesting::Single,
                Schema::default().attribute(Attribute::number("n").integer_between(1, 2)),
            )
    }

    fn errors(value: &Value) -> Vec<(String, Option<AttributePath>)> {
        let mut diags = Diagnostics::new();
        validate_against_schema(&schema(), value, &mut diags);
        diags
            .iter()
            .inspect(|d| assert_eq!(d.severity, Severity::Error))
            .map(|d| (d.summary.clone(), d.attribute.clone()))
            .collect()
    }

    fn ids(items: &[Value]) -> Value {
        Value::Set(items.to_vec())
    }

    #[test]
    fn a_conflict_with_an_unknown_value_waits_until_it_is_known() {
        let one = ids(&[Value::from("j1")]);
        // A module passing variables that default to null: all unknown at validate.
        assert!(
            errors(&object(&[
                ("ids", Value::Unknown),
                ("user", Value::Unknown)
            ]))
            .is_empty()
        );
        assert!(errors(&object(&[("ids", one.clone()), ("user", Value::Unknown)])).is_empty());
        assert!(
            errors(&object(&[
                ("ids", Value::Unknown),
                ("user", Value::from("etl"))
            ]))
            .is_empty()
        );
        // Then known, at plan: null passes, set conflicts.
        assert!(errors(&object(&[("ids", one.clone()), ("user", Value::Null)])).is_empty());
        assert_eq!(
            errors(&object(&[
                ("ids", one.clone()),
                ("user", Value::from("etl")),
                ("queue", Value::from("q"))
            ])),
            [(
                "ids cannot be combined with user and queue".to_owned(),
                Some(AttributePath::attr("ids"))
            )]
        );
        // A known conflict is an error even while another value is still unknown.
        assert_eq!(
            errors(&object(&[
                ("ids", one),
                ("user", Value::Unknown),
                ("queue", Value::from("q"))
            ]))
            .len(),
            1
        );
    }

    #[test]
    fn required_together_waits_for_unknowns_and_names_the_missing_one() {
        assert!(
            errors(&object(&[
                ("key", Value::from("k")),
                ("secret", Value::Unknown)
            ]))
            .is_empty()
        );
        assert!(errors(&object(&[("key", Value::Null), ("secret", Value::Null)])).is_empty());
        assert_eq!(
            errors(&object(&[
                ("key", Value::from("k")),
                ("secret", Value::Null)
            ])),
            [(
                "Missing secret".to_owned(),
                Some(AttributePath::attr("secret"))
            )]
        );
    }

    #[test]
    fn ranges_judge_known_numbers_only() {
        let n = |i: i64| Value::Number(crate::tfvalue::Number::from_i64(i));
        assert!(errors(&object(&[("retries", Value::Unknown)])).is_empty());
        assert!(errors(&object(&[("retries", n(10))])).is_empty());
        assert_eq!(
            errors(&object(&[("retries", n(11))])),
            [(
                "Invalid value for retries".to_owned(),
                Some(AttributePath::attr("retries"))
            )]
        );
        let half = Value::Number(crate::tfvalue::Number::from_f64(1.5).expect("finite"));
        assert_eq!(errors(&object(&[("retries", half)])).len(), 1);
        // Inside a block, and a block still unknown as a whole.
        assert_eq!(
            errors(&object(&[("inner", object(&[("n", n(3))]))])),
            [(
                "Invalid value for n".to_owned(),
                Some(AttributePath::attr("inner").push_attr("n"))
            )]
        );
        assert!(errors(&object(&[("inner", Value::Unknown)])).is_empty());
    }

    #[test]
    fn formats_judge_each_known_element() {
        assert!(errors(&object(&[("user", Value::Unknown)])).is_empty());
        assert_eq!(errors(&object(&[("user", Value::from("a/b"))])).len(), 1);
        assert!(
            errors(&object(&[(
                "ids",
                ids(&[Value::Unknown, Value::from("ok")])
            )]))
            .is_empty()
        );
        assert_eq!(
            errors(&object(&[(
                "ids",
                ids(&[Value::Unknown, Value::from("a/b")])
            )])),
            [(
                "Invalid value for ids".to_owned(),
                Some(AttributePath::attr("ids"))
            )]
        );
        assert_eq!(
            errors(&object(&[(
                "names",
                Value::List(vec![Value::from("ok"), Value::from("x/y")])
            )])),
            [(
                "Invalid value for names".to_owned(),
                Some(AttributePath::attr("names").push_index(1))
            )]
        );
    }

    /// A validator that insists on knowing its value: it shows that unknowns reach a typed
    /// validator, which decides itself whether to wait.
    struct MustBeKnown;

    impl crate::framework::TypedValidator<i64> for MustBeKnown {
        fn validate(&self, value: Attr<&i64>) -> Result<(), String> {
            match value {
                Attr::Unknown => Err("must be known at plan time.".to_owned()),
                _ => Ok(()),
            }
        }
    }

    fn typed_schema() -> Schema {
        use crate::framework::validator::{duration, int64, string};
        use std::time::Duration;
        Schema::default()
            .attribute(Attribute::string("timeout").validate(duration::between(
                Duration::from_secs(60),
                Duration::from_secs(3600),
            )))
            .attribute(Attribute::number("count").validate(int64::between(1, 3)))
            .attribute(
                Attribute::number("shards")
                    .validate(Validator::Int64(std::sync::Arc::new(MustBeKnown))),
            )
            .attribute(Attribute::string("mode").validate(string::one_of(&["fast", "safe"])))
    }

    fn typed_errors(pairs: &[(&str, Value)]) -> Vec<(Option<AttributePath>, String)> {
        let mut diags = Diagnostics::new();
        validate_against_schema(&typed_schema(), &object(pairs), &mut diags);
        diags
            .iter()
            .map(|d| (d.attribute.clone(), d.detail.clone()))
            .collect()
    }

    #[test]
    fn typed_validators_judge_their_own_type_and_wait_for_unknowns() {
        let n = |i: i64| Value::Number(crate::tfvalue::Number::from_i64(i));
        assert!(
            typed_errors(&[
                ("timeout", Value::from("10m")),
                ("count", n(2)),
                ("shards", n(4)),
                ("mode", Value::from("safe")),
            ])
            .is_empty()
        );
        // The built-in validators wait for unknown values.
        assert!(
            typed_errors(&[
                ("timeout", Value::Unknown),
                ("count", Value::Unknown),
                ("mode", Value::Unknown),
            ])
            .is_empty()
        );
        // A validator that must know its value sees the unknown and says so.
        assert_eq!(
            typed_errors(&[("shards", Value::Unknown)]),
            [(
                Some(AttributePath::attr("shards")),
                "must be known at plan time.".to_owned()
            )]
        );
        assert_eq!(
            typed_errors(&[("timeout", Value::from("30s"))]),
            [(
                Some(AttributePath::attr("timeout")),
                "timeout is \"30s\"; it must be a duration from 60s to 3600s.".to_owned()
            )]
        );
        let not_a_duration = typed_errors(&[("timeout", Value::from("soon"))]);
        assert_eq!(not_a_duration.len(), 1, "{not_a_duration:?}");
        assert_eq!(
            typed_errors(&[("count", n(4))]),
            [(
                Some(AttributePath::attr("count")),
                "count is 4; it must be a whole number from 1 to 3.".to_owned()
            )]
        );
        assert_eq!(
            typed_errors(&[("mode", Value::from("quick"))]),
            [(
                Some(AttributePath::attr("mode")),
                "\"quick\" is not one of \"fast\", \"safe\".".to_owned()
            )]
        );
    }
}
