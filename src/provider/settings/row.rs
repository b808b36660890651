//! One setting of the provider block as a row of data: its attribute, environment variable,
//! type, sensitivity, check and documentation.
//!
//! The tables (`provider_block.rs`, `assume_role_block.rs`, `oidc_block.rs`) are lists of these
//! rows, written with `settings_table!` (in `table.rs`). Everything else is derived from a row: the schema
//! attribute, the environment fallback, the checks (with errors that name the variable a value
//! came from) and the typed field the rest of the provider reads. A new setting is one row.

use crate::framework::{Attribute, Diagnostics, Schema};
use crate::tfvalue::{AttributePath, Value};

/// The Terraform type of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueType {
    /// A string.
    String,
    /// A bool.
    Bool,
    /// A number (whole numbers only, see [`Check::Whole`]).
    Number,
}

/// What a value must satisfy, wherever it came from (block, environment, shared config).
#[derive(Clone, Copy)]
pub(super) enum Check {
    /// Anything goes.
    None,
    /// A string check; the framework also runs it on the block's value at validate.
    Text(fn(&str) -> Result<(), String>),
    /// A whole number from `min` to `max`, both included.
    Whole {
        /// Smallest accepted.
        min: i64,
        /// Largest accepted.
        max: i64,
    },
    /// A file that must be usable, checked at validate and configure; `summary` heads the error.
    File {
        /// The check; `Err` is the whole detail of the error.
        check: fn(&str) -> Result<(), String>,
        /// The error's summary.
        summary: &'static str,
    },
}

/// Settings that are one thing written two ways (`domain_name`/`domain_id`,
/// `id_token`/`id_token_file`): at most one may be set, and the environment fills one in only
/// when the block sets none of them.
#[derive(Debug)]
pub(super) struct Group {
    /// What the settings name, for the error when none is set: "the agency's account".
    pub(super) what: &'static str,
    /// Whether one of them must be set.
    pub(super) required: bool,
    /// Why only one, for the error when both are set.
    pub(super) advice: &'static str,
}

/// One row of a settings table.
pub(super) struct Setting {
    /// The attribute's name in HCL (and the typed model's field).
    pub(super) name: &'static str,
    /// Its Terraform type.
    pub(super) ty: ValueType,
    /// The environment variable that stands in for it when the block leaves it out.
    pub(super) env: Option<&'static str>,
    /// Hidden in plans and never shown in errors or logs.
    pub(super) sensitive: bool,
    /// Whether the block (or its variable) must give it.
    pub(super) required: bool,
    /// What its value must satisfy.
    pub(super) check: Check,
    /// The settings it is one of, if any.
    pub(super) group: Option<&'static Group>,
    /// Plain-text description, without the environment variable (added from `env`).
    pub(super) plain: &'static str,
    /// Markdown description, likewise.
    pub(super) markdown: &'static str,
}

impl Setting {
    /// The schema attribute this row declares; its descriptions end with the variable.
    pub(super) fn attribute(&self) -> Attribute {
        let mut attribute = match self.ty {
            ValueType::String => Attribute::string(self.name),
            ValueType::Bool => Attribute::bool(self.name),
            ValueType::Number => Attribute::number(self.name),
        }
        .optional();
        if self.sensitive {
            attribute = attribute.sensitive();
        }
        if let Check::Text(check) = self.check {
            attribute = attribute.validate_string(check);
        }
        match self.env {
            Some(env) => attribute.describe(
                &format!("{} Environment: {env}.", self.plain),
                &format!("{} Falls back to `{env}`.", self.markdown),
            ),
            None => attribute.describe(self.plain, self.markdown),
        }
    }

    /// Reports `reason` about this setting's value, naming where the value came from.
    pub(super) fn refuse(
        &self,
        origin: Origin,
        at: AttributePath,
        reason: &str,
        diags: &mut Diagnostics,
    ) {
        let name = self.name;
        let (summary, detail) = match origin {
            Origin::Block => (format!("Invalid {name}"), format!("{name}: {reason}")),
            Origin::Env(variable) => (
                format!("Invalid {variable}"),
                format!("The environment variable {variable} (standing in for {name}): {reason}"),
            ),
            Origin::Other(label) => (
                format!("Invalid {name}"),
                format!("{name} from {label}: {reason}"),
            ),
        };
        diags.add_attribute_error(at, summary, detail);
    }

    /// Runs the row's check on a value; an error (naming its origin) when it fails.
    pub(super) fn check<T: SettingType>(
        &self,
        value: &Sourced<T::Value>,
        at: AttributePath,
        stage: Stage,
        diags: &mut Diagnostics,
    ) -> bool {
        let outcome = match self.check {
            Check::None => Ok(()),
            // The framework runs these on the block's values at validate.
            Check::Text(_) if stage == Stage::Validate => Ok(()),
            Check::Text(check) => T::text(&value.value).map_or(Ok(()), check),
            Check::Whole { min, max } => match T::number(&value.value) {
                Some(n) if (min..=max).contains(&n) => Ok(()),
                Some(n) => Err(whole_reason(&n.to_string(), min, max)),
                None => Ok(()),
            },
            Check::File { check, summary } => {
                if let Some(Err(detail)) = T::text(&value.value).map(check) {
                    let detail = match value.origin {
                        Origin::Env(variable) => format!(
                            "The environment variable {variable} (standing in for {}): {detail}",
                            self.name
                        ),
                        _ => detail,
                    };
                    diags.add_attribute_error(at, summary, detail);
                    return false;
                }
                Ok(())
            }
        };
        match outcome {
            Ok(()) => true,
            Err(reason) => {
                self.refuse(value.origin, at, &reason, diags);
                false
            }
        }
    }
}

