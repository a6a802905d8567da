//! The rules of Pulse as functions over values: who may do what, how the audit chain
//! links. No I/O here.

/// The permission table lives in `pulse-shared`, so the web app and the server read the same one.
pub use pulse_shared::access;
pub mod audit;
pub mod images;
pub mod policies;
pub mod sessions;
pub mod webhooks;
