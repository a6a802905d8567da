//! Password hashing with argon2id at OWASP's parameters (19 MiB, t=2, p=1), run off the
//! async threads and capped in concurrency so a burst of sign-ins cannot exhaust memory
//! or starve other requests.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// OWASP's minimum for argon2id: 19 MiB of memory, two passes, one lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
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
            decoy: Arc::new(decoy),
        })
    }

    /// The PHC string of a new salted hash of `password`.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
    }

    /// Whether `password` matches `hash`. With `hash` absent (unknown address) the work
    /// is done against a decoy and the answer is `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
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
        .await??;
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
}
