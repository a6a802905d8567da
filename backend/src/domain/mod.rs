//! The rules of Pulse as functions over values: who may do what, how the audit chain
//! links. No I/O here.

pub mod access;
pub mod audit;
