//! State upgrades: a resource whose stored shape changed says, per prior schema version, how to
//! turn a state of that version into today's, as terraform-plugin-framework's
//! `ResourceWithUpgradeState` does. Without one, the first renamed attribute would break every
//! user's state: UpgradeResourceState would read the old state with today's schema.
//!
//! Terraform hands the stored state as JSON (or, from Terraform 0.11 and older, as a flatmap)
//! together with the version it was written with. [`upgrade_stored_state`] picks the upgrader
//! for that version, runs it on the stored JSON object, and only then decodes the result with
//! today's type. As in terraform-plugin-framework, each upgrader goes straight from its prior
//! version to the current one, so no state passes through a chain of half-known shapes.

use std::collections::HashMap;
use std::fmt;

use super::{Diagnostics, Schema};
use crate::tfvalue::{self, Type, Value};

/// A stored state as a JSON object, the shape an upgrader reads and writes.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// Turns a state of the prior version into today's shape; `Err` carries the sentence shown to
/// the user (for example, a value the new shape cannot hold).
pub type UpgradeFn = fn(JsonObject) -> Result<JsonObject, String>;

/// How to read a state stored with one earlier schema version.
#[derive(Clone)]
pub struct StateUpgrader {
    /// The schema version of the states this upgrader reads.
    pub prior_version: i64,
    /// The schema of that version, when known: needed only to read a flatmap state (Terraform
    /// 0.11 and older), whose strings carry no types of their own.
    pub prior_schema: Option<Schema>,
    /// The upgrade itself.
    pub upgrade: UpgradeFn,
}

impl fmt::Debug for StateUpgrader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateUpgrader")
            .field("prior_version", &self.prior_version)
            .field("prior_schema", &self.prior_schema.is_some())
            .finish_non_exhaustive()
    }
}

impl StateUpgrader {
    /// An upgrader from states of `prior_version`, stored as JSON.
    pub fn new(prior_version: i64, upgrade: UpgradeFn) -> Self {
        Self {
            prior_version,
            prior_schema: None,
            upgrade,
        }
    }

    /// Also reads flatmap states of the prior version, typed by its schema.
    pub fn with_prior_schema(mut self, schema: Schema) -> Self {
        self.prior_schema = Some(schema);
        self
    }
}

/// A state as Terraform stored it: JSON, or a flatmap when the JSON is empty.
#[derive(Debug, Clone, Copy)]
pub struct StoredState<'a> {
    /// The schema version the state was written with.
    pub version: i64,
    /// The state as JSON bytes (empty for a flatmap state).
    pub json: &'a [u8],
    /// The state as a flatmap (Terraform 0.11 and older).
    pub flatmap: &'a HashMap<String, String>,
}

/// Reads a stored state of `type_name` as a value of today's `schema`, running the upgrader for
/// its version first when it is older. Every failure is an error in `diags` and `None`.
pub fn upgrade_stored_state(
    type_name: &str,
    schema: &Schema,
    ty: &Type,
    upgraders: &[StateUpgrader],
    stored: StoredState<'_>,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let current = schema.version;
    if stored.version > current {
        diags.add_error(
            "State written by a newer provider",
            format!(
                "The stored {type_name} state has schema version {}, but this provider knows version {current}. \
                 Upgrade the provider, or restore a state written by this version.",
                stored.version
            ),
        );
        return None;
    }
    if stored.version == current {
        decode(stored.json, stored.flatmap, ty, type_name, diags)
    } else {
        let Some(upgrader) = upgraders.iter().find(|u| u.prior_version == stored.version) else {
            diags.add_error(
                "No upgrade for this stored state",
                format!(
                    "The stored {type_name} state has schema version {}, and this provider can read version \
                     {current} and upgrade only versions {}. Apply once with a provider release that \
                     knows version {}, then with this one.",
                    stored.version,
                    known_versions(upgraders),
                    stored.version
                ),
            );
            return None;
        };
        let object = match prior_object(upgrader, stored) {
            Ok(object) => object,
            Err(e) => {
                diags.add_error(
                    "Unable to read stored state",
                    format!(
                        "The stored {type_name} state (schema version {}) could not be read: {e}",
                        stored.version
                    ),
                );
                return None;
            }
        };
        let upgraded = match (upgrader.upgrade)(object) {
            Ok(upgraded) => upgraded,
            Err(e) => {
                diags.add_error(
                    "Unable to upgrade stored state",
                    format!(
                        "The stored {type_name} state could not be upgraded from schema version {} to {current}: {e}",
                        stored.version
                    ),
                );
                return None;
            }
        };
        // Strict here: an upgrader that leaves an old attribute behind is told so.
        tfvalue::from_json_value(&serde_json::Value::Object(upgraded), ty)
            .map_err(|e| {
                diags.add_error_at(
                    e.path(),
                    "Unable to upgrade stored state",
                    format!(
                        "The upgrade of the stored {type_name} state to schema version {current} does not fit the schema: {e}"
                    ),
                );
            })
            .ok()
    }
}

