//! Terraform's type system and its JSON type-constraint syntax.
//!
//! A schema attribute's `type` bytes, and the first half of every dynamic value on the wire,
//! are a type written as JSON: `"string"`, `["map","string"]`, `["object",{"a":"number"}]`.
//! [`Type`] models those types (cty's, minus capsules) and reads and writes that syntax the
//! way Terraform does, so schema bytes compare equal across providers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::error::ValueError;
use super::json_text::{self, Json};
use super::path::AttributePath;

/// A Terraform type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// `bool`
    Bool,
    /// `number` (arbitrary precision)
    Number,
    /// `string`
    String,
    /// `dynamic` (cty's `DynamicPseudoType`): the concrete type travels with the value.
    Dynamic,
    /// `list(T)`
    List(Box<Type>),
    /// `set(T)`
    Set(Box<Type>),
    /// `map(T)`
    Map(Box<Type>),
    /// `tuple([T1, T2, ...])`
    Tuple(Vec<Type>),
    /// `object({name = T, ...})`; names in `optional` may be absent when decoding.
    Object {
        /// Attribute types by name.
        attrs: BTreeMap<String, Type>,
        /// Names of attributes that are optional (each is also a key of `attrs`).
        optional: BTreeSet<String>,
    },
}

impl Type {
    /// An object type with no optional attributes.
    pub fn object<'a>(attrs: impl IntoIterator<Item = (&'a str, Type)>) -> Type {
        Type::Object {
            attrs: attrs
                .into_iter()
                .map(|(name, ty)| (name.to_owned(), ty))
                .collect(),
            optional: BTreeSet::new(),
        }
    }

    /// `list(t)`
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    /// `set(t)`
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    /// `map(t)`
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    /// The JSON type constraint, byte for byte as Terraform writes it: no whitespace, object
    /// attributes sorted by name, optional attributes as a sorted third element when present.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = String::new();
        self.write_json(&mut out);
        out.into_bytes()
    }

    /// Reads a JSON type constraint.
    pub fn from_json(bytes: &[u8]) -> Result<Type, ValueError> {
        let invalid = |reason: String| ValueError::InvalidType {
            path: AttributePath::root(),
            reason,
        };
        let json = json_text::parse(bytes).map_err(|e| invalid(e.to_string()))?;
        Self::from_json_tree(&json).map_err(invalid)
    }

    /// True when `Dynamic` appears anywhere in the type.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Bool | Type::Number | Type::String => false,
            Type::Dynamic => true,
            Type::List(e) | Type::Set(e) | Type::Map(e) => e.has_dynamic(),
            Type::Tuple(elements) => elements.iter().any(Type::has_dynamic),
            Type::Object { attrs, .. } => attrs.values().any(Type::has_dynamic),
        }
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Type::Bool => out.push_str("\"bool\""),
            Type::Number => out.push_str("\"number\""),
            Type::String => out.push_str("\"string\""),
            Type::Dynamic => out.push_str("\"dynamic\""),
            Type::List(e) | Type::Set(e) | Type::Map(e) => {
                out.push_str(match self {
                    Type::List(_) => "[\"list\",",
                    Type::Set(_) => "[\"set\",",
                    _ => "[\"map\",",
                });
                e.write_json(out);
                out.push(']');
            }
            Type::Tuple(elements) => {
                out.push_str("[\"tuple\",[");
                for (i, element) in elements.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    element.write_json(out);
                }
                out.push_str("]]");
            }
            Type::Object { attrs, optional } => {
                out.push_str("[\"object\",{");
                for (i, (name, ty)) in attrs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_text::push_quoted(out, name);
                    out.push(':');
                    ty.write_json(out);
                }
                out.push('}');
                if !optional.is_empty() {
                    out.push_str(",[");
                    for (i, name) in optional.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        json_text::push_quoted(out, name);
                    }
                    out.push(']');
                }
                out.push(']');
            }
        }
    }

    /// Reads a type from an already-parsed JSON tree; the error is the reason only.
    pub(crate) fn from_json_tree(json: &Json) -> Result<Type, String> {
        match json {
            Json::String(name) => match name.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(format!(
                    "unknown primitive type {}",
                    json_text::quote(other)
                )),
            },
            Json::Array(items) => {
                let Some(Json::String(kind)) = items.first() else {
                    return Err("a complex type must start with its kind name".to_owned());
                };
                let args = &items[1..];
                match (kind.as_str(), args) {
                    ("list", [element]) => Ok(Type::list(Self::from_json_tree(element)?)),
                    ("set", [element]) => Ok(Type::set(Self::from_json_tree(element)?)),
                    ("map", [element]) => Ok(Type::map(Self::from_json_tree(element)?)),
                    ("tuple", [Json::Array(elements)]) => Ok(Type::Tuple(
                        elements
                            .iter()
                            .map(Self::from_json_tree)
                            .collect::<Result<_, _>>()?,
                    )),
                    ("object", [Json::Object(members)]) => Self::object_from_json(members, &[]),
                    ("object", [Json::Object(members), Json::Array(optional)]) => {
                        Self::object_from_json(members, optional)
                    }
                    ("list" | "set" | "map" | "tuple" | "object", _) => {
                        Err(format!("wrong arguments for a {kind} type"))
                    }
                    (other, _) => Err(format!("unknown type kind {}", json_text::quote(other))),
                }
            }
            other => Err(format!(
                "a type must be a string or an array, not {}",
                other.kind()
            )),
        }
    }

    fn object_from_json(members: &[(String, Json)], optional: &[Json]) -> Result<Type, String> {
        let mut attrs = BTreeMap::new();
        for (name, ty) in members {
            if attrs
                .insert(name.clone(), Self::from_json_tree(ty)?)
                .is_some()
            {
                return Err(format!(
                    "attribute {} is declared twice",
                    json_text::quote(name)
                ));
            }
        }
        let mut optional_names = BTreeSet::new();
        for name in optional {
            let Json::String(name) = name else {
                return Err("optional attribute names must be strings".to_owned());
            };
            if !attrs.contains_key(name) {
                return Err(format!(
                    "optional attribute {} is not an attribute of the object",
                    json_text::quote(name)
                ));
            }
            optional_names.insert(name.clone());
        }
        Ok(Type::Object {
            attrs,
            optional: optional_names,
        })
    }
}

