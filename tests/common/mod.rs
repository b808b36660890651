//! Helpers shared by the integration test binaries.

pub mod emulator;
pub mod terraform;
