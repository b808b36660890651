//! Attribute paths: where inside a value something happened.
//!
//! Terraform reports diagnostics against an `AttributePath` (a list of attribute names, map keys
//! and list indices), and our codecs name the same path in their errors so a user can find the
//! offending attribute in their configuration or state.

use std::fmt;

/// One step from a value into one of its parts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An object attribute (or nested block) by name.
    Attribute(String),
    /// A map element by key.
    ElementKeyString(String),
    /// A list or tuple element by position.
    ElementKeyInt(i64),
}

/// A path from the top of a value to a part of it; the empty path is the value itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    /// The empty path, naming the whole value.
    pub fn root() -> Self {
        AttributePath(Vec::new())
    }

    /// A one-step path naming a top-level attribute.
    pub fn attr(name: &str) -> Self {
        AttributePath(vec![PathStep::Attribute(name.to_owned())])
    }

    /// This path extended by an attribute step.
    pub fn push_attr(&self, name: &str) -> Self {
        self.with(PathStep::Attribute(name.to_owned()))
    }

    /// This path extended by a map-key step.
    pub fn push_key(&self, key: &str) -> Self {
        self.with(PathStep::ElementKeyString(key.to_owned()))
    }

    /// This path extended by a list-index step.
    pub fn push_index(&self, index: i64) -> Self {
        self.with(PathStep::ElementKeyInt(index))
    }

    /// True for the empty path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path as a phrase for error messages: "`a.b`", or "the top level" for the root.
    pub fn location(&self) -> String {
        if self.is_root() {
            "the top level".to_owned()
        } else {
            format!("`{self}`")
        }
    }

    /// Runs `f` with `step` pushed onto this path, popping it afterwards on success: how every
    /// codec walks into a part of a value. On error the path keeps the step, but the error has
    /// already copied the path it points at.
    pub fn within<T, E>(
        &mut self,
        step: PathStep,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        self.0.push(step);
        let result = f(self)?;
        self.0.pop();
        Ok(result)
    }

    fn with(&self, step: PathStep) -> Self {
        let mut steps = self.0.clone();
        steps.push(step);
        AttributePath(steps)
    }
}

/// Renders the path the way Terraform users write references: `timeouts.create`,
/// `triggers["a"]`, `list[0]`. The root path renders as an empty string.
impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => f.write_str(name)?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => {
                    f.write_str("[")?;
                    f.write_str(&super::json_text::quote(key))?;
                    f.write_str("]")?;
                }
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_reads_like_a_terraform_reference() {
        assert_eq!(
            AttributePath::attr("timeouts")
                .push_attr("create")
                .to_string(),
            "timeouts.create"
        );
        assert_eq!(
            AttributePath::attr("triggers").push_key("a").to_string(),
            r#"triggers["a"]"#
        );
        assert_eq!(
            AttributePath::attr("list").push_index(0).to_string(),
            "list[0]"
        );
        assert_eq!(
            AttributePath::attr("b")
                .push_index(2)
                .push_attr("y")
                .push_key("q\"")
                .to_string(),
            r#"b[2].y["q\""]"#
        );
        assert_eq!(AttributePath::root().to_string(), "");
    }

    #[test]
    fn location_names_the_root_in_words() {
        assert_eq!(AttributePath::root().location(), "the top level");
        assert_eq!(AttributePath::attr("id").location(), "`id`");
    }
}