/// Terraform's type-constraint syntax: `list(string)`, `object({a=number,b=optional(bool)})`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::Dynamic => f.write_str("any"),
            Type::List(e) => write!(f, "list({e})"),
            Type::Set(e) => write!(f, "set({e})"),
            Type::Map(e) => write!(f, "map({e})"),
            Type::Tuple(elements) => {
                f.write_str("tuple([")?;
                for (i, element) in elements.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{element}")?;
                }
                f.write_str("])")
            }
            Type::Object { attrs, optional } => {
                f.write_str("object({")?;
                for (i, (name, ty)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    if optional.contains(name) {
                        write!(f, "{name}=optional({ty})")?;
                    } else {
                        write!(f, "{name}={ty}")?;
                    }
                }
                f.write_str("})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(ty: &Type) -> String {
        String::from_utf8(ty.to_json()).unwrap()
    }

    #[test]
    fn to_json_matches_terraform_bytes() {
        assert_eq!(json(&Type::String), r#""string""#);
        assert_eq!(json(&Type::Dynamic), r#""dynamic""#);
        assert_eq!(json(&Type::map(Type::String)), r#"["map","string"]"#);
        assert_eq!(
            json(&Type::object([("b", Type::Bool), ("a", Type::Number)])),
            r#"["object",{"a":"number","b":"bool"}]"#
        );
        assert_eq!(
            json(&Type::Tuple(vec![Type::String, Type::list(Type::Number)])),
            r#"["tuple",["string",["list","number"]]]"#
        );
        let with_optional = Type::Object {
            attrs: [
                ("a".to_owned(), Type::Number),
                ("z".to_owned(), Type::String),
            ]
            .into(),
            optional: ["z".to_owned()].into(),
        };
        assert_eq!(
            json(&with_optional),
            r#"["object",{"a":"number","z":"string"},["z"]]"#
        );
        assert_eq!(
            Type::from_json(json(&with_optional).as_bytes()).unwrap(),
            with_optional
        );
    }

    #[test]
    fn from_json_accepts_whitespace_and_rejects_nonsense() {
        assert_eq!(
            Type::from_json(br#" [ "set" , [ "object" , { "x" : "dynamic" } ] ] "#).unwrap(),
            Type::set(Type::object([("x", Type::Dynamic)]))
        );
        for bad in [
            r#""int""#,
            r#"["list"]"#,
            r#"["list","string","string"]"#,
            r#"["object",{"a":"string"},["b"]]"#,
            r#"["object",{"a":"string","a":"bool"}]"#,
            r#"["tuple","string"]"#,
            r#"["frob","string"]"#,
            "42",
            "",
        ] {
            let err = Type::from_json(bad.as_bytes()).unwrap_err();
            assert!(
                matches!(err, ValueError::InvalidType { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn display_uses_terraform_type_syntax() {
        let ty = Type::Object {
            attrs: [
                ("a".to_owned(), Type::list(Type::Number)),
                ("b".to_owned(), Type::Dynamic),
            ]
            .into(),
            optional: ["b".to_owned()].into(),
        };
        assert_eq!(ty.to_string(), "object({a=list(number),b=optional(any)})");
    }
}
