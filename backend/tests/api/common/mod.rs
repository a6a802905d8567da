//! Helpers shared by the API tests, by theme. Test modules import from here only,
//! never from one another.
//!
//! - `session`: signing up, signing in and carrying a session;
//! - `http`: requests as a person, typed bodies, problem fields;
//! - `db`: SQL on the test's database;
//! - `fixtures`: `Org`, a company with one person of each role, its builder, policies;
//! - `agents`: enrollment tokens, enrolling a computer, agent calls, heartbeats;
//! - `activity`: activity events and their upload;
//! - `screenshots`: images made up for the tests and their upload;
//! - `snapshots`: answers made ready for insta snapshots (varying values redacted).

pub mod activity;
pub mod agents;
pub mod db;
pub mod fixtures;
pub mod http;
pub mod screenshots;
pub mod session;
pub mod snapshots;

pub use db::{scalar, sql};
pub use fixtures::{Org, invite_and_join};
pub use http::{fields, get, get_json, json, lookup_invitation, post, send};
pub use session::{PASSWORD, Session, login, refresh, refresh_cookie, session_from, signup};
