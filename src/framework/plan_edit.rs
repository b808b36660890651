//! What a resource's `modify_plan` may do to a plan, as terraform-plugin-framework's
//! `ModifyPlan` may: fill in computed values already known, add diagnostics, and ask for a
//! replacement. The framework has applied its own plan rules before; the edit comes last.

use super::{Attr, Config, Diagnostics};
use crate::tfvalue::{AttributePath, Value};

/// A planned state a resource may refine: it can fill in values that would otherwise be
/// "(known after apply)", so the plan shows them, add warnings and errors Terraform shows with
/// the plan, and mark attributes whose change needs a replacement. Only unknown values can be
/// filled; what the configuration set stays as it is.
#[derive(Debug)]
pub struct PlanEdit<'a> {
    planned: &'a mut Value,
    /// False when the resource exists already (an update or a replacement).
    creating: bool,
    /// The configuration the plan was made from (null when unknown to the edit).
    configured: Value,
    diags: Diagnostics,
    requires_replace: Vec<AttributePath>,
    /// The private bytes Terraform holds for the resource (`prior_private`).
    prior_private: Vec<u8>,
    /// Private bytes for this plan, when the resource set them.
    private: Option<Vec<u8>>,
}

impl<'a> PlanEdit<'a> {
    pub(crate) fn new(planned: &'a mut Value) -> Self {
        Self {
            planned,
            creating: true,
            configured: Value::Null,
            diags: Diagnostics::new(),
            requires_replace: Vec::new(),
            prior_private: Vec::new(),
            private: None,
        }
    }

    /// The edit of a plan whose prior private state is `private`.
    pub(crate) fn with_prior_private(mut self, private: &[u8]) -> Self {
        self.prior_private = private.to_vec();
        self
    }

    /// The private bytes Terraform keeps for the resource (tfplugin6 `prior_private`): what the
    /// last apply or plan of it set; empty for a create.
    pub fn prior_private(&self) -> &[u8] {
        &self.prior_private
    }

    /// Sets the plan's private bytes (tfplugin6 `planned_private`), which Terraform hands to
    /// the apply of this plan as [`Ctx::planned_private`](super::Ctx::planned_private).
    /// Unset, the prior private bytes are kept. Terraform plans each change again at the start
    /// of its apply and hands the apply *that* plan's bytes, so what a resource sets here should
    /// be what it would set again then.
    pub fn set_private(&mut self, private: Vec<u8>) {
        self.private = Some(private);
    }

    /// The private bytes the resource set, if it did.
    pub(crate) fn take_private(&mut self) -> Option<Vec<u8>> {
        self.private.take()
    }

    /// The edit of a plan whose prior state is `prior`: null for a create.
    pub(crate) fn with_prior(mut self, prior: &Value) -> Self {
        self.creating = prior.is_null();
        self
    }

    /// The edit of a plan made from `config`: an attribute the configuration sets, even to a
    /// value not known yet, is never filled.
    pub(crate) fn with_config(mut self, config: &Value) -> Self {
        self.configured = config.clone();
        self
    }

    /// The configuration the plan was made from: what the user wrote, unknowns included.
    pub fn configured(&self) -> Config {
        Config::new(self.configured.clone())
    }

    /// True when this plan creates the resource (there is no prior state), as opposed to
    /// updating or replacing one that exists.
    pub fn is_create(&self) -> bool {
        self.creating
    }

    /// The planned value of a top-level string attribute.
    pub fn string(&self, name: &str) -> Attr<String> {
        match self.planned.attr(name) {
            Some(Value::Unknown) => Attr::Unknown,
            Some(v) => v.as_str().map_or(Attr::Null, |s| Attr::Known(s.to_owned())),
            None => Attr::Null,
        }
    }

    /// The planned value of a top-level bool attribute.
    pub fn bool(&self, name: &str) -> Attr<bool> {
        match self.planned.attr(name) {
            Some(Value::Unknown) => Attr::Unknown,
            Some(v) => v.as_bool().map_or(Attr::Null, Attr::Known),
            None => Attr::Null,
        }
    }

