//! The tfplugin6 `Provider` gRPC service, implemented once for any [`Provider`].
//!
//! Every RPC of protocol 6.11 gets an answer: [`service`] routes each one, [`provider`] answers
//! for the provider itself (schemas, its block, StopProvider), [`resources`], [`data_sources`]
//! and [`actions`] dispatch to what the provider offers, and [`unsupported`] answers the RPCs it
//! cannot offer (functions, ephemeral and list resources, state stores, identity) with an empty
//! result or an error diagnostic naming what is missing. [`respond`] holds what every answer
//! shares (diagnostics, a panic turned into one, decoding) and [`convert`] the translation to
//! protocol types; nothing outside this folder sees those types.

mod actions;
mod convert;
mod data_sources;
mod provider;
mod resources;
mod respond;
mod service;
mod unsupported;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;

use super::{AnyAction, AnyDataSource, AnyResource, Ctx, Described, Provider};
use crate::plugin::ProviderIdentity;
use crate::plugin::proto::tfplugin6 as pb;
use crate::tfvalue::Type;

/// Serves a [`Provider`] over tfplugin6. Cheap to clone; all clones share one state.
pub struct ProviderService<P: Provider> {
    inner: Arc<Inner<P>>,
}

impl<P: Provider> Clone for ProviderService<P> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// What every RPC handler reads: the provider, what it offers, and the client it configured.
struct Inner<P: Provider> {
    provider: P,
    identity: ProviderIdentity,
    provider_schema: super::Schema,
    provider_type: Type,
    resources: HashMap<&'static str, Box<dyn AnyResource<P::Client>>>,
    data_sources: HashMap<&'static str, Box<dyn AnyDataSource<P::Client>>>,
    actions: HashMap<&'static str, Box<dyn AnyAction<P::Client>>>,
    schema_response: pb::get_provider_schema::Response,
    metadata_response: pb::get_metadata::Response,
    client: RwLock<Option<P::Client>>,
    stop: CancellationToken,
}

fn index<T: Described + ?Sized>(items: Vec<Box<T>>) -> HashMap<&'static str, Box<T>> {
    items
        .into_iter()
        .map(|item| (item.type_name(), item))
        .collect()
}

impl<P: Provider> ProviderService<P> {
    /// Builds every schema once. `stop` is cancelled by StopProvider and by process shutdown.
    pub fn new(provider: P, stop: CancellationToken) -> Self {
        let identity = provider.identity();
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = index(provider.resources());
        let data_sources = index(provider.data_sources());
        let actions = index(provider.actions());
        let schema_response =
            provider::schema_response(&provider_schema, &resources, &data_sources, &actions);
        let metadata_response = provider::metadata_response(&resources, &data_sources, &actions);
        Self {
            inner: Arc::new(Inner {
                provider,
                identity,
                provider_schema,
                provider_type,
                resources,
                data_sources,
                actions,
                schema_response,
                metadata_response,
                client: RwLock::new(None),
                stop,
            }),
        }
    }
}

impl<P: Provider> Inner<P> {
    fn ctx(&self) -> Ctx<P::Client> {
        self.ctx_with_stop(self.stop.clone())
    }

    /// A context whose stop token is `stop` (a child of the service's, for one invocation).
    fn ctx_with_stop(&self, stop: CancellationToken) -> Ctx<P::Client> {
        let client = self.client.read().ok().and_then(|guard| guard.clone());
        Ctx::new(client, stop, self.identity)
    }
}
