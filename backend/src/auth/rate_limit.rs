//! Limits on sign-in and sign-up attempts, per client address and per e-mail address,
//! so that guessing passwords is slow from one machine and slow against one account.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Attempts allowed per minute from one client address.
const PER_IP_PER_MINUTE: u32 = 30;
/// Attempts allowed per minute against one e-mail address.
const PER_EMAIL_PER_MINUTE: u32 = 10;
/// Unknown or closed invitation links tried per minute from one client address: people
/// joining are never slowed down, a guesser is (on a budget of its own, so it does not
/// lock sign-ins out).
const ACCEPT_MISSES_PER_IP_PER_MINUTE: u32 = 20;

#[derive(Clone)]
pub struct AuthRateLimits {
    by_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    by_email: Arc<DefaultKeyedRateLimiter<String>>,
    accept_misses_by_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl AuthRateLimits {
    pub fn new() -> Self {
        Self::with_quotas(PER_IP_PER_MINUTE, PER_EMAIL_PER_MINUTE)
    }

    pub fn with_quotas(per_ip: u32, per_email: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            by_ip: Arc::new(DefaultKeyedRateLimiter::keyed(quota(per_ip))),
            by_email: Arc::new(DefaultKeyedRateLimiter::keyed(quota(per_email))),
            accept_misses_by_ip: Arc::new(DefaultKeyedRateLimiter::keyed(quota(
                ACCEPT_MISSES_PER_IP_PER_MINUTE,
            ))),
        }
    }

    /// Counts one try of an unknown or closed invitation link; `Err` carries how long
    /// to wait.
    pub fn check_accept_miss(&self, ip: Option<IpAddr>) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        match ip {
            Some(ip) => self
                .accept_misses_by_ip
                .check_key(&ip)
                .map_err(|not_until| not_until.wait_time_from(clock.now())),
            None => Ok(()),
        }
    }

    /// Counts one attempt; `Err` carries how long to wait when over either limit.
    pub fn check(&self, ip: Option<IpAddr>, email: &str) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        let wait = |not_until: governor::NotUntil<_>| not_until.wait_time_from(clock.now());
        if let Some(ip) = ip {
            self.by_ip.check_key(&ip).map_err(wait)?;
        }
        self.by_email
            .check_key(&email.trim().to_lowercase())
            .map_err(wait)?;
        Ok(())
    }

    /// Forgets keys whose limits have fully refilled, to bound memory.
    pub fn prune(&self) {
        self.by_ip.retain_recent();
        self.by_email.retain_recent();
        self.accept_misses_by_ip.retain_recent();
    }
}

impl Default for AuthRateLimits {
    fn default() -> Self {
        Self::new()
    }
}

/// A limit per person on actions that send something on their behalf (test alerts,
/// test webhook deliveries), so a stuck button or a script cannot flood an inbox or an
/// integrator's endpoint.
#[derive(Clone)]
pub struct PerPersonLimit(Arc<DefaultKeyedRateLimiter<uuid::Uuid>>);

impl PerPersonLimit {
    pub fn per_minute(count: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN));
        Self(Arc::new(DefaultKeyedRateLimiter::keyed(quota)))
    }

    /// Counts one use; `Err` carries how long to wait.
    pub fn check(&self, person: uuid::Uuid) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        self.0
            .check_key(&person)
            .map_err(|not_until| not_until.wait_time_from(clock.now()))
    }

    pub fn prune(&self) {
        self.0.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_email_and_per_ip() {
        let limits = AuthRateLimits::with_quotas(5, 2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limits.check(Some(ip), "a@example.com").is_ok());
        assert!(limits.check(Some(ip), "A@example.com ").is_ok());
        let wait = limits.check(Some(ip), "a@example.com").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        // Other addresses from the same machine still work until the per-IP limit.
        assert!(limits.check(Some(ip), "b@example.com").is_ok());
        assert!(limits.check(Some(ip), "c@example.com").is_ok());
        assert!(limits.check(Some(ip), "d@example.com").is_err());
    }

    #[test]
    fn limits_per_person() {
        let limit = PerPersonLimit::per_minute(2);
        let (ada, bob) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        assert!(limit.check(ada).is_ok() && limit.check(ada).is_ok());
        assert!(limit.check(ada).is_err());
        assert!(limit.check(bob).is_ok());
    }
}
