//! Identity: password hashing, access tokens, refresh tokens, API keys, and the
//! [`Principal`](principal::Principal) extractor every protected handler takes.

pub mod device;
pub mod device_cache;
pub mod password;
pub mod principal;
pub mod rate_limit;
pub mod secrets;
pub mod tokens;
