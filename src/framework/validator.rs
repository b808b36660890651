//! Typed attribute validators, as terraform-plugin-framework has them (`stringvalidator`,
//! `int64validator.Between`, …): each judges a value of its own type, so a range check reads a
//! whole number and a duration check a parsed duration, never text it must parse again.
//!
//! A validator sees the value as an [`Attr`]: null, unknown or known. Terraform validates before
//! it knows every value (module variables at `terraform validate`, another resource's ID at
//! plan) and asks again once they are known, so the validators here judge known values and wait
//! for the rest; one that must say something about an unknown value can. A plain
//! `fn(&str) -> Result<(), String>` ([`super::StringValidator`]) is one kind of string
//! validator, so the checks written that way stay as they are.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::Attr;

/// A check on one attribute's value of type `T`; `Err` carries the sentence shown to the user.
pub trait TypedValidator<T: ?Sized>: Send + Sync {
    /// Judges the value. Null and unknown values reach the check too: return `Ok` to wait.
    fn validate(&self, value: Attr<&T>) -> Result<(), String>;

    /// What the check accepts, as words that complete "it must be …" (e.g. "a whole number
    /// from 1 to 10"), for the messages the framework writes itself; empty when there is none.
    fn description(&self) -> String {
        String::new()
    }
}

/// A plain string check judges known strings and waits for the rest.
impl TypedValidator<str> for fn(&str) -> Result<(), String> {
    fn validate(&self, value: Attr<&str>) -> Result<(), String> {
        match value {
            Attr::Known(text) => self(text),
            Attr::Null | Attr::Unknown => Ok(()),
        }
    }
}

/// One validator of an attribute, by the type of value it judges.
#[derive(Clone)]
pub enum Validator {
    /// A string, or each element of a list, set or map of strings.
    String(Arc<dyn TypedValidator<str>>),
    /// A number that must be a whole number within `i64`; any other number is refused before
    /// the check runs.
    Int64(Arc<dyn TypedValidator<i64>>),
    /// A string that must be a duration such as `"10m"`; other text is refused before the
    /// check runs.
    Duration(Arc<dyn TypedValidator<Duration>>),
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, description) = match self {
            Validator::String(v) => ("String", v.description()),
            Validator::Int64(v) => ("Int64", v.description()),
            Validator::Duration(v) => ("Duration", v.description()),
        };
        write!(f, "Validator::{kind}({description:?})")
    }
}

/// String validators.
pub mod string {
    use super::*;

    /// A validator from a plain check on known strings.
    pub fn from_fn(check: fn(&str) -> Result<(), String>) -> Validator {
        Validator::String(Arc::new(check))
    }

    struct OneOf(&'static [&'static str]);

    impl TypedValidator<str> for OneOf {
        fn validate(&self, value: Attr<&str>) -> Result<(), String> {
            match value {
                Attr::Known(text) if !self.0.contains(&text) => {
                    Err(format!("{text:?} is not {}.", self.description()))
                }
                _ => Ok(()),
            }
        }

        fn description(&self) -> String {
            let quoted: Vec<String> = self.0.iter().map(|a| format!("{a:?}")).collect();
            format!("one of {}", quoted.join(", "))
        }
    }

    /// Only one of `allowed`, spelled exactly.
    pub fn one_of(allowed: &'static [&'static str]) -> Validator {
        Validator::String(Arc::new(OneOf(allowed)))
    }
}

/// Whole-number validators.
pub mod int64 {
    use super::*;

    struct Between(i64, i64);

    impl TypedValidator<i64> for Between {
        fn validate(&self, value: Attr<&i64>) -> Result<(), String> {
            match value {
                Attr::Known(n) if !(self.0..=self.1).contains(n) => {
                    Err(format!("it must be {}.", self.description()))
                }
                _ => Ok(()),
            }
        }

        fn description(&self) -> String {
            format!("a whole number from {} to {}", self.0, self.1)
        }
    }

    /// A whole number from `min` to `max`, both included (`int64validator.Between`).
    pub fn between(min: i64, max: i64) -> Validator {
        Validator::Int64(Arc::new(Between(min, max)))
    }
}

/// Duration validators, for string attributes such as `timeout = "10m"`.
pub mod duration {
    use super::*;

    struct Between(Duration, Duration);

    impl TypedValidator<Duration> for Between {
        fn validate(&self, value: Attr<&Duration>) -> Result<(), String> {
            match value {
                Attr::Known(d) if *d < self.0 || *d > self.1 => {
                    Err(format!("it must be {}.", self.description()))
                }
                _ => Ok(()),
            }
        }

        fn description(&self) -> String {
            format!(
                "a duration from {}s to {}s",
                self.0.as_secs_f64(),
                self.1.as_secs_f64()
            )
        }
    }

    /// A duration from `min` to `max`, both included.
    pub fn between(min: Duration, max: Duration) -> Validator {
        Validator::Duration(Arc::new(Between(min, max)))
    }

    struct Parses;

    impl TypedValidator<Duration> for Parses {
        fn validate(&self, _: Attr<&Duration>) -> Result<(), String> {
            Ok(())
        }
    }

    /// Any duration: only text that is not one is refused.
    pub fn any() -> Validator {
        Validator::Duration(Arc::new(Parses))
    }
}
