//! Password hashing (argon2id, the PHC string stored with the account). CPU- and
//! memory-heavy: call from a blocking thread.

use crate::error::AppError;

/// The PHC string of `password` with a fresh salt.
pub fn hash(password: &str) -> Result<String, AppError> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}