fn decode(
    json: &[u8],
    flatmap: &HashMap<String, String>,
    ty: &Type,
    type_name: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    if json.is_empty() {
        tfvalue::decode_flatmap(flatmap, ty)
    } else {
        tfvalue::decode_json(json, ty)
    }
    .map_err(|e| {
        diags.add_error_at(
            e.path(),
            "Unable to read stored state",
            format!("The stored {type_name} state could not be decoded: {e}"),
        );
    })
    .ok()
}

/// The stored state as the JSON object its upgrader reads.
fn prior_object(upgrader: &StateUpgrader, stored: StoredState<'_>) -> Result<JsonObject, String> {
    let json = if !stored.json.is_empty() {
        serde_json::from_slice(stored.json).map_err(|e| format!("malformed JSON: {e}"))?
    } else {
        let Some(prior) = &upgrader.prior_schema else {
            return Err(
                "it is a flatmap state (Terraform 0.11 or older), and the upgrader does not say \
                 the schema of that version"
                    .to_owned(),
            );
        };
        let value = tfvalue::decode_flatmap(stored.flatmap, &prior.value_type())
            .map_err(|e| e.to_string())?;
        tfvalue::to_json_value(&value).map_err(|e| e.to_string())?
    };
    match json {
        serde_json::Value::Object(object) => Ok(object),
        other => Err(format!("expected a JSON object, found {other}")),
    }
}

