//! A person's own data, theirs to see and to erase (GDPR articles 15, 17 and 20):
//! [`export`] builds the ZIP archive of everything Pulse holds about one person (the
//! worker `worker::exports` runs it; the routes are `api::exports`), and [`erasure`]
//! removes a person's data once their deletion grace has passed (run by the retention
//! job), pseudonymising their audit events so the chain still verifies.

pub mod erasure;
pub mod export;
