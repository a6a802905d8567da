//! What agent calls need on every request, kept in memory per replica: who holds a
//! device credential (company, agent, employee, team) and each employee's effective
//! policy. With these, a heartbeat touches no database at all.
//!
//! Entries are dropped when their company changes: triggers on `agents`, `users` and
//! `policies` send `NOTIFY pulse_agent_facts, '<company>'`, which every replica's
//! listener turns into [`AgentCache::forget_company`]; changes made through this
//! replica also drop them before answering. Entries also expire after [`FRESH_FOR`],
//! and everything is dropped when the listener reconnects, so a missed notification
//! costs at most that long.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pulse_shared::ids::{AgentId, CompanyId, TeamId, UserId};

use crate::db::policies::{self, Effective};
use crate::db::{self, Db};

/// The channel the triggers announce changed companies on.
pub const CHANNEL: &str = "pulse_agent_facts";
/// How long an entry is used at most: a safety net only, since notifications drop
/// changed entries within milliseconds. Well above the heartbeat interval, so that a
/// heartbeat rarely finds its agent's entry gone.
pub const FRESH_FOR: Duration = Duration::from_secs(300);
/// Past this many entries, stale ones are dropped on the next insert.
const PRUNE_ABOVE: usize = 100_000;

/// An enrolled, unrevoked agent whose employee is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    pub company_id: CompanyId,
    pub agent_id: AgentId,
    pub user_id: UserId,
    /// The employee's team, for their effective policy.
    pub team_id: Option<TeamId>,
}

struct Entry<T> {
    loaded: Instant,
    company: CompanyId,
    value: T,
}

impl<T> Entry<T> {
    fn new(company: CompanyId, value: T) -> Self {
        Self {
            loaded: Instant::now(),
            company,
            value,
        }
    }

    fn fresh(&self) -> bool {
        self.loaded.elapsed() < FRESH_FOR
    }
}

/// An employee's effective policy, and the team it was resolved for.
type TeamPolicy = (Option<TeamId>, Arc<Effective>);

#[derive(Default)]
struct Maps {
    /// By the SHA-256 of the credential.
    devices: HashMap<Vec<u8>, Entry<Device>>,
    policies: HashMap<(CompanyId, UserId), Entry<TeamPolicy>>,
}

#[derive(Clone, Default)]
pub struct AgentCache(Arc<Mutex<Maps>>);

impl AgentCache {
    /// The device holding the credential with hash `hash`, if known and fresh.
    pub fn device(&self, hash: &[u8]) -> Option<Device> {
        self.lock()
            .devices
            .get(hash)
            .filter(|entry| entry.fresh())
            .map(|entry| entry.value)
    }

    pub fn store_device(&self, hash: Vec<u8>, device: Device) {
        let mut maps = self.lock();
        if maps.devices.len() > PRUNE_ABOVE {
            maps.devices.retain(|_, entry| entry.fresh());
        }
        maps.devices
            .insert(hash, Entry::new(device.company_id, device));
    }

    /// The effective policy of `user` in `team`, from the cache while fresh.
    pub async fn effective(
        &self,
        db: &Db,
        company: CompanyId,
        user: UserId,
        team: Option<TeamId>,
    ) -> Result<Arc<Effective>, db::DbError> {
        let cached = self
            .lock()
            .policies
            .get(&(company, user))
            .filter(|entry| entry.fresh() && entry.value.0 == team)
            .map(|entry| entry.value.1.clone());
        if let Some(effective) = cached {
            return Ok(effective);
        }
        let mut conn = db.tenant(company).await?;
        let effective = Arc::new(policies::effective(&mut conn, company, user, team).await?);
        self.store_policy(company, user, team, effective.clone());
        Ok(effective)
    }

    /// Keeps `effective`, just read from the database.
    pub fn store_policy(
        &self,
        company: CompanyId,
        user: UserId,
        team: Option<TeamId>,
        effective: Arc<Effective>,
    ) {
        let mut maps = self.lock();
        if maps.policies.len() > PRUNE_ABOVE {
            maps.policies.retain(|_, entry| entry.fresh());
        }
        maps.policies
            .insert((company, user), Entry::new(company, (team, effective)));
    }

    /// Forgets everything about `company`, after something of it changed.
    pub fn forget_company(&self, company: CompanyId) {
        let mut maps = self.lock();
        maps.devices.retain(|_, entry| entry.company != company);
        maps.policies.retain(|_, entry| entry.company != company);
    }

    /// Forgets everything (the listener may have missed notifications).
    pub fn forget_all(&self) {
        let mut maps = self.lock();
        maps.devices.clear();
        maps.policies.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Maps> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_company_is_forgotten_alone() {
        let cache = AgentCache::default();
        let device = |company: u128, agent: u128| Device {
            company_id: CompanyId(Uuid::from_u128(company)),
            agent_id: AgentId(Uuid::from_u128(agent)),
            user_id: UserId(Uuid::from_u128(agent + 100)),
            team_id: None,
        };
        cache.store_device(vec![1], device(1, 1));
        cache.store_device(vec![2], device(2, 2));
        assert_eq!(cache.device(&[1]), Some(device(1, 1)));
        cache.forget_company(CompanyId(Uuid::from_u128(1)));
        assert_eq!(cache.device(&[1]), None);
        assert_eq!(cache.device(&[2]), Some(device(2, 2)));
        cache.forget_all();
        assert_eq!(cache.device(&[2]), None);
    }
}
