//! terraform-provider-mrs: a Terraform provider that kills jobs on Huawei Cloud MapReduce Service.
//!
//! A request travels top to bottom: [`plugin`] (go-plugin handshake, AutoMTLS, gRPC transport)
//! → [`framework`] (protocol dispatch, schemas, plans, diagnostics) → [`provider`] (the `mrs`
//! provider and its resources) → [`mrs`] (API client, AK/SK signing, retries) → HTTP.
//! [`tfvalue`] is Terraform's type system and wire encodings. The local MRS the tests and the demo
//! run against is a crate of its own, `mrs-emulator` (the `emulator/` folder), outside the provider.

pub mod framework;
pub mod mrs;
pub mod plugin;
pub mod provider;
pub mod tfvalue;
