//! The framework's promises pinned through [`ProviderService`] itself, RPC by RPC, with a tiny
//! provider of its own: `thing.rs` is its resource, and each other file pins one kind of RPC.

mod actions;
mod apply;
mod plan;
mod thing;
mod upgrade;
mod validate;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tonic::Request;

use crate::framework::{
    Action, AnyAction, AnyResource, Attr, Attribute, Config, ConfigureRequest, Ctx, Diagnostics,
    PlanEdit, Progress, Provider, ProviderService, Resource, Schema, action, resource,
};
use crate::plugin::ProviderIdentity;
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::proto::tfplugin6::provider_server::Provider as _;
use crate::tfvalue::{self, AttributePath, Type, Value};

const IDENTITY: ProviderIdentity = ProviderIdentity {
    name: "test",
    address: "registry.terraform.io/example/test",
    binary: "terraform-provider-test",
    version: "0.0.0",
    description: "A provider for the framework's own tests.",
    api: "Test",
    log_target: "terraform_provider_test",
};

/// How the test resource's create and update end.
#[derive(Debug, Clone, Copy, Default)]
pub(super) enum Ending {
    /// Success.
    #[default]
    Clean,
    /// An error, with the new state returned anyway.
    StateWithError,
    /// An error and nothing to save (`create` only).
    NothingWithError,
    /// Records the new state through the context, then panics.
    PanicAfterRecording,
    /// Panics before recording anything.
    Panic,
}

/// What the test provider's parts do.
#[derive(Default)]
pub(super) struct Script {
    pub(super) create: Ending,
    pub(super) update: Ending,
    pub(super) actions: Vec<Box<dyn AnyAction<()>>>,
}

impl Script {
    /// A fresh provider service that follows this script: the one set-up every test shares.
    pub(super) fn serve(self) -> ProviderService<TestProvider> {
        TestProvider::serve(self, CancellationToken::new())
    }
}

/// Offers `test_thing` and the script's actions.
pub(super) struct TestProvider {
    create: Ending,
    update: Ending,
    // Boxed actions cannot be cloned; the service asks for them once.
    actions: std::sync::Mutex<Vec<Box<dyn AnyAction<()>>>>,
}

impl TestProvider {
    pub(super) fn serve(script: Script, stop: CancellationToken) -> ProviderService<Self> {
        let provider = TestProvider {
            create: script.create,
            update: script.update,
            actions: std::sync::Mutex::new(script.actions),
        };
        ProviderService::new(provider, stop)
    }
}

#[async_trait]
impl Provider for TestProvider {
    type Client = ();

    fn identity(&self) -> ProviderIdentity {
        IDENTITY
    }

    fn schema(&self) -> Schema {
        Schema::default()
    }

    async fn configure(&self, _: ConfigureRequest, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource<()>>> {
        vec![
            resource(thing::Thing {
                create: self.create,
                update: self.update,
            }),
            resource(validate::Selection),
            resource(upgrade::Renamed),
        ]
    }

    fn actions(&self) -> Vec<Box<dyn AnyAction<()>>> {
        self.actions
            .lock()
            .map(|mut actions| std::mem::take(&mut *actions))
            .unwrap_or_default()
    }
}

pub(super) fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: tfvalue::encode_msgpack(value, ty).expect("encode"),
        json: Vec::new(),
    })
}

fn error_summaries(diagnostics: &[pb::Diagnostic]) -> Vec<&str> {
    diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| d.summary.as_str())
        .collect()
}
