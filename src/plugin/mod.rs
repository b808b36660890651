//! The go-plugin side of the provider: what lets Terraform start, trust and talk to this binary.
//!
//! Terraform launches the provider as a go-plugin subprocess: [`handshake`] checks the environment
//! it was given and formats the reply line, [`tls`] does AutoMTLS, [`listener`] owns the socket,
//! [`logging`] speaks hclog's JSON on stderr, [`debug`] handles `--debug`, and [`serve`] ties them
//! together into [`run`], the whole of `main`.
//!
//! Nothing here names a provider. What the runtime must show — the registry address in the
//! reattach line, the binary's name and help text, the certificate's organisation, the socket
//! directory's prefix, the crate whose logs are the provider's — comes from the
//! [`ProviderIdentity`] handed to [`run`] ([`identity`]).

pub mod debug;
pub mod goplugin_services;
pub mod handshake;
pub mod identity;
pub mod listener;
pub mod logging;
pub mod serve;
pub mod tls;

pub use identity::ProviderIdentity;
pub use serve::{ServeContext, run};

/// Code generated from `proto/` by the build script.
pub mod proto {
    /// Terraform's plugin protocol, version 6.
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    /// go-plugin's own services: controller, stdio, broker.
    pub mod goplugin {
        tonic::include_proto!("plugin");
    }
}
