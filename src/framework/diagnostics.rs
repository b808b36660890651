//! Diagnostics: the errors and warnings a provider hands back to Terraform.
//!
//! Like terraform-plugin-framework, they accumulate in a list that every handler appends to;
//! nothing in a provider panics or exits to report a problem.

use crate::tfvalue::AttributePath;

/// How serious a diagnostic is. An error stops Terraform's operation; a warning is shown and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The operation failed.
    Error,
    /// The operation went ahead, with something the user should know.
    Warning,
}

/// One message for the user, optionally pinned to the attribute it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line: what happened.
    pub summary: String,
    /// The rest: why, and what to do.
    pub detail: String,
    /// The attribute the message is about; Terraform underlines it in the configuration.
    pub attribute: Option<AttributePath>,
}

/// An ordered list of diagnostics collected while handling one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an error that concerns the whole request.
    pub fn add_error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, None);
    }

    /// Adds a warning that concerns the whole request.
    pub fn add_warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, None);
    }

    /// Adds an error about one attribute.
    pub fn add_attribute_error(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Error, summary, detail, Some(path));
    }

    /// Adds a warning about one attribute.
    pub fn add_attribute_warning(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Warning, summary, detail, Some(path));
    }

    /// Adds an error at `path`, the place a decoder or encoder stopped (its
    /// [`crate::tfvalue::ValueError::path`]): an attribute error Terraform underlines, or an
    /// error about the whole request when the path is the root.
    pub fn add_error_at(
        &mut self,
        path: &AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        let attribute = (!path.is_root()).then(|| path.clone());
        self.push(Severity::Error, summary, detail, attribute);
    }

    /// Appends a ready-made diagnostic.
    pub fn push_diagnostic(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Appends every diagnostic of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// True when the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diagnostics in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    fn push(
        &mut self,
        severity: Severity,
        summary: impl Into<String>,
        detail: impl Into<String>,
        attribute: Option<AttributePath>,
    ) {
        self.0.push(Diagnostic {
            severity,
            summary: summary.into(),
            detail: detail.into(),
            attribute,
        });
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
