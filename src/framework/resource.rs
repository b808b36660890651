//! The shapes a provider author implements: [`Resource`], [`DataSource`] and [`Action`], each
//! with a typed model struct, plus the type-erased forms the dispatcher holds.

use std::marker::PhantomData;

use async_trait::async_trait;
use serde::{Serialize, de::DeserializeOwned};
use tokio::sync::mpsc;

use super::model::{from_model, to_model};
use super::schema_fit::model_fits_schema;
use super::upgrade::StateUpgrader;
use super::{Config, Ctx, Diagnostics, PlanEdit, Schema};
use crate::tfvalue::{Type, Value};

/// A managed resource, shaped like terraform-plugin-framework's `resource.Resource`.
#[async_trait]
pub trait Resource<C: Send + Sync + 'static>: Send + Sync + 'static {
    /// The resource's values as a plain struct; field names are attribute names.
    type Model: Serialize + DeserializeOwned + Send + Sync;

    /// Full type name: the provider's name, `_`, the resource's, e.g. `example_thing`.
    fn type_name(&self) -> &'static str;

    /// The resource's schema.
    fn schema(&self) -> Schema;

    /// Extra checks beyond the schema's validators; values may be unknown.
    fn validate(&self, _config: &Config, _diags: &mut Diagnostics) {}

    /// How to read states stored with an earlier schema version: one upgrader per prior
    /// version, each going straight to the schema's current version (terraform-plugin-framework's
    /// `ResourceWithUpgradeState`). None while the schema has never changed.
    fn state_upgraders(&self) -> Vec<StateUpgrader> {
        Vec::new()
    }

