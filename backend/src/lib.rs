//! The Pulse server: configuration, the HTTP application, the database layer.
//!
//! `main.rs` is a thin command line over [`server::serve`] and [`db::migrate`]; the
//! integration tests and the browser tests drive the same [`server`] through
//! [`testing`].

pub mod alerting;
pub mod api;
pub mod auth;
pub mod backup;
pub mod billing;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod errors;
pub mod mail;
pub mod privacy;
pub mod reports;
pub mod seed;
pub mod server;
pub mod spa;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod worker;

#[cfg(feature = "test-support")]
pub mod testing;
