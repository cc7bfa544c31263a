//! # teleconsult-seal — encryption at rest, shared by every storage adapter
//!
//! The storage key ([`StorageKey`], 32 secret bytes from `[storage] key_file`), the sealed value
//! format ([`Crypto::seal`]: XChaCha20-Poly1305, the value bound to its place by associated
//! data), blind indexes ([`Crypto::blind_index`], [`national_id_index`], [`email_index`]) and the audit chain's link
//! ([`chain::chain_hash`]).
//! The sled adapter (`teleconsult-store`) and the PostgreSQL adapter (`teleconsult-store-postgres`)
//! seal health data with it in the same way, so the database sees ciphertext only and a sealed
//! value moves between them unchanged when its place (table or tree name, record key) is the
//! same.
//!
//! **Must not**: do I/O beyond the key file, log key material or plaintext.

pub mod chain;
mod crypto;
mod key;

pub use crypto::{Crypto, OpenError, SealError};
pub use key::{KEY_LEN, KeyError, StorageKey};

use teleconsult_core::national_id::Country;

/// The blind index of a person's national id: numbers of different countries may coincide, so
/// the issuer is part of the key. core normalises national ids; only stray whitespace is
/// ignored here.
pub fn national_id_index(crypto: &Crypto, country: Country, national_id: &str) -> [u8; 32] {
    crypto.blind_index(
        "national_id",
        &format!("{}:{}", country.code(), national_id.trim()),
    )
}

/// The blind index of an e-mail address (case and surrounding whitespace ignored).
pub fn email_index(crypto: &Crypto, email: &str) -> [u8; 32] {
    crypto.blind_index("email", &email.trim().to_lowercase())
}
