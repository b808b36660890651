//! terraform-provider-mrs: a Terraform provider that kills jobs on Huawei Cloud MapReduce Service.
//!
//! A request travels top to bottom: [`plugin`] (go-plugin handshake, AutoMTLS, gRPC transport)
//! → [`framework`] (protocol dispatch, schemas, plans, diagnostics) → [`provider`] (the `mrs`
//! provider and its resources) → [`mrs`] (the API operations in `client`, signing, sending and
//! retrying in `transport`) → HTTP. [`tfvalue`] is Terraform's type system, its wire encodings
//! and serde over its values.
//!
//! [`plugin`] and [`framework`] name no provider: `main` hands [`plugin::run`] the provider's
//! [`plugin::ProviderIdentity`] ([`provider::IDENTITY`]), and the framework asks the provider for
//! it, so both layers could serve any other Rust provider. The local MRS the tests and the demo
//! run against is a crate of its own, `mrs-emulator` (the `emulator/` folder), outside the provider.

pub mod framework;
pub mod mrs;
pub mod plugin;
pub mod provider;
pub mod tfvalue;
