//! Helpers shared by the integration tests.
//!
//! Include it with `pub mod common;` (not `mod common;`): a test crate's public items count as
//! used, so files that need only part of the helpers compile without dead-code warnings.

pub mod clients;
pub mod debug_provider;
pub mod emulator;
pub mod netns;
pub mod plugin_client;
pub mod scenario;
pub mod state;
pub mod terraform;
pub mod test_ca;
pub mod until;
pub mod wire;