    /// Sets a top-level attribute that is still unknown and that the configuration leaves unset;
    /// returns whether it was set.
    pub fn fill_unknown(&mut self, name: &str, value: Value) -> bool {
        if self.configured.attr(name).is_some_and(|v| !v.is_null()) {
            return false;
        }
        match self.planned {
            Value::Object(attrs) => match attrs.get_mut(name) {
                Some(slot @ Value::Unknown) => {
                    *slot = value;
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// A warning Terraform shows with the plan; the plan goes ahead.
    pub fn add_warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.diags.add_warning(summary, detail);
    }

    /// An error: Terraform shows it and the plan fails.
    pub fn add_error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.diags.add_error(summary, detail);
    }

    /// A warning about one attribute, underlined in the configuration.
    pub fn add_attribute_warning(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.diags.add_attribute_warning(path, summary, detail);
    }

    /// An error about one attribute, underlined in the configuration; the plan fails.
    pub fn add_attribute_error(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.diags.add_attribute_error(path, summary, detail);
    }

    /// Marks the change of `path` as one that destroys and recreates the resource, beside the
    /// schema's `requires_replace` attributes. Has no effect on a create, which replaces nothing.
    pub fn require_replace(&mut self, path: AttributePath) {
        if !self.requires_replace.contains(&path) {
            self.requires_replace.push(path);
        }
    }

    /// The planned values as they stand, to read like a configuration.
    pub fn config(&self) -> Config {
        Config::new(self.planned.clone())
    }

    /// The diagnostics so far, for helpers that report into a `Diagnostics`.
    pub fn diagnostics(&mut self) -> &mut Diagnostics {
        &mut self.diags
    }

    /// True when an error was added.
    pub fn has_errors(&self) -> bool {
        self.diags.has_errors()
    }

    /// The diagnostics added and the paths marked for replacement, in the order they came.
    pub(crate) fn finish(self) -> (Diagnostics, Vec<AttributePath>) {
        (self.diags, self.requires_replace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Severity;

    fn planned() -> Value {
        Value::Object(
            [
                ("id".to_owned(), Value::Unknown),
                ("name".to_owned(), Value::from("a")),
            ]
            .into_iter()
            .collect(),
        )
    }

    #[test]
    fn an_edit_collects_diagnostics_and_replacements_in_order_without_repeats() {
        let mut value = planned();
        let mut edit = PlanEdit::new(&mut value);
        edit.add_warning("Heads up", "the job is already ending");
        edit.add_attribute_error(AttributePath::attr("name"), "Bad name", "pick another");
        edit.require_replace(AttributePath::attr("name"));
        edit.require_replace(AttributePath::attr("name"));
        edit.require_replace(AttributePath::attr("id"));
        assert!(edit.has_errors());
        let (diags, replace) = edit.finish();
        let found: Vec<_> = diags
            .iter()
            .map(|d| (d.severity, d.summary.as_str(), d.attribute.clone()))
            .collect();
        assert_eq!(
            found,
            [
                (Severity::Warning, "Heads up", None),
                (
                    Severity::Error,
                    "Bad name",
                    Some(AttributePath::attr("name"))
                ),
            ]
        );
        assert_eq!(
            replace,
            [AttributePath::attr("name"), AttributePath::attr("id")]
        );
    }

    #[test]
    fn a_value_the_configuration_sets_is_never_filled_even_while_unknown() {
        let mut value = planned();
        let config = Value::Object([("id".to_owned(), Value::Unknown)].into_iter().collect());
        let mut edit = PlanEdit::new(&mut value).with_config(&config);
        assert!(!edit.fill_unknown("id", Value::from("x")));
        assert_eq!(edit.string("id"), Attr::Unknown);
        assert_eq!(edit.configured().string("id"), Attr::Unknown);
        assert!(edit.is_create());
        let prior = planned();
        assert!(!PlanEdit::new(&mut value).with_prior(&prior).is_create());
    }

    #[test]
    fn only_unknown_values_can_be_filled() {
        let mut value = planned();
        let mut edit = PlanEdit::new(&mut value);
        assert!(edit.fill_unknown("id", Value::from("x")));
        assert!(!edit.fill_unknown("name", Value::from("b")));
        assert_eq!(edit.string("id"), Attr::Known("x".to_owned()));
        assert_eq!(edit.string("name"), Attr::Known("a".to_owned()));
        let (diags, replace) = edit.finish();
        assert!(diags.is_empty() && replace.is_empty());
    }
}
