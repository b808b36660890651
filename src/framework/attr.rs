//! [`Attr`]: one attribute's value as Terraform has it — null, unknown or known.
//!
//! Configurations seen at validate time and planned states hold values that are only known after
//! apply; a plain `Option` field cannot tell those from null. `Attr` can, wherever it is used: in
//! the [`super::Config`] and [`super::PlanEdit`] views, and as a field of a model struct, where it
//! reads and writes unknowns through [`crate::tfvalue::serde_value`] (in other serde formats, such
//! as JSON, it is an `Option`: null or known).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::tfvalue::serde_value::{TRI_STATE, UNKNOWN};

/// One attribute: not set, set but known only after apply, or set and known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Attr<T> {
    /// Not set.
    #[default]
    Null,
    /// Set, but only known after apply.
    Unknown,
    /// Set and known.
    Known(T),
}

impl<T> Attr<T> {
    /// The known value, if any.
    pub fn known(self) -> Option<T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    /// The known value by reference, if any.
    pub fn as_known(&self) -> Option<&T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    /// True when the value is not known yet.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }

    /// True when the attribute is not set.
    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }

    /// The same state with the known value changed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Attr<U> {
        match self {
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
            Attr::Known(v) => Attr::Known(f(v)),
        }
    }
}

impl<T> From<Option<T>> for Attr<T> {
    /// `None` is null: an `Option` has no way to say "unknown".
    fn from(value: Option<T>) -> Self {
        value.map_or(Attr::Null, Attr::Known)
    }
}

impl<T: Serialize> Serialize for Attr<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Attr::Null => serializer.serialize_none(),
            Attr::Unknown => serializer.serialize_unit_struct(UNKNOWN),
            Attr::Known(v) => serializer.serialize_some(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Attr<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(TRI_STATE, AttrVisitor(PhantomData))
    }
}

struct AttrVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for AttrVisitor<T> {
    type Value = Attr<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value, null, or a value not known yet")
    }

    // Told apart only by the tfvalue deserializer: unknown.
    fn visit_unit<E: de::Error>(self) -> Result<Attr<T>, E> {
        Ok(Attr::Unknown)
    }

    fn visit_none<E: de::Error>(self) -> Result<Attr<T>, E> {
        Ok(Attr::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Attr<T>, D::Error> {
        T::deserialize(deserializer).map(Attr::Known)
    }

    // Any other format: the field is an `Option`.
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Attr<T>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Attr::from)
    }
}
