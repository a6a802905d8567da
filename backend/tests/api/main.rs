//! API tests: real HTTP against the real app, each test on a database of its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod activity;
mod agents;
mod alerts;
mod audit;
mod auth;
mod backup;
mod billing;
mod bodies;
mod cli;
mod common;
mod fuzz;
mod health;
mod isolation;
mod mail;
mod openapi;
mod people;
mod policies;
mod privacy;
mod problems;
mod replicas;
mod reports;
mod row_security;
mod screenshots;
mod seed;
mod spa;
mod subscriptions;
mod webhooks;
