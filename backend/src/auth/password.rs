//! Password hashing with argon2id at OWASP's parameters (19 MiB, t=2, p=1), run off the
//! async threads and capped in concurrency so a burst of sign-ins cannot exhaust memory
//! or starve other requests. The queue for a hashing slot is bounded too: past
//! [`MAX_WAITING`] callers, a hash is refused at once ([`PasswordError::Busy`], a 503
//! with `Retry-After`) rather than left to pile up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{Semaphore, SemaphorePermit};

/// OWASP's minimum for argon2id: 19 MiB of memory, two passes, one lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Hashes that may wait for a slot; more are refused. At tens of milliseconds a hash on
/// each core, the last of them waits well under a second.
pub const MAX_WAITING: usize = 32;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Every hashing slot is taken and the queue is full: try again shortly.
    #[error("too many passwords are being checked; try again shortly")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Callers waiting for a permit.
    waiting: Arc<AtomicUsize>,
    /// A real hash to verify against when an address is unknown, so that the answer
    /// takes as long as for a known address.
    decoy: Arc<String>,
}

impl Passwords {
    /// `concurrency` hashes may run at once; further ones wait their turn.
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let decoy = hash_blocking("decoy password for unknown addresses")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            decoy: Arc::new(decoy),
        })
    }

    /// A hashing slot: at once when one is free, after a wait when fewer than
    /// [`MAX_WAITING`] wait already, else [`PasswordError::Busy`].
    async fn slot(&self) -> Result<SemaphorePermit<'_>, PasswordError> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(PasswordError::Busy);
        }
        let permit = self.permits.acquire().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        permit.map_err(|closed| PasswordError::Failed(closed.into()))
    }

    /// The PHC string of a new salted hash of `password`.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        let _permit = self.slot().await?;
        Ok(
            tokio::task::spawn_blocking(move || hash_blocking(&password))
                .await
                .map_err(anyhow::Error::from)??,
        )
    }

    /// Whether `password` matches `hash`. With `hash` absent (unknown address) the work
    /// is done against a decoy and the answer is `false`.
    pub async fn verify(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, PasswordError> {
        let _permit = self.slot().await?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy.as_ref().clone());
        let matches = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash)
                .map_err(|error| anyhow::anyhow!("stored hash is malformed: {error}"))?;
            Ok::<_, anyhow::Error>(
                argon2()?
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
            )
        })
        .await
        .map_err(anyhow::Error::from)??;
        Ok(known && matches)
    }
}

fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params =
        Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| anyhow::anyhow!("cannot hash password: {error}"))?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_carry_the_parameters() {
        let passwords = Passwords::new(2).unwrap();
        let hash = passwords
            .hash("correct horse battery".into())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!passwords.verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(
            !passwords
                .verify("decoy password for unknown addresses".into(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once_instead_of_piling_up() {
        let passwords = Passwords::new(1).unwrap();
        let slot = passwords.permits.acquire().await.unwrap();
        let waiting: Vec<_> = (0..MAX_WAITING)
            .map(|_| {
                let passwords = passwords.clone();
                tokio::spawn(async move { passwords.hash("queued password".into()).await })
            })
            .collect();
        while passwords.waiting.load(Ordering::Acquire) < MAX_WAITING {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            passwords.hash("one too many".into()).await,
            Err(PasswordError::Busy)
        ));
        drop(slot);
        for queued in waiting {
            assert!(queued.await.unwrap().is_ok(), "a queued hash is served");
        }
        assert_eq!(passwords.waiting.load(Ordering::Acquire), 0);
    }
}
