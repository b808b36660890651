//! SDKv2's legacy "flatmap" state: one flat string map per resource.
//!
//! Terraform 0.11 and providers on terraform-plugin-sdk stored state as `key -> string`:
//! `name = "x"`, lists as `tags.# = "2"`, `tags.0 = "a"`, maps as `labels.% = "1"`,
//! `labels.env = "prod"`, nested blocks as `timeouts.0.create = "5m"`, sets under element hash
//! keys (`ports.1234 = "80"`). `UpgradeResourceState` may hand us such a map; this module reads
//! it against the current schema type, following Terraform's own shim (a missing key is
//! null, a count key distinguishes an empty collection from a null one, and the sentinel
//! [`UNKNOWN_VARIABLE_VALUE`] marks an unknown value).

use std::collections::{BTreeMap, HashMap};

use super::error::{ValueError, check_depth, check_tuple_length};
use super::number::Number;
use super::path::{AttributePath, PathStep};
use super::types::Type;
use super::value::Value;

/// The string Terraform 0.11 and SDKv2 wrote for an unknown value in flatmap.
pub const UNKNOWN_VARIABLE_VALUE: &str = "74D93920-ED26-11E3-AC10-0800200C9A66";

const FORMAT: &str = "flatmap";

/// Reads a flatmap state against an object type. Keys that no attribute of `ty` claims are
/// ignored (the schema may have shrunk).
pub fn decode_flatmap(flat: &HashMap<String, String>, ty: &Type) -> Result<Value, ValueError> {
    let Type::Object { attrs, .. } = ty else {
        return Err(ValueError::TypeMismatch {
            path: AttributePath::root(),
            expected: "an object type (flatmap holds a whole resource)".to_owned(),
            found: ty.to_string(),
        });
    };
    let reader = FlatReader { flat };
    let mut path = AttributePath::root();
    reader.object(attrs, "", &mut path, 0)
}

struct FlatReader<'a> {
    flat: &'a HashMap<String, String>,
}

