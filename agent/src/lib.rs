//! The Pulse desktop agent as a library: the load simulator behind
//! `pulse-agent simulate`, whose made-up activity `pulse-bench` also writes straight
//! into Postgres to compare with the API.

pub mod simulate;