fn known_versions(upgraders: &[StateUpgrader]) -> String {
    let mut versions: Vec<i64> = upgraders.iter().map(|u| u.prior_version).collect();
    versions.sort_unstable();
    if versions.is_empty() {
        return "none".to_owned();
    }
    versions
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Attribute;

    fn schema_v2() -> Schema {
        Schema::default()
            .with_version(2)
            .attribute(Attribute::string("title"))
            .attribute(Attribute::number("size"))
    }

    fn from_v1(mut state: JsonObject) -> Result<JsonObject, String> {
        let name = state.remove("name").unwrap_or(serde_json::Value::Null);
        state.insert("title".into(), name);
        Ok(state)
    }

    fn from_v0(mut state: JsonObject) -> Result<JsonObject, String> {
        // Version 0 kept the size as text.
        let size = match state.remove("size") {
            Some(serde_json::Value::String(text)) => {
                let n: i64 = text
                    .parse()
                    .map_err(|_| format!("size {text:?} is not a number"))?;
                serde_json::Value::from(n)
            }
            other => other.unwrap_or(serde_json::Value::Null),
        };
        state.insert("size".into(), size);
        from_v1(state)
    }

    fn upgrade(version: i64, json: &str) -> (Option<Value>, Diagnostics) {
        let schema = schema_v2();
        let upgraders = [
            StateUpgrader::new(0, from_v0).with_prior_schema(
                Schema::default()
                    .attribute(Attribute::string("name"))
                    .attribute(Attribute::string("size")),
            ),
            StateUpgrader::new(1, from_v1),
        ];
        let mut diags = Diagnostics::new();
        let flatmap = HashMap::new();
        let stored = StoredState {
            version,
            json: json.as_bytes(),
            flatmap: &flatmap,
        };
        let value = upgrade_stored_state(
            "test_thing",
            &schema,
            &schema.value_type(),
            &upgraders,
            stored,
            &mut diags,
        );
        (value, diags)
    }

    #[test]
    fn each_prior_version_goes_through_its_own_upgrader() {
        let (v0, diags) = upgrade(0, r#"{"name":"a","size":"3"}"#);
        assert!(diags.is_empty(), "{diags:?}");
        let v0 = v0.expect("upgraded");
        assert_eq!(v0.attr("title"), Some(&Value::from("a")));
        assert_eq!(
            v0.attr("size").and_then(|n| n.as_number()?.as_i64()),
            Some(3)
        );
        let (v1, diags) = upgrade(1, r#"{"name":"b","size":4}"#);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(v1.expect("upgraded").attr("title"), Some(&Value::from("b")));
    }

    #[test]
    fn a_state_of_the_current_version_is_read_as_it_is() {
        let (value, diags) = upgrade(2, r#"{"title":"c","size":1}"#);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value.expect("read").attr("title"), Some(&Value::from("c")));
    }

    #[test]
    fn an_upgrade_that_fails_says_why_and_from_which_version() {
        let (value, diags) = upgrade(0, r#"{"name":"a","size":"three"}"#);
        assert!(value.is_none());
        let d = diags.iter().next().expect("an error");
        assert_eq!(d.summary, "Unable to upgrade stored state");
        assert!(d.detail.contains("from schema version 0 to 2"), "{d:?}");
        assert!(d.detail.contains("\"three\""), "{d:?}");
    }

    #[test]
    fn an_upgrader_that_leaves_an_old_attribute_behind_is_told_so() {
        fn forgetful(mut state: JsonObject) -> Result<JsonObject, String> {
            let name = state.get("name").cloned().unwrap_or_default();
            state.insert("title".into(), name);
            Ok(state)
        }
        let schema = schema_v2();
        let flatmap = HashMap::new();
        let stored = StoredState {
            version: 1,
            json: br#"{"name":"a","size":1}"#,
            flatmap: &flatmap,
        };
        let mut diags = Diagnostics::new();
        let value = upgrade_stored_state(
            "test_thing",
            &schema,
            &schema.value_type(),
            &[StateUpgrader::new(1, forgetful)],
            stored,
            &mut diags,
        );
        assert!(value.is_none());
        let d = diags.iter().next().expect("an error");
        assert_eq!(d.summary, "Unable to upgrade stored state");
        assert!(d.detail.contains("\"name\""), "{d:?}");
    }

    #[test]
    fn versions_without_an_upgrader_and_newer_versions_are_refused() {
        let (value, diags) = upgrade(3, "{}");
        assert!(value.is_none());
        assert_eq!(
            diags.iter().next().expect("error").summary,
            "State written by a newer provider"
        );
        let (value, diags) = upgrade(-1, "{}");
        assert!(value.is_none());
        let d = diags.iter().next().expect("error");
        assert_eq!(d.summary, "No upgrade for this stored state");
        assert!(d.detail.contains("versions 0, 1"), "{d:?}");
    }

    #[test]
    fn a_flatmap_state_of_an_older_version_is_read_with_that_versions_schema() {
        let schema = schema_v2();
        let flatmap: HashMap<String, String> = [("name", "old"), ("size", "7")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let stored = StoredState {
            version: 0,
            json: &[],
            flatmap: &flatmap,
        };
        let mut diags = Diagnostics::new();
        let upgraders = [StateUpgrader::new(0, from_v0).with_prior_schema(
            Schema::default()
                .attribute(Attribute::string("name"))
                .attribute(Attribute::string("size")),
        )];
        let value = upgrade_stored_state(
            "test_thing",
            &schema,
            &schema.value_type(),
            &upgraders,
            stored,
            &mut diags,
        )
        .expect("upgraded");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value.attr("title"), Some(&Value::from("old")));
        // Without the prior schema a flatmap cannot be typed: refused, not guessed.
        let mut diags = Diagnostics::new();
        let untyped = [StateUpgrader::new(0, from_v0)];
        let refused = upgrade_stored_state(
            "test_thing",
            &schema,
            &schema.value_type(),
            &untyped,
            stored,
            &mut diags,
        );
        assert!(refused.is_none());
        assert!(diags.has_errors());
    }
}
