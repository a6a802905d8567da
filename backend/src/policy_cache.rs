//! Effective policies kept for a few seconds per employee, for the agent calls that
//! need one on every request (heartbeat, activity). A change made through this replica
//! clears its company at once; another replica sees it within [`FRESH_FOR`]. The policy
//! endpoint itself always reads the database, so an agent told of a new version gets it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pulse_shared::ids::{CompanyId, UserId};
use uuid::Uuid;

use crate::db::policies::{self, Effective};
use crate::db::{self, DbPool};

/// How long a cached effective policy is used.
pub const FRESH_FOR: Duration = Duration::from_secs(5);
/// Past this many entries, stale ones are dropped on the next insert.
const PRUNE_ABOVE: usize = 50_000;

struct Entry {
    loaded: Instant,
    team: Option<Uuid>,
    effective: Arc<Effective>,
}

#[derive(Clone, Default)]
pub struct PolicyCache(Arc<Mutex<HashMap<(CompanyId, UserId), Entry>>>);

impl PolicyCache {
    /// The effective policy of `user` in `team`, from the cache while fresh.
    pub async fn effective(
        &self,
        pool: &DbPool,
        company: CompanyId,
        user: UserId,
        team: Option<Uuid>,
    ) -> Result<Arc<Effective>, db::DbError> {
        let cached = self
            .lock()
            .get(&(company, user))
            .filter(|entry| entry.team == team && entry.loaded.elapsed() < FRESH_FOR)
            .map(|entry| entry.effective.clone());
        if let Some(effective) = cached {
            return Ok(effective);
        }
        let mut conn = db::conn(pool).await?;
        let effective = Arc::new(policies::effective(&mut conn, company, user, team).await?);
        self.store(company, user, team, effective.clone());
        Ok(effective)
    }

    /// Keeps `effective`, just read from the database.
    pub fn store(
        &self,
        company: CompanyId,
        user: UserId,
        team: Option<Uuid>,
        effective: Arc<Effective>,
    ) {
        let mut entries = self.lock();
        if entries.len() > PRUNE_ABOVE {
            entries.retain(|_, entry| entry.loaded.elapsed() < FRESH_FOR);
        }
        entries.insert(
            (company, user),
            Entry {
                loaded: Instant::now(),
                team,
                effective,
            },
        );
    }

    /// Forgets every policy of `company`, after one of its policies changed.
    pub fn forget_company(&self, company: CompanyId) {
        self.lock().retain(|(owner, _), _| *owner != company);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(CompanyId, UserId), Entry>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