    /// Fills in computed values that are already known at plan time (the framework has applied
    /// defaults and marked the rest unknown), and may add diagnostics or require a replacement
    /// through [`PlanEdit`]. Runs for creates, updates and replacements.
    /// It is async so it may ask the remote API (to name in a warning what the apply will do);
    /// a value read that way must not go into the plan, where Terraform's apply-time re-plan
    /// would find it changed.
    async fn modify_plan(&self, _ctx: &Ctx<C>, _plan: &mut PlanEdit<'_>) {}

    /// Creates the resource. `None` (with an error) leaves nothing in state. `Some` together
    /// with an error is saved, and Terraform marks it tainted: what really happened (a request
    /// the remote system accepted before a later step failed) is never lost, as with terraform-plugin-framework's
    /// `resp.State` on errors.
    async fn create(
        &self,
        ctx: &Ctx<C>,
        planned: Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;

    /// Refreshes the state; `None` means the remote object is gone.
    async fn read(
        &self,
        ctx: &Ctx<C>,
        state: Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;

    /// Applies an in-place change. What it returns is saved, errors or not: return `prior` to
    /// keep the old state when nothing changed remotely.
    async fn update(
        &self,
        ctx: &Ctx<C>,
        prior: Self::Model,
        planned: Self::Model,
        diags: &mut Diagnostics,
    ) -> Self::Model;

    /// Destroys the resource.
    async fn delete(&self, ctx: &Ctx<C>, prior: Self::Model, diags: &mut Diagnostics);

    /// Imports an existing object by ID. Refused unless a resource says otherwise.
    async fn import(
        &self,
        _ctx: &Ctx<C>,
        _id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model> {
        diags.add_error(
            "Import is not supported",
            format!("The {} resource cannot be imported.", self.type_name()),
        );
        None
    }
}

/// A data source: reads something and exposes it as attributes.
#[async_trait]
pub trait DataSource<C: Send + Sync + 'static>: Send + Sync + 'static {
    /// The data source's values as a plain struct.
    type Model: Serialize + DeserializeOwned + Send + Sync;

    /// Full type name, e.g. `example_lookup`.
    fn type_name(&self) -> &'static str;

    /// The data source's schema.
    fn schema(&self) -> Schema;

    /// Extra checks beyond the schema's validators; values may be unknown.
    fn validate(&self, _config: &Config, _diags: &mut Diagnostics) {}

    /// Reads the data, given the configuration.
    async fn read(
        &self,
        ctx: &Ctx<C>,
        config: Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;
}

/// Where an action reports progress while it runs; Terraform prints each message.
#[derive(Debug, Clone)]
pub struct Progress(mpsc::UnboundedSender<String>);

impl Progress {
    /// A progress channel and its receiving end.
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self(tx), rx)
    }

    /// Sends one progress message. A listener that went away is not an error for the action.
    pub fn report(&self, message: impl Into<String>) {
        let _ = self.0.send(message.into());
    }
}

/// An action (protocol 6.10): an operation invoked from a plan that keeps nothing in state.
#[async_trait]
pub trait Action<C: Send + Sync + 'static>: Send + Sync + 'static {
    /// The action's configuration as a plain struct.
    type Model: Serialize + DeserializeOwned + Send + Sync;

    /// Full type name, e.g. `example_restart`.
    fn type_name(&self) -> &'static str;

    /// The action's schema.
    fn schema(&self) -> Schema;

    /// Extra checks beyond the schema's validators; values may be unknown.
    fn validate(&self, _config: &Config, _diags: &mut Diagnostics) {}

    /// Runs the action, reporting progress as it goes.
    async fn invoke(
        &self,
        ctx: &Ctx<C>,
        config: Self::Model,
        progress: &Progress,
        diags: &mut Diagnostics,
    );
}

/// The parts of a resource, data source or action that the dispatcher needs without its model type.
pub trait Described {
    /// Full type name.
    fn type_name(&self) -> &'static str;
    /// The schema, built once.
    fn schema(&self) -> &Schema;
    /// The schema's object type, built once.
    fn value_type(&self) -> &Type;
    /// Extra validation.
    fn validate(&self, config: &Config, diags: &mut Diagnostics);
    /// Whether the model struct names exactly the schema's attributes
    /// ([`super::model_fits_schema`]); a test runs it for every type a provider offers.
    fn check_model(&self) -> Result<(), String>;
}

/// A resource with its model type erased; build one with [`resource`].
#[async_trait]
pub trait AnyResource<C>: Described + Send + Sync {
    /// See [`Resource::state_upgraders`].
    fn state_upgraders(&self) -> Vec<StateUpgrader>;
    /// See [`Resource::modify_plan`].
    async fn modify_plan(&self, ctx: &Ctx<C>, plan: &mut PlanEdit<'_>);
    /// See [`Resource::create`]; null when nothing was created.
    async fn create(&self, ctx: &Ctx<C>, planned: &Value, diags: &mut Diagnostics) -> Value;
    /// See [`Resource::read`].
    async fn read(&self, ctx: &Ctx<C>, state: &Value, diags: &mut Diagnostics) -> Value;
    /// See [`Resource::update`].
    async fn update(
        &self,
        ctx: &Ctx<C>,
        prior: &Value,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Value;
    /// See [`Resource::delete`].
    async fn delete(&self, ctx: &Ctx<C>, prior: &Value, diags: &mut Diagnostics);
    /// See [`Resource::import`].
    async fn import(&self, ctx: &Ctx<C>, id: &str, diags: &mut Diagnostics) -> Value;
}

/// A data source with its model type erased; build one with [`data_source`].
#[async_trait]
pub trait AnyDataSource<C>: Described + Send + Sync {
    /// See [`DataSource::read`]; returns null on failure.
    async fn read(&self, ctx: &Ctx<C>, config: &Value, diags: &mut Diagnostics) -> Value;
}

/// An action with its model type erased; build one with [`action`].
#[async_trait]
pub trait AnyAction<C>: Described + Send + Sync {
    /// See [`Action::invoke`].
    async fn invoke(
        &self,
        ctx: &Ctx<C>,
        config: &Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    );
}

/// Holds an implementation with its schema and type computed once.
struct Erased<T, C> {
    inner: T,
    schema: Schema,
    ty: Type,
    _client: PhantomData<fn() -> C>,
}

fn erase<T, C>(inner: T, schema: Schema) -> Erased<T, C> {
    let ty = schema.value_type();
    Erased {
        inner,
        schema,
        ty,
        _client: PhantomData,
    }
}

/// Wraps a typed resource for [`super::Provider::resources`].
pub fn resource<C: Send + Sync + 'static, R: Resource<C>>(r: R) -> Box<dyn AnyResource<C>> {
    let schema = r.schema();
    Box::new(erase(ResourceTag(r), schema))
}

/// Wraps a typed data source for [`super::Provider::data_sources`].
pub fn data_source<C: Send + Sync + 'static, D: DataSource<C>>(d: D) -> Box<dyn AnyDataSource<C>> {
    let schema = d.schema();
    Box::new(erase(DataSourceTag(d), schema))
}

/// Wraps a typed action for [`super::Provider::actions`].
pub fn action<C: Send + Sync + 'static, A: Action<C>>(a: A) -> Box<dyn AnyAction<C>> {
    let schema = a.schema();
    Box::new(erase(ActionTag(a), schema))
}

// One newtype per kind keeps the three blanket impls of `Described` from overlapping.
struct ResourceTag<R>(R);
struct DataSourceTag<D>(D);
struct ActionTag<A>(A);

macro_rules! forward_described {
    ($tag:ident, $trait:ident) => {
        impl<T: $trait<C>, C: Send + Sync + 'static> Described for Erased<$tag<T>, C> {
            fn type_name(&self) -> &'static str {
                self.inner.0.type_name()
            }
            fn schema(&self) -> &Schema {
                &self.schema
            }
            fn value_type(&self) -> &Type {
                &self.ty
            }
            fn validate(&self, config: &Config, diags: &mut Diagnostics) {
                self.inner.0.validate(config, diags)
            }
            fn check_model(&self) -> Result<(), String> {
                model_fits_schema::<<T as $trait<C>>::Model>(&self.schema)
            }
        }
    };
}

