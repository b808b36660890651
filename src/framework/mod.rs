//! A small provider framework shaped like HashiCorp's terraform-plugin-framework.
//!
//! A provider implements [`Provider`] (which also says who it is, as a
//! [`crate::plugin::ProviderIdentity`], for the framework's messages); each resource implements
//! [`Resource`] with a plain serde model struct, and so on for [`DataSource`] and [`Action`].
//! A model field is an `Option<T>` (unknown reads as null) or an [`Attr<T>`] (null, unknown or
//! known); `model.rs` reads and writes models straight from Terraform values. Schemas are built
//! with [`Schema`] and [`Attribute`], checked by typed [`Validator`]s (`validator.rs`) and tied
//! to their models by [`model_fits_schema`] (`schema_fit.rs`); plans follow `plan.rs`, refined by
//! a resource through [`PlanEdit`] (values, diagnostics, replacements); stored states of an
//! earlier schema version go through the resource's [`StateUpgrader`]s (`upgrade.rs`); problems
//! are reported as [`Diagnostics`], on the attribute they concern.
//!
//! [`ProviderService`] turns all of it into the tfplugin6 gRPC service, in `server/`: one file
//! per kind of RPC (provider, resources, data sources, actions, the unsupported ones), routed
//! in `server/service.rs`. Protocol types and msgpack never leave `server/`: everything else
//! here speaks [`crate::tfvalue::Value`] and the framework's own types, and names no provider.

mod attr;
mod config;
mod context;
mod diagnostics;
pub mod docs;
pub mod duration;
mod model;
mod plan;
mod plan_edit;
mod provider;
mod resource;
mod schema;
mod schema_fit;
mod server;
mod upgrade;
mod validate;
pub mod validator;

pub use attr::Attr;
pub use config::Config;
pub use context::Ctx;
pub(crate) use context::RecordedState;
pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use plan::{Plan, plan_resource};
pub use plan_edit::PlanEdit;
pub use provider::{ConfigureRequest, Provider};
pub use resource::{
    Action, AnyAction, AnyDataSource, AnyResource, DataSource, Described, Progress, Resource,
    action, data_source, resource,
};
pub use schema::{Attribute, Block, Nesting, Rule, Schema, StringValidator};
pub use schema_fit::model_fits_schema;
pub use server::ProviderService;
pub use upgrade::{JsonObject, StateUpgrader, StoredState, UpgradeFn, upgrade_stored_state};
pub use validate::validate_against_schema;
pub use validator::{TypedValidator, Validator};
