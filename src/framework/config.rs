//! A read-only view of a configuration in which values may still be unknown.
//!
//! Validation and configure steps run before Terraform knows every value (an ID may come from
//! another resource). This view makes the three cases — null, unknown, known — explicit (as
//! [`Attr`]), so a check can only reject what it actually sees.

use std::collections::BTreeMap;

use super::Attr;
use crate::tfvalue::{AttributePath, Value};

/// A configuration object (provider, resource, data source or action) as Terraform sent it.
#[derive(Debug, Clone)]
pub struct Config {
    value: Value,
}

impl Config {
    /// Wraps a decoded configuration object.
    pub fn new(value: Value) -> Self {
        Self { value }
    }

    /// The underlying value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    fn raw(&self, path: &AttributePath) -> Attr<&Value> {
        match self.value.get_path(path) {
            None | Some(Value::Null) => Attr::Null,
            Some(Value::Unknown) => Attr::Unknown,
            Some(v) => Attr::Known(v),
        }
    }

    /// A string attribute of the top-level object.
    pub fn string(&self, name: &str) -> Attr<String> {
        self.string_at(&AttributePath::attr(name))
    }

    /// A string anywhere in the configuration.
    pub fn string_at(&self, path: &AttributePath) -> Attr<String> {
        match self.raw(path) {
            Attr::Known(v) => v.as_str().map_or(Attr::Null, |s| Attr::Known(s.to_owned())),
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
        }
    }

    /// A bool attribute of the top-level object.
    pub fn bool(&self, name: &str) -> Attr<bool> {
        match self.raw(&AttributePath::attr(name)) {
            Attr::Known(v) => v.as_bool().map_or(Attr::Null, Attr::Known),
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
        }
    }

    /// A whole-number attribute of the top-level object; a fraction or a huge number is
    /// reported as `Known(Err(text))` so the caller can say what was wrong.
    pub fn integer(&self, name: &str) -> Attr<Result<i64, String>> {
        match self.raw(&AttributePath::attr(name)) {
            Attr::Known(v) => match v.as_number() {
                Some(n) => Attr::Known(n.as_i64().ok_or_else(|| n.to_string())),
                None => Attr::Null,
            },
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
        }
    }

    /// A map-of-strings attribute; unknown when the map or any element is unknown.
    pub fn string_map(&self, name: &str) -> Attr<BTreeMap<String, String>> {
        match self.raw(&AttributePath::attr(name)) {
            Attr::Known(Value::Map(entries)) => {
                let mut out = BTreeMap::new();
                for (key, value) in entries {
                    match value {
                        Value::Unknown => return Attr::Unknown,
                        Value::String(s) => {
                            out.insert(key.clone(), s.clone());
                        }
                        _ => {}
                    }
                }
                Attr::Known(out)
            }
            Attr::Known(_) | Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
        }
    }

    /// True when nothing in the configuration is unknown.
    pub fn is_fully_known(&self) -> bool {
        self.value.is_fully_known()
    }
}