/// A schema whose attributes are the rows of a table, in order.
pub(super) fn schema_of(rows: &[Setting], plain: &str, markdown: &str) -> Schema {
    rows.iter()
        .fold(Schema::new(plain, markdown), |schema, row| {
            schema.attribute(row.attribute())
        })
}

/// The words for a number that is not a whole number in range.
pub(super) fn whole_reason(shown: &str, min: i64, max: i64) -> String {
    format!(
        "{shown} is not a whole number from {min} to {max}; write one in that range, or leave it out for the default."
    )
}

/// When a table is checked: at validate only the block's known values are there (the
/// framework has run the text checks, and the environment may still give what is missing); at
/// configure every value is, from wherever it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// `ValidateProviderConfig`.
    Validate,
    /// `ConfigureProvider`.
    Configure,
}

/// Where a value came from, so that an error about it names the place the user wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// The provider block.
    Block,
    /// This environment variable.
    Env(&'static str),
    /// Somewhere else, e.g. "the shared config profile".
    Other(&'static str),
}

/// A setting's value and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Sourced<T> {
    /// The value.
    pub(super) value: T,
    /// Where it came from.
    pub(super) origin: Origin,
}

/// A Rust type a setting's value decodes to; the tables name it per row.
pub(super) trait SettingType {
    /// The decoded value.
    type Value: Clone;
    /// The Terraform type.
    const TYPE: ValueType;
    /// A known, non-null value of the block; `Err` is a reason it is not one.
    fn from_config(row: &Setting, value: &Value) -> Result<Self::Value, String>;
    /// The text of an environment variable; `Err` is a reason it is not one.
    fn from_env(row: &Setting, text: &str) -> Result<Self::Value, String>;
    /// Whether a variable's text counts as unset.
    fn blank(text: &str) -> bool {
        text.is_empty()
    }
    /// The value as text, for text checks.
    fn text(_value: &Self::Value) -> Option<&str> {
        None
    }
    /// The value as a number, for range checks.
    fn number(_value: &Self::Value) -> Option<i64> {
        None
    }
}

/// A string setting.
pub(super) struct Text;

impl SettingType for Text {
    type Value = String;
    const TYPE: ValueType = ValueType::String;
    fn from_config(_row: &Setting, value: &Value) -> Result<String, String> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "The value is not a string.".to_owned())
    }
    fn from_env(_row: &Setting, text: &str) -> Result<String, String> {
        Ok(text.to_owned())
    }
    fn text(value: &String) -> Option<&str> {
        Some(value)
    }
}

/// A bool setting; its variable takes the forms Go's `strconv.ParseBool` accepts, as the
/// huaweicloud provider's do.
pub(super) struct Flag;

impl SettingType for Flag {
    type Value = bool;
    const TYPE: ValueType = ValueType::Bool;
    fn from_config(_row: &Setting, value: &Value) -> Result<bool, String> {
        value
            .as_bool()
            .ok_or_else(|| "The value is not true or false.".to_owned())
    }
    fn from_env(_row: &Setting, text: &str) -> Result<bool, String> {
        match text.trim() {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
            "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
            _ => Err(format!(
                "{:?} is not true or false; set it to true or false (1/0, t/f, TRUE/FALSE and True/False are accepted too), or unset it.",
                printable(text)
            )),
        }
    }
    fn blank(text: &str) -> bool {
        text.trim().is_empty()
    }
}

/// A whole-number setting; its range is the row's [`Check::Whole`].
pub(super) struct Whole;

impl Whole {
    fn range(row: &Setting) -> (i64, i64) {
        match row.check {
            Check::Whole { min, max } => (min, max),
            _ => (i64::MIN, i64::MAX),
        }
    }
}

impl SettingType for Whole {
    type Value = i64;
    const TYPE: ValueType = ValueType::Number;
    fn from_config(row: &Setting, value: &Value) -> Result<i64, String> {
        let (min, max) = Self::range(row);
        match value.as_number() {
            Some(n) => n
                .as_i64()
                .ok_or_else(|| whole_reason(&n.to_string(), min, max)),
            None => Err(whole_reason("the value", min, max)),
        }
    }
    fn from_env(row: &Setting, text: &str) -> Result<i64, String> {
        let (min, max) = Self::range(row);
        text.trim()
            .parse()
            .map_err(|_| whole_reason(&format!("{:?}", printable(text)), min, max))
    }
    fn blank(text: &str) -> bool {
        text.trim().is_empty()
    }
    fn number(value: &i64) -> Option<i64> {
        Some(*value)
    }
}

/// At most this many characters of an outside value are quoted back in an error.
const QUOTED_CHARS: usize = 64;

/// `text` shortened for an error message (`{:?}` then escapes what is left).
pub(super) fn printable(text: &str) -> String {
    if text.chars().count() <= QUOTED_CHARS {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(QUOTED_CHARS).collect();
    short.push('…');
    short
}
