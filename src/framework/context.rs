//! What every resource, data source and action call receives besides its own values.

use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::Diagnostics;
use super::model::from_model;
use crate::plugin::ProviderIdentity;
use crate::tfvalue::{Type, Value};

/// Where an apply keeps the state its resource has recorded so far, for the panic guard.
#[derive(Debug)]
pub(crate) struct RecordedState {
    ty: Type,
    recorded: Mutex<Option<Value>>,
}

impl RecordedState {
    pub(crate) fn new(ty: Type) -> Arc<Self> {
        Arc::new(Self {
            ty,
            recorded: Mutex::new(None),
        })
    }

    /// The last state recorded, if any.
    pub(crate) fn take(&self) -> Option<Value> {
        self.recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// The configured provider's client and the stop signal for one call.
#[derive(Debug, Clone)]
pub struct Ctx<C> {
    client: Option<C>,
    stop: CancellationToken,
    identity: ProviderIdentity,
    recorded: Option<Arc<RecordedState>>,
    planned_private: Vec<u8>,
}

impl<C> Ctx<C> {
    pub(crate) fn new(
        client: Option<C>,
        stop: CancellationToken,
        identity: ProviderIdentity,
    ) -> Self {
        Self {
            client,
            stop,
            identity,
            recorded: None,
            planned_private: Vec::new(),
        }
    }

    /// This context, for the apply of a plan whose private bytes are `private`.
    pub(crate) fn with_planned_private(mut self, private: Vec<u8>) -> Self {
        self.planned_private = private;
        self
    }

    /// In an apply, the private bytes of the plan being applied (tfplugin6 `planned_private`,
    /// set by `modify_plan` through `PlanEdit::set_private`); empty elsewhere.
    pub fn planned_private(&self) -> &[u8] {
        &self.planned_private
    }

    /// This context, keeping what [`Ctx::record_progress`] records in `progress`.
    pub(crate) fn recording(mut self, recorded: Arc<RecordedState>) -> Self {
        self.recorded = Some(recorded);
        self
    }

    /// Records `model` as what the apply has achieved so far (say, the kills a remote system has
    /// accepted). Should the resource panic before it returns, the framework saves this state
    /// with the panic's error instead of losing it; a normal return replaces it. Outside an apply
    /// it does nothing.
    pub fn record_progress<M: Serialize>(&self, model: &M) {
        let Some(progress) = &self.recorded else {
            return;
        };
        let mut ignored = Diagnostics::new();
        if let Some(value) = from_model(model, &progress.ty, &mut ignored) {
            *progress
                .recorded
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(value);
        }
    }

    /// The client the provider built in `configure`. When the provider was not configured (its
    /// configuration was still unknown, or configure failed), adds an error saying so.
    pub fn client(&self, diags: &mut Diagnostics) -> Option<&C> {
        if self.client.is_none() {
            diags.add_error(
                "Provider not configured",
                format!(
                    "The {} provider has no usable configuration in this run, so it cannot call the \
                     {} API. Check the provider block for values that are only known after apply, \
                     and for earlier errors from the provider.",
                    self.identity.name, self.identity.api
                ),
            );
        }
        self.client.as_ref()
    }

    /// The client, if the provider was configured, without reporting anything when it was not
    /// (for optional work such as filling in a plan).
    pub fn configured(&self) -> Option<&C> {
        self.client.as_ref()
    }

    /// The provider's identity, for messages that name it.
    pub fn identity(&self) -> &ProviderIdentity {
        &self.identity
    }

    /// Cancelled when Terraform asks the provider to stop (Ctrl-C) or the process shuts down.
    pub fn stop_token(&self) -> &CancellationToken {
        &self.stop
    }
}
