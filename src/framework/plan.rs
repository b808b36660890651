//! Planning: what Terraform should expect a resource to look like after apply.
//!
//! Terraform proposes a new state (configuration merged over prior state); the provider settles
//! computed attributes and says which changes force replacement. The rules are the framework's:
//! a default applies whenever the configuration leaves an attribute null; a computed attribute
//! the configuration leaves null keeps its prior value on update and is unknown on create or replace.

use std::collections::BTreeMap;

use super::Schema;
use crate::tfvalue::{AttributePath, Value};

/// The outcome of planning one resource change.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The planned state (null for destroy).
    pub planned: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
}

/// Plans a create (`prior` null), update, or destroy (`proposed` null).
pub fn plan_resource(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Plan {
    if proposed.is_null() {
        return Plan {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let creating = prior.is_null();
    let requires_replace: Vec<AttributePath> = if creating {
        Vec::new()
    } else {
        schema
            .attributes
            .iter()
            .filter(|a| a.requires_replace)
            .filter(|a| {
                let before = prior.attr(&a.name).unwrap_or(&Value::Null);
                let after = planned_config_value(a, proposed, config);
                after.is_unknown() || after != *before
            })
            .map(|a| AttributePath::attr(&a.name))
            .collect()
    };
    let fresh = creating || !requires_replace.is_empty();

    let Value::Object(proposed_attrs) = proposed else {
        return Plan {
            planned: proposed.clone(),
            requires_replace,
        };
    };
    let mut planned: BTreeMap<String, Value> = proposed_attrs.clone();
    for attribute in schema.attributes.iter().filter(|a| a.computed) {
        let configured = config.attr(&attribute.name).unwrap_or(&Value::Null);
        if !configured.is_null() {
            continue;
        }
        let value = match (&attribute.default, fresh) {
            (Some(default), _) => default.clone(),
            (None, true) => Value::Unknown,
            (None, false) => prior.attr(&attribute.name).cloned().unwrap_or(Value::Null),
        };
        planned.insert(attribute.name.clone(), value);
    }
    Plan {
        planned: Value::Object(planned),
        requires_replace,
    }
}

/// The value an attribute will have after apply as far as configuration and defaults say.
fn planned_config_value(attribute: &super::Attribute, proposed: &Value, config: &Value) -> Value {
    let configured = config.attr(&attribute.name).unwrap_or(&Value::Null);
    match (&attribute.default, configured.is_null()) {
        (Some(default), true) => default.clone(),
        _ if attribute.computed && configured.is_null() => {
            // Optional+computed left unset: the prior value stays, so no change.
            proposed
                .attr(&attribute.name)
                .cloned()
                .unwrap_or(Value::Null)
        }
        // What Terraform proposes, not the raw configuration: the two differ where
        // `ignore_changes` keeps a prior value, and older Terraforms (1.0) send the
        // configuration before ignore_changes is applied.
        _ => proposed
            .attr(&attribute.name)
            .cloned()
            .unwrap_or_else(|| configured.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Attribute;

    fn schema() -> Schema {
        Schema::default()
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("name").required().requires_replace())
            .attribute(
                Attribute::string("zone")
                    .optional()
                    .computed()
                    .requires_replace(),
            )
            .attribute(
                Attribute::bool("wait")
                    .optional()
                    .default_value(Value::Bool(false)),
            )
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    /// The thing as Terraform holds it once created: `id` "x" and `zone` "z1" computed.
    fn stored(name: Value, wait: bool) -> Value {
        obj(&[
            ("id", s("x")),
            ("name", name),
            ("zone", s("z1")),
            ("wait", Value::Bool(wait)),
        ])
    }

    /// The thing as configured: only `name` written.
    fn configured(name: Value) -> Value {
        obj(&[
            ("id", Value::Null),
            ("name", name),
            ("zone", Value::Null),
            ("wait", Value::Null),
        ])
    }

    #[test]
    fn create_marks_unset_computed_unknown_and_applies_defaults() {
        let config = configured(s("a"));
        let plan = plan_resource(&schema(), &Value::Null, &config, &config);
        assert_eq!(plan.planned.attr("id"), Some(&Value::Unknown));
        assert_eq!(plan.planned.attr("zone"), Some(&Value::Unknown));
        assert_eq!(plan.planned.attr("wait"), Some(&Value::Bool(false)));
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn unchanged_update_keeps_prior_computed_values() {
        let prior = stored(s("a"), false);
        let config = configured(s("a"));
        let proposed = stored(s("a"), false);
        let plan = plan_resource(&schema(), &prior, &proposed, &config);
        assert_eq!(plan.planned, prior);
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn changing_a_replacing_attribute_requires_replace_and_unknowns_computed() {
        let prior = stored(s("a"), true);
        let config = configured(s("b"));
        let proposed = stored(s("b"), true);
        let plan = plan_resource(&schema(), &prior, &proposed, &config);
        assert_eq!(plan.requires_replace, vec![AttributePath::attr("name")]);
        assert_eq!(plan.planned.attr("id"), Some(&Value::Unknown));
        assert_eq!(
            plan.planned.attr("wait"),
            Some(&Value::Bool(false)),
            "default applies when config is null"
        );
    }

    #[test]
    fn unknown_replacing_attribute_requires_replace() {
        let prior = stored(s("a"), false);
        let config = configured(Value::Unknown);
        let proposed = stored(Value::Unknown, false);
        let plan = plan_resource(&schema(), &prior, &proposed, &config);
        assert_eq!(plan.requires_replace, vec![AttributePath::attr("name")]);
    }

    #[test]
    fn a_value_ignore_changes_keeps_is_no_change_even_when_the_config_says_otherwise() {
        let prior = stored(s("a"), false);
        // Terraform 1.0 sends the configuration as written and the proposal with ignore_changes.
        let config = configured(s("b"));
        let plan = plan_resource(&schema(), &prior, &prior, &config);
        assert!(plan.requires_replace.is_empty());
        assert_eq!(plan.planned, prior);
    }

    #[test]
    fn destroy_plans_null() {
        let prior = obj(&[("id", s("x"))]);
        let plan = plan_resource(&schema(), &prior, &Value::Null, &Value::Null);
        assert_eq!(plan.planned, Value::Null);
    }
}
