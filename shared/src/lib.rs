//! The vocabulary of Pulse: every request and response body, shared by the backend,
//! the WASM app, the agent and the tests.
//!
//! Types here depend on serde only (plus `utoipa` behind the `openapi` feature, for the
//! backend's OpenAPI document, and `diesel` behind the `diesel` feature, for the
//! backend's rows), so the WASM app and the agent stay light.

pub mod access;
pub mod activity;
pub mod agents;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod ids;
pub mod page;
pub mod people;
pub mod policies;
pub mod privacy;
pub mod problem;
pub mod reports;
pub mod screenshots;
#[cfg(feature = "diesel")]
mod sql;
pub mod system;
pub mod teams;
pub mod text;
pub mod validate;
pub mod webhooks;

pub use page::{Page, PageQuery};
pub use problem::{FieldError, Problem, ProblemType};