forward_described!(ResourceTag, Resource);
forward_described!(DataSourceTag, DataSource);
forward_described!(ActionTag, Action);

#[async_trait]
impl<R: Resource<C>, C: Send + Sync + 'static> AnyResource<C> for Erased<ResourceTag<R>, C> {
    fn state_upgraders(&self) -> Vec<StateUpgrader> {
        self.inner.0.state_upgraders()
    }

    async fn modify_plan(&self, ctx: &Ctx<C>, plan: &mut PlanEdit<'_>) {
        self.inner.0.modify_plan(ctx, plan).await;
    }

    async fn create(&self, ctx: &Ctx<C>, planned: &Value, diags: &mut Diagnostics) -> Value {
        let Some(model) = to_model(planned, diags) else {
            return Value::Null;
        };
        match self.inner.0.create(ctx, model, diags).await {
            Some(model) => from_model(&model, &self.ty, diags).unwrap_or(Value::Null),
            None => Value::Null,
        }
    }

    async fn read(&self, ctx: &Ctx<C>, state: &Value, diags: &mut Diagnostics) -> Value {
        let Some(model) = to_model(state, diags) else {
            return state.clone();
        };
        match self.inner.0.read(ctx, model, diags).await {
            Some(model) => from_model(&model, &self.ty, diags).unwrap_or_else(|| state.clone()),
            None => Value::Null,
        }
    }

    async fn update(
        &self,
        ctx: &Ctx<C>,
        prior: &Value,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Value {
        let (Some(prior_model), Some(planned_model)) =
            (to_model(prior, diags), to_model(planned, diags))
        else {
            return prior.clone();
        };
        let updated = self
            .inner
            .0
            .update(ctx, prior_model, planned_model, diags)
            .await;
        from_model(&updated, &self.ty, diags).unwrap_or_else(|| prior.clone())
    }

    async fn delete(&self, ctx: &Ctx<C>, prior: &Value, diags: &mut Diagnostics) {
        if let Some(model) = to_model(prior, diags) {
            self.inner.0.delete(ctx, model, diags).await;
        }
    }

    async fn import(&self, ctx: &Ctx<C>, id: &str, diags: &mut Diagnostics) -> Value {
        match self.inner.0.import(ctx, id, diags).await {
            Some(model) => from_model(&model, &self.ty, diags).unwrap_or(Value::Null),
            None => Value::Null,
        }
    }
}

#[async_trait]
impl<D: DataSource<C>, C: Send + Sync + 'static> AnyDataSource<C> for Erased<DataSourceTag<D>, C> {
    async fn read(&self, ctx: &Ctx<C>, config: &Value, diags: &mut Diagnostics) -> Value {
        let Some(model) = to_model(config, diags) else {
            return Value::Null;
        };
        match self.inner.0.read(ctx, model, diags).await {
            Some(model) if !diags.has_errors() => {
                from_model(&model, &self.ty, diags).unwrap_or(Value::Null)
            }
            _ => Value::Null,
        }
    }
}

#[async_trait]
impl<A: Action<C>, C: Send + Sync + 'static> AnyAction<C> for Erased<ActionTag<A>, C> {
    async fn invoke(
        &self,
        ctx: &Ctx<C>,
        config: &Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        if let Some(model) = to_model(config, diags) {
            self.inner.0.invoke(ctx, model, progress, diags).await;
        }
    }
}
