//! Reports: what people's computers reported, rolled up per hour and day as it
//! arrives, classified at query time by the company's rules, and answered in
//! milliseconds however long the range.
//!
//! - `catalogue`, `classify`, `rules`: how time in an application or site counts.
//! - `time`: the time report; `attendance`: days against working hours.
//! - `email`: scheduled summaries by e-mail.
//! - `coverage`: which seconds of an hour were reported, so two computers count once.
//! - `subjects`: the dictionary of applications and sites.
//! - `rollup`: folds the session builder's events into hours and days.
//! - `zones`: the time zones reports and rollups may use.

pub mod attendance;
pub mod catalogue;
pub mod classify;
pub mod coverage;
pub mod email;
pub mod rollup;
pub mod rules;
pub mod subjects;
pub mod time;
pub mod zones;
