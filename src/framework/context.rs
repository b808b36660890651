//! What every resource, data source and action call receives besides its own values.

use tokio_util::sync::CancellationToken;

use super::Diagnostics;
use crate::plugin::ProviderIdentity;

/// The configured provider's client and the stop signal for one call.
#[derive(Debug, Clone)]
pub struct Ctx<C> {
    client: Option<C>,
    stop: CancellationToken,
    identity: ProviderIdentity,
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
