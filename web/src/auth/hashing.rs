//! Password hashing with bounded memory. argon2id with the crate's default parameters (OWASP's
//! recommendation: 19 MiB, 2 passes) needs its 19 MiB for tens of milliseconds per hash or
//! check. Run for every request of a burst at once, 200 anonymous logins took 3.9 GB here
//! (`docs/benchmarks.md`). So at most `concurrency` run at once — the others wait for a
//! permit, a task's worth of memory each — and each runs in one of `concurrency` memory areas
//! allocated once and reused, zeroed after every use: the allocator never sees 19 MiB come
//! and go on whichever thread (it kept them, and memory still grew to hundreds of MiB with a
//! bound on concurrency alone).

use crate::error::ApiError;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Permits to hash, and the memory areas they use.
pub struct Hashing {
    permits: Arc<Semaphore>,
    areas: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl Hashing {
    /// At most `concurrency` (at least 1) hashes or checks at once.
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            areas: Arc::default(),
        }
    }

    /// Waits for a permit, at most `wait`; then 429 `busy` with `Retry-After`.
    pub async fn permit(&self, wait: Duration) -> Result<HashingPermit, ApiError> {
        let permit = match tokio::time::timeout(wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(ApiError::unavailable("the server is stopping")),
            Err(_) => {
                return Err(ApiError {
                    retry_after_s: Some(5),
                    ..ApiError::new(
                        axum::http::StatusCode::TOO_MANY_REQUESTS,
                        "busy",
                        "too many logins at this moment: try again in a few seconds",
                    )
                });
            }
        };
        // There are as many areas as permits: one is free, or not allocated yet.
        let area = self
            .areas
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_else(|| vec![Block::default(); Params::DEFAULT.block_count()]);
        Ok(HashingPermit {
            area,
            areas: self.areas.clone(),
            _permit: permit,
        })
    }
}

/// The right to hash or check passwords, with the memory to do it in. Dropping it gives both
/// back (the area zeroed first).
pub struct HashingPermit {
    area: Vec<Block>,
    areas: Arc<Mutex<Vec<Vec<Block>>>>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for HashingPermit {
    fn drop(&mut self) {
        let mut area = std::mem::take(&mut self.area);
        area.fill(Block::default());
        self.areas
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(area);
    }
}

/// Checks without a permit, for a check made inside work already running on a blocking thread
/// (a confirmation's password, typed with the change it allows).
pub struct Unbounded;

impl teleconsult_app::login::Passwords for Unbounded {
    fn verify(&mut self, password: &str, stored: Option<&str>) -> bool {
        super::verify_password(password, stored)
    }

    fn hash(&mut self, password: &str) -> Result<String, teleconsult_app::AppError> {
        teleconsult_app::password::hash(password)
    }
}

/// The use cases check and make hashes through the permit (and give it back when done).
impl teleconsult_app::login::Passwords for HashingPermit {
    fn verify(&mut self, password: &str, stored: Option<&str>) -> bool {
        HashingPermit::verify(self, password, stored)
    }

    fn hash(&mut self, password: &str) -> Result<String, teleconsult_app::AppError> {
        HashingPermit::hash(self, password)
            .map_err(|e| teleconsult_app::AppError::Internal(e.message))
    }
}

impl HashingPermit {
    /// argon2id with the default parameters and a random salt, as a PHC string.
    pub fn hash(&mut self, password: &str) -> Result<String, ApiError> {
        let params = Params::DEFAULT;
        let salt: [u8; 16] = rand::random();
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.compute(
            Algorithm::Argon2id,
            Version::V0x13,
            &params,
            password,
            &salt,
            &mut out,
        )
        .map_err(|e| ApiError::internal(format!("password hashing failed: {e}")))?;
        let phc = (|| {
            Ok::<_, argon2::password_hash::Error>(PasswordHash {
                algorithm: argon2::ARGON2ID_IDENT,
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params)?,
                salt: Some(Salt::new(&salt)?),
                hash: Some(Output::new(&out)?),
            })
        })()
        .map_err(|e| ApiError::internal(format!("password hash encoding failed: {e}")))?;
        Ok(phc.to_string())
    }

    /// Whether `password` is the one `stored` (a PHC string) was made from. For an unknown
    /// login pass `None`: a dummy hash is checked, so that the answer takes as long.
    pub fn verify(&mut self, password: &str, stored: Option<&str>) -> bool {
        let (phc, real) = match stored {
            Some(s) => (s, true),
            None => (super::dummy_hash(), false),
        };
        self.matches(password, phc).unwrap_or(false) && real
    }

    fn matches(&mut self, password: &str, phc: &str) -> Result<bool, argon2::Error> {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return Ok(false);
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(parsed.algorithm.as_str())
            .map_err(|_| argon2::Error::AlgorithmInvalid)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(|_| argon2::Error::OutputTooShort)?;
        let mut out = vec![0u8; expected.len()];
        self.compute(algorithm, version, &params, password, salt, &mut out)?;
        // Constant time (`Output`'s equality).
        Ok(Output::new(&out).is_ok_and(|computed| computed == *expected))
    }

    fn compute(
        &mut self,
        algorithm: Algorithm,
        version: Version,
        params: &Params,
        password: &str,
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), argon2::Error> {
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let blocks = params.block_count();
        match self.area.get_mut(..blocks) {
            Some(area) => {
                argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, area)
            }
            // A hash made with more memory than today's default (none is, so far): its own
            // area, once.
            None => {
                let mut area = vec![Block::default(); blocks];
                let result = argon2.hash_password_into_with_memory(
                    password.as_bytes(),
                    salt,
                    out,
                    &mut area,
                );
                area.fill(Block::default());
                result
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_check_both_ways_with_the_crates_own_format() {
        let hashing = Hashing::new(1);
        let mut permit = hashing.permit(Duration::from_secs(1)).await.unwrap();
        let phc = permit.hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(permit.verify("correct horse", Some(&phc)));
        assert!(!permit.verify("wrong horse", Some(&phc)));
        assert!(!permit.verify("correct horse", None));
        assert!(!permit.verify("x", Some("not a hash")));
        // Hashes made by the crate itself (stored before this module) still check, and ours
        // check with the crate.
        let theirs = super::super::hash_password("battery staple").unwrap();
        assert!(permit.verify("battery staple", Some(&theirs)));
        assert!(super::super::verify_password("correct horse", Some(&phc)));
    }

    #[tokio::test]
    async fn permits_are_bounded_and_a_long_wait_is_refused_with_retry_after() {
        let hashing = Hashing::new(1);
        let held = hashing.permit(Duration::from_secs(1)).await.unwrap();
        let refused = hashing
            .permit(Duration::from_millis(50))
            .await
            .err()
            .unwrap();
        assert_eq!((refused.status.as_u16(), refused.code), (429, "busy"));
        assert_eq!(refused.retry_after_s, Some(5));
        drop(held);
        let again = hashing.permit(Duration::from_millis(50)).await.unwrap();
        assert_eq!(
            again.area.len(),
            Params::DEFAULT.block_count(),
            "area reused"
        );
        assert_eq!(hashing.areas.lock().unwrap().len(), 0);
        drop(again);
        assert_eq!(
            hashing.areas.lock().unwrap().len(),
            1,
            "one area, given back"
        );
    }
}
