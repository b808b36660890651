//! MRS API client.
pub mod signer;
