//! Rate limits, counted in Postgres so that every replica sees the same counts: N
//! replicas do not give N times the budget. Each limit is a fixed window of hits per
//! key (an address, an account, a person); keys are stored as SHA-256, so the table
//! holds no addresses or e-mails. Limits on guessing count failures only (a person who
//! signs in right is never slowed down), and an account's failures are counted per
//! client address as well as in all, so one machine's wrong guesses do not lock the
//! account for everyone.
//!
//! The client address is the peer's, or, when the peer is one of `PULSE_TRUSTED_PROXIES`,
//! the nearest address in `X-Forwarded-For` that is not a trusted proxy.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Bytea, Integer, Interval, Timestamptz};
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::db::{self, Db};
use crate::errors::ApiError;

/// A limit: at most `hits` per `window` and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Names the counter; part of every key.
    pub name: &'static str,
    pub hits: i32,
    pub window: Duration,
}

const MINUTE: Duration = Duration::from_secs(60);

/// Wrong sign-ins from one client address.
pub const LOGIN_FAILURES_PER_ADDRESS: Limit = Limit {
    name: "login-failures/address",
    hits: 30,
    window: MINUTE,
};
/// Wrong sign-ins to one account from one client address.
pub const LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS: Limit = Limit {
    name: "login-failures/account+address",
    hits: 10,
    window: MINUTE,
};
/// Wrong sign-ins to one account from anywhere: a guessing network, slowed down.
pub const LOGIN_FAILURES_PER_ACCOUNT: Limit = Limit {
    name: "login-failures/account",
    hits: 100,
    window: MINUTE,
};
/// Sign-ups (each hashes a password) from one client address.
pub const SIGNUPS_PER_ADDRESS: Limit = Limit {
    name: "signups/address",
    hits: 30,
    window: MINUTE,
};
/// Sign-up e-mails sent to one address: a mailbox is not flooded.
pub const SIGNUPS_PER_EMAIL: Limit = Limit {
    name: "signups/email",
    hits: 3,
    window: Duration::from_secs(15 * 60),
};
/// Secrets that named nothing (invitation links, enrollment tokens, refresh cookies)
/// from one client address.
pub const SECRET_MISSES_PER_ADDRESS: Limit = Limit {
    name: "secret-misses/address",
    hits: 20,
    window: MINUTE,
};
/// Password-reset e-mails asked for from one client address.
pub const RESETS_PER_ADDRESS: Limit = Limit {
    name: "resets/address",
    hits: 10,
    window: MINUTE,
};
/// Password-reset e-mails asked for one account: a mailbox is not flooded.
pub const RESETS_PER_ACCOUNT: Limit = Limit {
    name: "resets/account",
    hits: 3,
    window: Duration::from_secs(15 * 60),
};
/// Wrong current passwords given by one person changing theirs.
pub const PASSWORD_FAILURES_PER_PERSON: Limit = Limit {
    name: "password-failures/person",
    hits: 10,
    window: MINUTE,
};
/// Invitations one person sends.
pub const INVITATIONS_PER_PERSON: Limit = Limit {
    name: "invitations/person",
    hits: 60,
    window: MINUTE,
};
/// Things one person has sent on their behalf: test alerts, test webhook deliveries and
/// replays, so a stuck button or a script cannot flood an inbox or an endpoint.
pub const SENDS_PER_PERSON: Limit = Limit {
    name: "sends/person",
    hits: 60,
    window: MINUTE,
};
/// Billing actions of one company that call Stripe (card set-ups, previews, plan and
/// renewal changes): a stuck button or a script cannot run up Stripe's rate limit or
/// fill the account with SetupIntents.
pub const STRIPE_CALLS_PER_COMPANY: Limit = Limit {
    name: "stripe/company",
    hits: 30,
    window: MINUTE,
};
/// Alert stream tickets one person takes (a browser takes one per connection).
pub const STREAM_TICKETS_PER_PERSON: Limit = Limit {
    name: "stream-tickets/person",
    hits: 60,
    window: MINUTE,
};

/// How long counters are kept after their window began: longer than any window.
pub const KEEP_COUNTERS: chrono::Duration = chrono::Duration::hours(1);

/// Keys this replica remembers as over their limit, at most; past it, the ones whose
/// windows ended are forgotten.
const MAX_REMEMBERED: usize = 10_000;

/// The shared counters, and what this replica knows is over its limit: a key over the
/// limit is answered from memory until its window ends, so a flood past the limit costs
/// no database work at all.
#[derive(Clone)]
pub struct RateLimits {
    db: Db,
    clock: Clock,
    over: Arc<Mutex<HashMap<Vec<u8>, DateTime<Utc>>>>,
}