impl FlatReader<'_> {
    fn malformed(&self, path: &AttributePath, reason: String) -> ValueError {
        ValueError::Malformed {
            format: FORMAT,
            path: path.clone(),
            reason,
        }
    }

    fn value(
        &self,
        key: &str,
        ty: &Type,
        path: &mut AttributePath,
        depth: usize,
    ) -> Result<Value, ValueError> {
        check_depth(depth, path)?;
        match ty {
            Type::Bool | Type::Number | Type::String => self.primitive(key, ty, path),
            Type::Object { attrs, .. } => {
                if self.flat.get(key).map(String::as_str) == Some(UNKNOWN_VARIABLE_VALUE) {
                    return Ok(Value::Unknown);
                }
                self.object(attrs, &format!("{key}."), path, depth)
            }
            Type::List(element) => self.sequence(key, path, |count, path| {
                let items = (0..count)
                    .map(|i| {
                        path.within(PathStep::ElementKeyInt(i as i64), |p| {
                            self.value(&format!("{key}.{i}"), element, p, depth + 1)
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Value::List(items))
            }),
            Type::Tuple(elements) => self.sequence(key, path, |count, path| {
                check_tuple_length(elements.len(), count, path)?;
                let items = elements
                    .iter()
                    .enumerate()
                    .map(|(i, element)| {
                        path.within(PathStep::ElementKeyInt(i as i64), |p| {
                            self.value(&format!("{key}.{i}"), element, p, depth + 1)
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Value::Tuple(items))
            }),
            Type::Set(element) => self.set(key, element, path, depth),
            Type::Map(element) => self.map(key, element, path, depth),
            Type::Dynamic => Err(self.malformed(
                path,
                "flatmap state cannot hold a value of dynamic type".to_owned(),
            )),
        }
    }

    fn primitive(&self, key: &str, ty: &Type, path: &AttributePath) -> Result<Value, ValueError> {
        let Some(raw) = self.flat.get(key) else {
            return Ok(Value::Null);
        };
        if raw == UNKNOWN_VARIABLE_VALUE {
            return Ok(Value::Unknown);
        }
        match ty {
            Type::Bool => match raw.as_str() {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                _ => Err(ValueError::TypeMismatch {
                    path: path.clone(),
                    expected: "bool".to_owned(),
                    found: format!("the string {raw:?}"),
                }),
            },
            Type::Number => {
                raw.parse::<Number>()
                    .map(Value::Number)
                    .map_err(|_| ValueError::InvalidNumber {
                        path: path.clone(),
                        text: raw.clone(),
                    })
            }
            _ => Ok(Value::String(raw.clone())),
        }
    }

    fn object(
        &self,
        attrs: &BTreeMap<String, Type>,
        prefix: &str,
        path: &mut AttributePath,
        depth: usize,
    ) -> Result<Value, ValueError> {
        let mut values = BTreeMap::new();
        for (name, attr_ty) in attrs {
            let value = path.within(PathStep::Attribute(name.clone()), |p| {
                self.value(&format!("{prefix}{name}"), attr_ty, p, depth + 1)
            })?;
            values.insert(name.clone(), value);
        }
        Ok(Value::Object(values))
    }

    /// The count under `key.<marker>`: `Ok(None)` for null, `Err(Unknown)` as a value.
    fn count(
        &self,
        key: &str,
        marker: char,
        path: &AttributePath,
    ) -> Result<Option<Result<usize, Value>>, ValueError> {
        if self.flat.get(key).map(String::as_str) == Some(UNKNOWN_VARIABLE_VALUE) {
            return Ok(Some(Err(Value::Unknown)));
        }
        let Some(raw) = self.flat.get(&format!("{key}.{marker}")) else {
            return Ok(None);
        };
        if raw == UNKNOWN_VARIABLE_VALUE {
            return Ok(Some(Err(Value::Unknown)));
        }
        let count = raw.parse::<usize>().map_err(|_| {
            self.malformed(
                path,
                format!("count \"{key}.{marker}\" is {raw:?}, not a count"),
            )
        })?;
        // Elements that are null leave no keys, so a count may exceed the entries a little;
        // a count far beyond them is corrupt and would only make us loop.
        if count > self.flat.len().saturating_add(1024) {
            return Err(self.malformed(
                path,
                format!("count \"{key}.{marker}\" is {count}, more than the state holds"),
            ));
        }
        Ok(Some(Ok(count)))
    }

    fn sequence(
        &self,
        key: &str,
        path: &mut AttributePath,
        build: impl FnOnce(usize, &mut AttributePath) -> Result<Value, ValueError>,
    ) -> Result<Value, ValueError> {
        match self.count(key, '#', path)? {
            None => Ok(Value::Null),
            Some(Err(unknown)) => Ok(unknown),
            Some(Ok(count)) => build(count, path),
        }
    }

    /// The distinct first segments of keys under `key.`, minus the count marker, sorted
    /// numerically when they are numbers (set hashes) and by text otherwise.
    fn children(&self, key: &str, marker: &str, whole_rest: bool) -> Vec<String> {
        let prefix = format!("{key}.");
        let mut children: Vec<String> = self
            .flat
            .keys()
            .filter_map(|full| full.strip_prefix(&prefix))
            .filter(|rest| *rest != marker)
            .map(|rest| {
                if whole_rest {
                    rest.to_owned()
                } else {
                    rest.split('.').next().unwrap_or(rest).to_owned()
                }
            })
            .collect();
        children.sort_by(|a, b| match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.cmp(b),
        });
        children.dedup();
        children
    }

    fn set(
        &self,
        key: &str,
        element: &Type,
        path: &mut AttributePath,
        depth: usize,
    ) -> Result<Value, ValueError> {
        let count = match self.count(key, '#', path)? {
            None => return Ok(Value::Null),
            Some(Err(unknown)) => return Ok(unknown),
            Some(Ok(count)) => count,
        };
        let mut items = Vec::new();
        for (i, child) in self.children(key, "#", false).into_iter().enumerate() {
            items.push(path.within(PathStep::ElementKeyInt(i as i64), |p| {
                self.value(&format!("{key}.{child}"), element, p, depth + 1)
            })?);
        }
        if items.is_empty() && count == 1 {
            // A set holding one element whose every part is empty leaves no keys but the count.
            items.push(match element {
                Type::List(_) => Value::List(Vec::new()),
                Type::Set(_) => Value::Set(Vec::new()),
                Type::Map(_) => Value::Map(BTreeMap::new()),
                Type::Object { attrs, .. } => Value::Object(
                    attrs
                        .keys()
                        .map(|name| (name.clone(), Value::Null))
                        .collect(),
                ),
                _ => Value::Null,
            });
        }
        Ok(Value::Set(items))
    }

    fn map(
        &self,
        key: &str,
        element: &Type,
        path: &mut AttributePath,
        depth: usize,
    ) -> Result<Value, ValueError> {
        if self.flat.get(key).map(String::as_str) == Some(UNKNOWN_VARIABLE_VALUE) {
            return Ok(Value::Unknown);
        }
        match self.flat.get(&format!("{key}.%")).map(String::as_str) {
            None => return Ok(Value::Null),
            Some(UNKNOWN_VARIABLE_VALUE) => return Ok(Value::Unknown),
            Some(_) => {}
        }
        // Map keys may contain dots; for maps of primitives (all SDKv2 writes) the whole rest
        // of the flat key is the map key.
        let primitive = matches!(element, Type::Bool | Type::Number | Type::String);
        let mut entries = BTreeMap::new();
        for child in self.children(key, "%", primitive) {
            let value = path.within(PathStep::ElementKeyString(child.clone()), |p| {
                self.value(&format!("{key}.{child}"), element, p, depth + 1)
            })?;
            entries.insert(child, value);
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    #[test]
    fn primitives_convert_from_strings_and_missing_keys_are_null() {
        let ty = Type::object([
            ("id", Type::String),
            ("n", Type::Number),
            ("on", Type::Bool),
            ("gone", Type::String),
        ]);
        let value = decode_flatmap(
            &flat(&[("id", "j-1"), ("n", "12.5"), ("on", "true"), ("stale", "x")]),
            &ty,
        )
        .unwrap();
        assert_eq!(
            value,
            obj(vec![
                ("gone", Value::Null),
                ("id", Value::from("j-1")),
                ("n", Value::Number("12.5".parse().unwrap())),
                ("on", Value::from(true)),
            ])
        );
    }

    #[test]
    fn lists_use_hash_count_and_indices_and_empty_differs_from_null() {
        let ty = Type::object([
            ("args", Type::list(Type::String)),
            ("none", Type::list(Type::String)),
            ("empty", Type::list(Type::String)),
        ]);
        let value = decode_flatmap(
            &flat(&[
                ("args.#", "2"),
                ("args.0", "a"),
                ("args.1", "b"),
                ("empty.#", "0"),
            ]),
            &ty,
        )
        .unwrap();
        assert_eq!(
            value,
            obj(vec![
                (
                    "args",
                    Value::List(vec![Value::from("a"), Value::from("b")])
                ),
                ("empty", Value::List(vec![])),
                ("none", Value::Null),
            ])
        );
    }

    #[test]
    fn maps_use_percent_count_and_keep_dotted_keys() {
        let ty = Type::object([("tags", Type::map(Type::String))]);
        let value = decode_flatmap(
            &flat(&[("tags.%", "2"), ("tags.env", "prod"), ("tags.a.b", "c")]),
            &ty,
        )
        .unwrap();
        assert_eq!(
            value,
            obj(vec![(
                "tags",
                Value::Map(BTreeMap::from([
                    ("a.b".to_owned(), Value::from("c")),
                    ("env".to_owned(), Value::from("prod"))
                ]))
            )])
        );
    }

    #[test]
    fn nested_blocks_read_as_lists_of_objects() {
        let timeouts = Type::object([("create", Type::String), ("delete", Type::String)]);
        let ty = Type::object([("timeouts", Type::list(timeouts))]);
        let value = decode_flatmap(
            &flat(&[("timeouts.#", "1"), ("timeouts.0.create", "5m")]),
            &ty,
        )
        .unwrap();
        assert_eq!(
            value,
            obj(vec![(
                "timeouts",
                Value::List(vec![obj(vec![
                    ("create", Value::from("5m")),
                    ("delete", Value::Null)
                ])])
            )])
        );
    }

    #[test]
    fn sets_group_by_hash_key_in_numeric_order() {
        let rule = Type::object([("port", Type::Number), ("proto", Type::String)]);
        let ty = Type::object([
            ("rules", Type::set(rule)),
            ("ports", Type::set(Type::Number)),
        ]);
        let value = decode_flatmap(
            &flat(&[
                ("rules.#", "2"),
                ("rules.98765.port", "443"),
                ("rules.98765.proto", "tcp"),
                ("rules.1234.port", "53"),
                ("rules.1234.proto", "udp"),
                ("ports.#", "1"),
                ("ports.777", "80"),
            ]),
            &ty,
        )
        .unwrap();
        assert_eq!(
            value,
            obj(vec![
                ("ports", Value::Set(vec![Value::from(80)])),
                (
                    "rules",
                    Value::Set(vec![
                        obj(vec![
                            ("port", Value::from(53)),
                            ("proto", Value::from("udp"))
                        ]),
                        obj(vec![
                            ("port", Value::from(443)),
                            ("proto", Value::from("tcp"))
                        ]),
                    ])
                ),
            ])
        );
    }

    #[test]
    fn unknown_sentinel_reads_as_unknown_for_values_and_counts() {
        let ty = Type::object([
            ("id", Type::String),
            ("l", Type::list(Type::String)),
            ("m", Type::map(Type::String)),
        ]);
        let value = decode_flatmap(
            &flat(&[
                ("id", UNKNOWN_VARIABLE_VALUE),
                ("l.#", UNKNOWN_VARIABLE_VALUE),
                ("m", UNKNOWN_VARIABLE_VALUE),
            ]),
            &ty,
        )
        .unwrap();
        assert_eq!(
            value,
            obj(vec![
                ("id", Value::Unknown),
                ("l", Value::Unknown),
                ("m", Value::Unknown)
            ])
        );
    }

    #[test]
    fn bad_entries_name_their_path() {
        let ty = Type::object([("b", Type::list(Type::object([("n", Type::Number)])))]);
        let err = decode_flatmap(&flat(&[("b.#", "1"), ("b.0.n", "ten")]), &ty).unwrap_err();
        assert_eq!(err.to_string(), "\"ten\" at `b[0].n` is not a number");
        let err = decode_flatmap(&flat(&[("b.#", "many")]), &ty).unwrap_err();
        assert!(err.to_string().contains("not a count"), "{err}");
        let err = decode_flatmap(&flat(&[("b.#", "99999")]), &ty).unwrap_err();
        assert!(
            err.to_string().contains("more than the state holds"),
            "{err}"
        );
    }
}
