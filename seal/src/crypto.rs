//! Encryption at rest and blind indexes.
//!
//! Sealed value layout: `version (1 byte) || nonce (24 bytes) || ciphertext+tag`, with
//! XChaCha20-Poly1305 and a fresh random nonce per write (192-bit nonces make random choice safe).
//! The associated data binds a value to its place — `len(tree) || tree || record key` — so a
//! value copied to another record or tree does not decrypt.
//!
//! Sub-keys are derived from the storage key with HKDF-SHA256-Expand (RFC 5869; the extract step
//! is skipped as §3.3 allows, the storage key being uniformly random): one block,
//! `HMAC-SHA256(storage key, info || 0x01)`, with a distinct `info` per purpose.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::key::StorageKey;

type HmacSha256 = Hmac<Sha256>;

/// First byte of every sealed value: lets a later format change the algorithm per record.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

const INFO_ENCRYPTION: &[u8] = b"teleconsult-store/v1/encryption";
const INFO_BLIND_INDEX: &[u8] = b"teleconsult-store/v1/blind-index";
const INFO_INTEGRITY: &[u8] = b"teleconsult-store/v1/integrity";

/// Why a sealed value could not be opened. Deliberately carries no detail: with AEAD, a wrong
/// key, a moved record and flipped bits look the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Too short, or an unknown version byte.
    Malformed,
    /// Authentication failed: wrong key, tampering, or the value belongs to another record.
    Inauthentic,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OpenError::Malformed => "malformed sealed value",
            OpenError::Inauthentic => {
                "authentication failed (wrong key, tampering, or value moved from another record)"
            }
        })
    }
}

/// A value too large to encrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealError;

/// The keys derived from one [`StorageKey`], ready for use.
pub struct Crypto {
    aead: XChaCha20Poly1305,
    index_key: Zeroizing<[u8; 32]>,
    integrity_key: Zeroizing<[u8; 32]>,
}

impl Crypto {
    pub fn new(key: &StorageKey) -> Self {
        let encryption = derive(key, INFO_ENCRYPTION);
        let index_key = derive(key, INFO_BLIND_INDEX);
        let integrity_key = derive(key, INFO_INTEGRITY);
        let aead = XChaCha20Poly1305::new(&(*encryption).into());
        Self {
            aead,
            index_key,
            integrity_key,
        }
    }

    /// Encrypts `plaintext` for the record `record_key` of tree `tree`. Fails only for
    /// messages beyond XChaCha20-Poly1305's limit (256 GiB).
    pub fn seal(
        &self,
        tree: &str,
        record_key: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated_data(tree, record_key);
        let nonce = XNonce::from(nonce);
        let ciphertext = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(SEALED_V1);
        sealed.extend_from_slice(nonce.as_slice());
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts a value produced by [`Crypto::seal`] for the same tree and record key.
    pub fn open(
        &self,
        tree: &str,
        record_key: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let Some((&version, rest)) = sealed.split_first() else {
            return Err(OpenError::Malformed);
        };
        if version != SEALED_V1 || rest.len() < NONCE_LEN + TAG_LEN {
            return Err(OpenError::Malformed);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| OpenError::Malformed)?;
        let aad = associated_data(tree, record_key);
        self.aead
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Inauthentic)
    }

    /// The blind index of `value` for the index named `index`: lets the store find a record by
    /// an exact value without keeping the value in clear. Different indexes never share keys.
    pub fn blind_index(&self, index: &str, value: &str) -> [u8; 32] {
        let mut mac = new_hmac(&self.index_key[..]);
        mac.update(&(index.len() as u64).to_be_bytes());
        mac.update(index.as_bytes());
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl Crypto {
    /// A keyed checksum of `data` for the purpose `context` (e.g. the audit anchor kept outside
    /// the database): proves the bytes were written with this storage key and not changed.
    pub fn mac(&self, context: &str, data: &[u8]) -> [u8; 32] {
        let mut mac = new_hmac(&self.integrity_key[..]);
        mac.update(&(context.len() as u64).to_be_bytes());
        mac.update(context.as_bytes());
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

fn new_hmac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    match <HmacSha256 as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

fn derive(key: &StorageKey, info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = new_hmac(key.expose());
    mac.update(info);
    mac.update(&[1]);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

fn associated_data(tree: &str, record_key: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(8 + tree.len() + record_key.len());
    aad.extend_from_slice(&(tree.len() as u64).to_be_bytes());
    aad.extend_from_slice(tree.as_bytes());
    aad.extend_from_slice(record_key);
    aad
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn crypto(byte: u8) -> Crypto {
        Crypto::new(&StorageKey::from_bytes([byte; 32]))
    }

    #[test]
    fn sealed_values_open_only_in_their_place_and_with_their_key() {
        let c = crypto(1);
        let sealed = c.seal("patients", b"k1", b"secret").unwrap();
        assert_eq!(sealed[0], SEALED_V1);
        assert_eq!(&c.open("patients", b"k1", &sealed).unwrap()[..], b"secret");
        assert_eq!(
            c.open("patients", b"k2", &sealed),
            Err(OpenError::Inauthentic)
        );
        assert_eq!(
            c.open("outbox", b"k1", &sealed),
            Err(OpenError::Inauthentic)
        );
        assert_eq!(
            crypto(2).open("patients", b"k1", &sealed),
            Err(OpenError::Inauthentic)
        );
        let mut flipped = sealed.clone();
        if let Some(last) = flipped.last_mut() {
            *last ^= 1;
        }
        assert_eq!(
            c.open("patients", b"k1", &flipped),
            Err(OpenError::Inauthentic)
        );
        assert_eq!(
            c.open("patients", b"k1", &[1, 2]),
            Err(OpenError::Malformed)
        );
    }

    #[test]
    fn nonces_are_fresh_per_write() {
        let c = crypto(1);
        assert_ne!(
            c.seal("t", b"k", b"same").unwrap(),
            c.seal("t", b"k", b"same").unwrap()
        );
    }

    #[test]
    fn blind_indexes_are_keyed_and_separated_by_index_name() {
        let c = crypto(1);
        let a = c.blind_index("email", "a@example.org");
        assert_eq!(a, c.blind_index("email", "a@example.org"));
        assert_ne!(a, c.blind_index("national_id", "a@example.org"));
        assert_ne!(a, crypto(2).blind_index("email", "a@example.org"));
    }
}
