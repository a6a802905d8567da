//! Access tokens: HS256 JWTs with a 15-minute lifetime. The algorithm is pinned and
//! `exp`, `iat`, `iss`, `aud` and `sub` are required; anything else is a 401.

use std::path::Path;

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use pulse_shared::ids::{CompanyId, UserId};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;

/// How long an access token lives.
pub const ACCESS_TOKEN_SECONDS: u64 = 15 * 60;
const ISSUER: &str = "pulse";
const AUDIENCE: &str = "pulse-api";

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: UserId,
    /// The user's company.
    pub cid: CompanyId,
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
    pub aud: String,
    /// Not before: never issued by us, honoured when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

/// Seconds a token's times may be off by, for clocks that differ a little.
const LEEWAY_SECONDS: u64 = 30;

/// The signing key and the rules a token must meet. Times are read from the server's
/// clock (the library's own checks would read the system's).
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    clock: Clock,
}

impl TokenKeys {
    pub fn new(secret: &[u8], clock: Clock) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // `exp`, `nbf` and `iat` are checked in `verify`, against `clock`.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            clock,
        }
    }

    /// The key from `PULSE_JWT_SECRET`, or else one generated once into `data_dir/jwt.key`.
    pub fn load(secret: Option<&str>, data_dir: &Path, clock: Clock) -> anyhow::Result<Self> {
        if let Some(secret) = secret {
            return Ok(Self::new(secret.as_bytes(), clock));
        }
        let path = data_dir.join("jwt.key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            return Ok(Self::new(existing.trim().as_bytes(), clock));
        }
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        let generated = super::secrets::random_token(48)?;
        write_private(&path, &generated)
            .with_context(|| format!("cannot write {}", path.display()))?;
        tracing::info!(path = %path.display(), "generated a signing key for access tokens");
        Ok(Self::new(generated.as_bytes(), clock))
    }

    /// A signed token for `user` of `company`, valid for [`ACCESS_TOKEN_SECONDS`].
    pub fn issue(&self, user: UserId, company: CompanyId) -> anyhow::Result<String> {
        let now = self.clock.unix_seconds();
        let claims = Claims {
            sub: user,
            cid: company,
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            nbf: None,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid token; `None` for anything expired, forged, or malformed.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        let now = self.clock.unix_seconds();
        let expired = claims.exp.saturating_add(LEEWAY_SECONDS) <= now;
        let early = claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECONDS);
        // A token issued in the future was not issued by us.
        let from_the_future = claims.iat > now + LEEWAY_SECONDS;
        (!expired && !early && !from_the_future).then_some(claims)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn ids() -> (UserId, CompanyId) {
        (
            UserId(uuid::Uuid::new_v4()),
            CompanyId(uuid::Uuid::new_v4()),
        )
    }

    /// A token with the given claims, signed with `SECRET` (or unsigned for `alg: none`).
    fn forge(header: serde_json::Value, claims: serde_json::Value, sign: bool) -> String {
        let encode = |value: &serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let body = format!("{}.{}", encode(&header), encode(&claims));
        if !sign {
            return format!("{body}.");
        }
        let signature = hmac(SECRET, body.as_bytes());
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// HMAC-SHA256 (RFC 2104) for keys of at most one block, written out so the tests
    /// can sign tokens with claims the library would refuse to produce.
    fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
        use sha2::{Digest, Sha256};
        let mut block = [0u8; 64];
        block[..key.len()].copy_from_slice(key);
        let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
        let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
        let inner_hash = Sha256::new()
            .chain_update(&inner)
            .chain_update(message)
            .finalize();
        Sha256::new()
            .chain_update(&outer)
            .chain_update(inner_hash)
            .finalize()
            .to_vec()
    }

    fn now() -> u64 {
        Clock::system().unix_seconds()
    }

    fn claims(user: UserId, company: CompanyId) -> serde_json::Value {
        let now = now();
        serde_json::json!({"sub": user, "cid": company, "iat": now, "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE})
    }

    #[test]
    fn a_fresh_token_verifies() {
        let keys = TokenKeys::new(SECRET, Clock::system());
        let (user, company) = ids();
        let token = keys.issue(user, company).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub, claims.cid), (user, company));
        // The hand-made signer agrees with the library, so the cases below test the checks, not the signer.
        let forged = forge(
            serde_json::json!({"alg": "HS256", "typ": "JWT"}),
            serde_json::to_value(&claims).unwrap(),
            true,
        );
        assert!(keys.verify(&forged).is_some());
    }

    #[test]
    fn every_kind_of_bad_token_is_refused() {
        let keys = TokenKeys::new(SECRET, Clock::system());
        let (user, company) = ids();
        let hs256 = serde_json::json!({"alg": "HS256", "typ": "JWT"});
        let now = now();
        let with = |key: &str, value: serde_json::Value| {
            let mut claims = claims(user, company);
            claims[key] = value;
            claims
        };
        let without = |key: &str| {
            let mut claims = claims(user, company);
            claims.as_object_mut().unwrap().remove(key);
            claims
        };
        let cases = [
            (
                "expired",
                forge(hs256.clone(), with("exp", (now - 3600).into()), true),
            ),
            (
                "not yet valid",
                forge(hs256.clone(), with("nbf", (now + 3600).into()), true),
            ),
            (
                "issued in the future",
                forge(hs256.clone(), with("iat", (now + 3600).into()), true),
            ),
            (
                "wrong audience",
                forge(hs256.clone(), with("aud", "other".into()), true),
            ),
            (
                "wrong issuer",
                forge(hs256.clone(), with("iss", "evil".into()), true),
            ),
            (
                "exp as a string",
                forge(
                    hs256.clone(),
                    with("exp", (now + 600).to_string().into()),
                    true,
                ),
            ),
            ("missing exp", forge(hs256.clone(), without("exp"), true)),
            ("missing iat", forge(hs256.clone(), without("iat"), true)),
            ("missing sub", forge(hs256.clone(), without("sub"), true)),
            (
                "alg none",
                forge(
                    serde_json::json!({"alg": "none"}),
                    claims(user, company),
                    false,
                ),
            ),
            (
                "alg HS512",
                forge(
                    serde_json::json!({"alg": "HS512"}),
                    claims(user, company),
                    true,
                ),
            ),
        ];
        for (case, token) in cases {
            assert!(keys.verify(&token).is_none(), "{case} was accepted");
        }
        let mut altered = keys.issue(user, company).unwrap();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(
            keys.verify(&altered).is_none(),
            "an altered signature was accepted"
        );
        let other = TokenKeys::new(b"another secret of thirty-two bytes!!", Clock::system());
        assert!(other.verify(&keys.issue(user, company).unwrap()).is_none());
    }

    #[test]
    fn a_key_is_generated_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("pulse-key-{}", uuid::Uuid::new_v4().simple()));
        let (user, company) = ids();
        let first = TokenKeys::load(None, &dir, Clock::system()).unwrap();
        let second = TokenKeys::load(None, &dir, Clock::system()).unwrap();
        assert!(
            second
                .verify(&first.issue(user, company).unwrap())
                .is_some()
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn tokens_live_by_the_servers_clock_not_the_systems() {
        let (user, company) = ids();
        let at = |rfc3339: &str| {
            let instant = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap();
            TokenKeys::new(SECRET, Clock::starting_at(instant.to_utc()))
        };
        // Issued on a day far from today, valid on that day for fifteen minutes.
        let token = at("2028-02-29T23:59:00Z").issue(user, company).unwrap();
        assert!(at("2028-02-29T23:59:00Z").verify(&token).is_some());
        assert!(at("2028-03-01T00:13:00Z").verify(&token).is_some());
        assert!(at("2028-03-01T00:15:00Z").verify(&token).is_none());
        assert!(at("2028-02-29T23:50:00Z").verify(&token).is_none());
        let earlier = at("2025-06-01T12:00:00Z");
        assert!(
            earlier
                .verify(&earlier.issue(user, company).unwrap())
                .is_some()
        );
    }
}
