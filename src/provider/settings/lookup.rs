//! Where a setting's value comes from: the provider block, else the environment variable of its
//! row. The environment is read only through the lookup `configure` hands in, so tests give
//! their own and nothing else reads a variable of the provider block.

use crate::framework::{Config, Diagnostics};
use crate::tfvalue::{AttributePath, Value};

use super::row::{Group, Origin, Setting, SettingType, Sourced, Stage};

/// The configuration and the environment, read together.
pub(super) struct Lookup<'a> {
    config: &'a Config,
    env: &'a dyn Fn(&str) -> Option<String>,
}

/// Where a table's rows are read.
#[derive(Debug, Clone)]
pub(super) enum Place {
    /// The provider block itself.
    Top,
    /// A nested block the configuration writes, at this path.
    Block {
        /// The block's path (with its index in a list).
        at: AttributePath,
        /// The block's name, for errors.
        name: &'static str,
    },
    /// A nested block the configuration leaves out but the environment asks for.
    Environment {
        /// The block's name; errors land on it.
        name: &'static str,
    },
}

impl Place {
    /// Where the row's value would be in the configuration.
    fn path(&self, name: &str) -> Option<AttributePath> {
        match self {
            Place::Top => Some(AttributePath::attr(name)),
            Place::Block { at, .. } => Some(at.push_attr(name)),
            Place::Environment { .. } => None,
        }
    }

    /// Where an error about the row goes: the attribute, or the block as a whole when the
    /// value came from the environment alone.
    pub(super) fn error_at(&self, name: &str) -> AttributePath {
        match self {
            Place::Environment { name: block } => AttributePath::attr(block),
            _ => self.path(name).unwrap_or_else(AttributePath::root),
        }
    }

    /// The block's name, or the provider's, for the words of an error.
    fn owner(&self) -> &'static str {
        match self {
            Place::Top => "the mrs provider",
            Place::Block { name, .. } | Place::Environment { name } => name,
        }
    }
}

impl<'a> Lookup<'a> {
    /// Reads `config`, falling back on `env`.
    pub(super) fn new(config: &'a Config, env: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { config, env }
    }

    /// An environment variable; `None` when unset or empty.
    pub(super) fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.is_empty())
    }

    /// The configuration's non-null value at `path`.
    pub(super) fn value_at(&self, path: &AttributePath) -> Option<&Value> {
        self.config.value().get_path(path).filter(|v| !v.is_null())
    }

    /// One row's value: the block's, else (when its group allows) its variable's. A value of
    /// the wrong shape is an error naming where it came from, and counts as unset.
    pub(super) fn read<T: SettingType>(
        &self,
        rows: &[Setting],
        row: &Setting,
        place: &Place,
        diags: &mut Diagnostics,
    ) -> Option<Sourced<T::Value>> {
        let path = place.path(row.name);
        if let Some(value) = path.as_ref().and_then(|p| self.value_at(p)) {
            // Unknown waits (validate); configure defers before reading anything unknown.
            if matches!(value, Value::Unknown) {
                return None;
            }
            return self.decoded(row, Origin::Block, T::from_config(row, value), place, diags);
        }
        // One setting written two ways: a block that writes one way takes no other way from
        // the environment.
        if let Some(group) = row.group {
            let written = rows.iter().any(|other| {
                other.group.is_some_and(|g| g.what == group.what)
                    && place
                        .path(other.name)
                        .is_some_and(|p| self.value_at(&p).is_some())
            });
            if written {
                return None;
            }
        }
        let variable = row.env?;
        let text = (self.env)(variable).filter(|text| !T::blank(text))?;
        self.decoded(
            row,
            Origin::Env(variable),
            T::from_env(row, &text),
            place,
            diags,
        )
    }

    fn decoded<V>(
        &self,
        row: &Setting,
        origin: Origin,
        value: Result<V, String>,
        place: &Place,
        diags: &mut Diagnostics,
    ) -> Option<Sourced<V>> {
        match value {
            Ok(value) => Some(Sourced { value, origin }),
            Err(reason) => {
                row.refuse(origin, place.error_at(row.name), &reason, diags);
                None
            }
        }
    }
}

/// The rules across rows of one table at one place: no group has two values and (at configure,
/// when the environment has been looked at too) each required row and required group has one.
/// Errors name the variables the values came from.
pub(super) fn check_rules(
    rows: &[Setting],
    set: &[(&'static Setting, Origin)],
    place: &Place,
    stage: Stage,
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    let owner = place.owner();
    let complete = stage == Stage::Configure;
    for row in rows
        .iter()
        .filter(|r| complete && r.required && r.group.is_none())
    {
        if !set.iter().any(|(s, _)| s.name == row.name) {
            diags.add_attribute_error(
                place.error_at(row.name),
                format!("Missing {}", row.name),
                format!(
                    "{owner} needs {}: set it in the block{}.",
                    row.name,
                    row.env.map(|v| format!(" or {v}")).unwrap_or_default()
                ),
            );
            ok = false;
        }
    }
    let mut seen: Vec<&'static Group> = Vec::new();
    for group in rows.iter().filter_map(|r| r.group) {
        if seen.iter().any(|g| g.what == group.what) {
            continue;
        }
        seen.push(group);
        let members: Vec<&Setting> = rows
            .iter()
            .filter(|r| r.group.is_some_and(|g| g.what == group.what))
            .collect();
        let written: Vec<&(&Setting, Origin)> = set
            .iter()
            .filter(|(s, _)| s.group.is_some_and(|g| g.what == group.what))
            .collect();
        match written.as_slice() {
            [] if complete && group.required => {
                let ways: Vec<String> = members
                    .iter()
                    .map(|r| match r.env {
                        Some(v) => format!("{} ({v})", r.name),
                        None => r.name.to_owned(),
                    })
                    .collect();
                if let Some(first) = members.first() {
                    diags.add_attribute_error(
                        place.error_at(first.name),
                        format!("Missing {}", group.what),
                        format!("{owner} needs {}: set {}.", group.what, ways.join(" or ")),
                    );
                }
                ok = false;
            }
            [(first, first_origin), (second, second_origin), ..] => {
                let named = |row: &Setting, origin: &Origin| match origin {
                    Origin::Env(v) => (*v).to_owned(),
                    Origin::Other(label) => format!("{} from {label}", row.name),
                    Origin::Block => row.name.to_owned(),
                };
                let source = if matches!(
                    (first_origin, second_origin),
                    (Origin::Block, Origin::Block)
                ) {
                    String::new()
                } else {
                    format!(
                        " ({} and {})",
                        named(first, first_origin),
                        named(second, second_origin)
                    )
                };
                diags.add_attribute_error(
                    place.error_at(second.name),
                    format!("Conflicting {} and {}", first.name, second.name),
                    format!(
                        "{} and {} are both set{source}. {}",
                        first.name, second.name, group.advice
                    ),
                );
                ok = false;
            }
            _ => {}
        }
    }
    ok
}
