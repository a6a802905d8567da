//! The Pulse desktop agent as a library: the real agent (capture behind a platform
//! trait, event building, the policy applied on the computer, the on-disk spool), the
//! client both it and the load simulator use, and the simulator behind
//! `pulse-agent simulate`, whose made-up activity `pulse-bench` also writes straight
//! into Postgres to compare with the API.

pub mod capture;
pub mod client;
pub mod config;
pub mod events;
pub mod logging;
pub mod paths;
pub mod policy;
pub mod run;
pub mod screenshot;
pub mod simulate;
pub mod spool;