impl RateLimits {
    pub fn new(db: Db, clock: Clock) -> Self {
        Self {
            db,
            clock,
            over: Arc::default(),
        }
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, DateTime<Utc>>> {
        self.over.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// 429 when this replica already knows `key` went over `limit` in the current
    /// window; asks nothing of the database. For limits counted after the fact (misses),
    /// where the count itself ([`RateLimits::hit`]) decides the rest.
    pub fn refuse_known(&self, limit: Limit, key: &str) -> Result<(), ApiError> {
        self.known_over(&counter_key(limit, key), self.clock.now())
    }

    /// 429 when this replica knows `key` is over its limit until a time still ahead.
    fn known_over(&self, key: &[u8], now: DateTime<Utc>) -> Result<(), ApiError> {
        match self.remembered().get(key) {
            Some(until) if *until > now => Err(ApiError::too_many(
                (*until - now).to_std().unwrap_or(Duration::from_secs(1)),
            )),
            _ => Ok(()),
        }
    }

    /// Remembers that `key` is over its limit until `until`.
    fn remember_over(&self, key: Vec<u8>, until: DateTime<Utc>, now: DateTime<Utc>) {
        let mut over = self.remembered();
        if over.len() >= MAX_REMEMBERED {
            over.retain(|_, until| *until > now);
        }
        if over.len() < MAX_REMEMBERED {
            over.insert(key, until);
        }
    }

    /// Counts one hit of `key` under `limit`: 429 (with the wait) past the limit.
    pub async fn hit(&self, limit: Limit, key: &str) -> Result<(), ApiError> {
        let now = self.clock.now();
        let key = counter_key(limit, key);
        self.known_over(&key, now)?;
        let mut conn = self.db.system().await?;
        let counter: Counter = diesel::sql_query(
            "INSERT INTO rate_limits AS r (key, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE
                SET hits = CASE WHEN r.window_start <= $2 - $3 THEN 1 ELSE r.hits + 1 END,
                    window_start = CASE WHEN r.window_start <= $2 - $3 THEN $2
                                        ELSE r.window_start END
             RETURNING hits, window_start",
        )
        .bind::<Bytea, _>(&key)
        .bind::<Timestamptz, _>(now)
        .bind::<Interval, _>(interval(limit.window))
        .get_result(&mut conn)
        .await
        .map_err(db::DbError::from)?;
        drop(conn);
        if counter.hits <= limit.hits {
            return Ok(());
        }
        let ends =
            counter.window_start + chrono::Duration::from_std(limit.window).unwrap_or_default();
        // Past the limit: remembered until the window ends.
        self.remember_over(key, ends, now);
        Err(ApiError::too_many(
            (ends - now).to_std().unwrap_or(Duration::from_secs(1)),
        ))
    }

    /// Counts a failure under each of `limits` (a failure past a limit is counted
    /// too; the next attempt is the one refused).
    pub async fn failed(&self, limits: &[(Limit, &str)]) -> Result<(), ApiError> {
        for (limit, key) in limits {
            match self.hit(*limit, key).await {
                Ok(()) | Err(ApiError::TooManyRequests { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Counts an attempt under each of `limits` before it is made, so that attempts
    /// sent at once cannot all slip under a limit: 429 past any of them. An attempt
    /// that succeeds is given back with [`RateLimits::refund`], so only failures stay.
    pub async fn attempt(&self, limits: &[(Limit, &str)]) -> Result<(), ApiError> {
        let mut refused = None;
        for (limit, key) in limits {
            match self.hit(*limit, key).await {
                Ok(()) => {}
                Err(error @ ApiError::TooManyRequests { .. }) => refused = refused.or(Some(error)),
                Err(other) => return Err(other),
            }
        }
        refused.map_or(Ok(()), Err)
    }

    /// Takes back one hit under each of `limits` (an attempt that succeeded).
    pub async fn refund(&self, limits: &[(Limit, &str)]) -> Result<(), ApiError> {
        let mut conn = self.db.system().await?;
        for (limit, key) in limits {
            diesel::sql_query("UPDATE rate_limits SET hits = hits - 1 WHERE key = $1 AND hits > 0")
                .bind::<Bytea, _>(counter_key(*limit, key))
                .execute(&mut conn)
                .await
                .map_err(db::DbError::from)?;
        }
        Ok(())
    }
}

/// Deletes counters whose window began more than [`KEEP_COUNTERS`] before `now`.
pub async fn prune(db: &Db, now: DateTime<Utc>) -> Result<usize, db::DbError> {
    let mut conn = db.system().await?;
    Ok(
        diesel::sql_query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind::<Timestamptz, _>(now - KEEP_COUNTERS)
            .execute(&mut conn)
            .await?,
    )
}

#[derive(diesel::QueryableByName)]
struct Counter {
    #[diesel(sql_type = Integer)]
    hits: i32,
    #[diesel(sql_type = Timestamptz)]
    window_start: DateTime<Utc>,
}

fn counter_key(limit: Limit, key: &str) -> Vec<u8> {
    Sha256::new()
        .chain_update(limit.name)
        .chain_update([0])
        .chain_update(key.trim().to_lowercase())
        .finalize()
        .to_vec()
}

fn interval(window: Duration) -> diesel::data_types::PgInterval {
    diesel::data_types::PgInterval::from_microseconds(
        i64::try_from(window.as_micros()).unwrap_or(i64::MAX),
    )
}

/// Addresses whose `X-Forwarded-For` is believed: `PULSE_TRUSTED_PROXIES`, a comma-separated
/// list of addresses and networks (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses the list; the error names the entry at fault.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut networks = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (address, prefix) = entry.split_once('/').unwrap_or((entry, ""));
            let address: IpAddr = address
                .parse()
                .map_err(|_| format!("{entry} is not an address or network such as 10.0.0.0/8"))?;
            let most = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                "" => most,
                bits => bits
                    .parse::<u8>()
                    .ok()
                    .filter(|bits| *bits <= most)
                    .ok_or_else(|| format!("{entry} has a prefix length out of range"))?,
            };
            networks.push((address, prefix));
        }
        Ok(Self(networks))
    }

    /// Whether `address` is one of the trusted proxies.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0
            .iter()
            .any(|(network, prefix)| match (network, address) {
                (IpAddr::V4(network), IpAddr::V4(address)) => {
                    masked(u128::from(u32::from(*network)), 32, *prefix)
                        == masked(u128::from(u32::from(address)), 32, *prefix)
                }
                (IpAddr::V6(network), IpAddr::V6(address)) => {
                    masked(u128::from(*network), 128, *prefix)
                        == masked(u128::from(address), 128, *prefix)
                }
                _ => false,
            })
    }

    /// The client of `req`: the peer, or behind trusted proxies the nearest address in
    /// `X-Forwarded-For` that is not one of them.
    pub fn client(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = canonical(req.peer_addr()?.ip());
        if !self.contains(peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all(HeaderName::from_static("x-forwarded-for"))
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
            .map(canonical)
            .collect();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|hop| !self.contains(*hop))
                .unwrap_or(peer),
        )
    }
}

/// IPv4 addresses mapped into IPv6 compare as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let keep = u32::from(prefix.min(width));
    let shift = u32::from(width) - keep;
    (bits >> shift) << shift
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn client(trusted: &str, peer: &str, forwarded: Option<&str>) -> Option<IpAddr> {
        let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
        if let Some(forwarded) = forwarded {
            req = req.insert_header(("x-forwarded-for", forwarded));
        }
        TrustedProxies::parse(trusted)
            .unwrap()
            .client(&req.to_http_request())
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // Untrusted peers cannot claim another address.
        assert_eq!(
            client("", "198.51.100.7:5000", Some("203.0.113.9")),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("10.0.0.0/8", "198.51.100.7:5000", Some("203.0.113.9")),
            ip("198.51.100.7")
        );
        // Behind a trusted proxy (or two), the nearest untrusted hop; a forged left part
        // of the header does not count.
        assert_eq!(
            client("10.0.0.0/8", "10.1.2.3:5000", Some("203.0.113.9")),
            ip("203.0.113.9")
        );
        assert_eq!(
            client(
                "10.0.0.0/8, 192.0.2.1",
                "10.1.2.3:5000",
                Some("6.6.6.6, 203.0.113.9, 192.0.2.1")
            ),
            ip("203.0.113.9")
        );
        assert_eq!(
            client("::1", "[::1]:5000", Some("2001:db8::7")),
            ip("2001:db8::7")
        );
        assert_eq!(client("10.0.0.0/8", "10.1.2.3:5000", None), ip("10.1.2.3"));
        assert_eq!(
            client("127.0.0.1", "[::ffff:127.0.0.1]:5000", Some("203.0.113.9")),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn bad_proxy_lists_name_the_entry() {
        assert!(
            TrustedProxies::parse("10.0.0.0/33")
                .unwrap_err()
                .contains("10.0.0.0/33")
        );
        assert!(
            TrustedProxies::parse("proxy.local")
                .unwrap_err()
                .contains("proxy.local")
        );
        assert_eq!(
            TrustedProxies::parse(" ").unwrap(),
            TrustedProxies::default()
        );
    }
}
