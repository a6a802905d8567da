//! Talking to the server, shared by the real agent and the simulator: the agent API
//! ([`api`]), when to retry ([`backoff`]) and the device credentials ([`credentials`]).

pub mod api;
pub mod backoff;
pub mod credentials;
